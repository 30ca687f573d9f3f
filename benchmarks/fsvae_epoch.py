"""Training the Fully Spiking VAE (the paper's MNIST network: T = 16, 32-64-128-256, 128 × 20 latent outputs,
batch 250, AdamW 1e-3) written two ways, each trained in a fresh process as a user would run it:

  plain-torch   as the authors' code runs it: each convolution and linear layer once per time step, tdBN over
                the stacked steps, the LIF neuron step by step with autograd (5 operations per step), the
                readout convolution once per step
  bioaware      bioaware's FSVAE: each feed-forward layer once over the whole window (the first one once per
                image: its input is the same at every step, so are its tdBN statistics), tdBN and the LIF neuron
                in one pass over the layer (`bioaware/models/functional/normalized_scan.py`), the linear
                readout once on the decay-weighted sum of its inputs

and each under two allocator settings: the C library's own ("system": every tensor above 32 MB mapped afresh)
and bioaware's ("heap": freed memory reused, `bioaware/core/memory.py`; what `bioaware train` uses).

The script first checks that both compute the same function (largest weight difference after one batch on 50
images, in float64: float rounding only; in float32 AdamW's first step, about lr · sign(gradient), turns the
rounding of near-zero gradients into differences up to about 1e-4), then runs the four processes in rounds
(their order reversed every round, so a machine that slows down does not favour one), `--batches` timed batches
each after one warm-up batch, and prints the median seconds per batch, the peak resident memory, the projected
minutes per MNIST epoch (240 batches) and the ratios.

    python benchmarks/fsvae_epoch.py                 # 2 rounds × 3 batches (about 10 minutes on 2 cores)
    python benchmarks/fsvae_epoch.py --batches 240 --rounds 1   # one whole epoch each
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import torch

from bioaware.core.config import DataSection
from bioaware.core.memory import reuse_freed_memory
from bioaware.data.datasets import load_images
from bioaware.models.fsvae import FSVAE, SpikingLayer
from bioaware.models.functional.fsvae import lif_multiplicative_reset_reference, membrane_readout, psp
from bioaware.train.fsvae import to_model_scale

BATCH, PSP_TAU = 250, 2.0


def plain_layer(layer: SpikingLayer, x: torch.Tensor) -> torch.Tensor:
    """One layer per time step, then tdBN over all steps, then the LIF neuron step by step."""
    current = torch.stack([layer.layer(x_t) for x_t in x])
    return lif_multiplicative_reset_reference(layer.norm(current), layer.p.tau, layer.p.v_th,
                                              centre=layer.p.surrogate_centre)


def plain_forward(model: FSVAE, images: torch.Tensor, generator: torch.Generator):
    x = images.unsqueeze(0).expand(model.p.steps, *images.shape)
    for layer in model.encoder:
        x = plain_layer(layer, x)
    z, q, p = model.latent(plain_layer(model.to_latent, x.flatten(2)), generator)
    x = plain_layer(model.from_latent, z)
    x = x.reshape(*x.shape[:2], -1, model.side, model.side)
    for layer in model.decoder:
        x = plain_layer(layer, x)
    potentials = torch.stack([model.readout(x_t) for x_t in x])
    return membrane_readout(potentials, model.p.readout_decay), q, p


def bioaware_forward(model: FSVAE, images: torch.Tensor, generator: torch.Generator):
    out = model(images, generator)
    return out.image, out.q, out.p


def train_batch(model, optimizer, forward, images, seed: int) -> float:
    start = time.perf_counter()
    image, q, p = forward(model, images, torch.Generator().manual_seed(seed))
    loss = (image - images).pow(2).mean() + (psp(q, PSP_TAU) - psp(p, PSP_TAU)).pow(2).mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return time.perf_counter() - start


IMPLEMENTATIONS = {"plain-torch": plain_forward, "bioaware": bioaware_forward}
ALLOCATORS = ("system", "heap")


@torch.no_grad()
def weight_gap(a: torch.nn.Module, b: torch.nn.Module) -> float:
    """Largest absolute difference between two models' parameters."""
    return max(float((x - y).abs().max()) for x, y in zip(a.parameters(), b.parameters(), strict=True))


def same_function(images: torch.Tensor) -> float:
    """Largest weight difference between the two formulations after one float64 training step from the same
    weights."""
    torch.manual_seed(0)
    models = {"plain-torch": FSVAE().double()}
    models["bioaware"] = copy.deepcopy(models["plain-torch"])
    for name, model in models.items():
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-3)
        train_batch(model, optimizer, IMPLEMENTATIONS[name], images.double(), 0)
    return weight_gap(models["plain-torch"], models["bioaware"])


def child(implementation: str, batches: int) -> None:
    """Train `batches` + 1 batches in this process and print their seconds and the peak memory as JSON."""
    heap = reuse_freed_memory()
    data = load_images(DataSection(dataset="mnist"))
    torch.manual_seed(0)
    model = FSVAE()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-3)
    seconds = [train_batch(model, optimizer, IMPLEMENTATIONS[implementation],
                           to_model_scale(data.train_x[b * BATCH:(b + 1) * BATCH]), b) for b in range(batches + 1)]
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    print(json.dumps({"seconds": seconds, "peak_gb": peak_gb, "heap": heap}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=3, help="timed batches per process (after one warm-up)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", choices=list(IMPLEMENTATIONS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.batches)
    data = load_images(DataSection(dataset="mnist"))
    gap = same_function(to_model_scale(data.train_x[:50]))
    print(f"largest weight difference after one batch (float64): {gap:.2e}")
    combos = [(i, a) for i in IMPLEMENTATIONS for a in ALLOCATORS]
    seconds, peak = {c: [] for c in combos}, {c: 0.0 for c in combos}
    for r in range(args.rounds):
        for implementation, allocator in (combos if r % 2 == 0 else combos[::-1]):
            env = {**os.environ, "BIOAWARE_ALLOCATOR": allocator}
            out = subprocess.run([sys.executable, __file__, "--child", implementation, "--batches", str(args.batches)],
                                 env=env, check=True, capture_output=True, text=True).stdout
            row = json.loads(out.strip().splitlines()[-1])
            if row["heap"] != (allocator == "heap"):
                sys.exit(f"the {allocator} allocator setting did not take effect in the child process")
            seconds[(implementation, allocator)] += row["seconds"][1:]  # the first batch warms up
            peak[(implementation, allocator)] = max(peak[(implementation, allocator)], row["peak_gb"])
            print(f"round {r + 1}: {implementation:<11} {allocator:<6} " +
                  " ".join(f"{s:.2f}" for s in row["seconds"]) + " s/batch", flush=True)
    median = {c: statistics.median(v) for c, v in seconds.items()}
    print(f"\n{'implementation':<14}{'allocator':<10}{'s/batch':>8}{'min/epoch':>11}{'peak GB':>9}")
    for (implementation, allocator), s in median.items():
        gb = peak[(implementation, allocator)]
        print(f"{implementation:<14}{allocator:<10}{s:8.2f}{240 * s / 60:11.1f}{gb:9.1f}")

    def ratio(plain: str, ours: str) -> float:
        return median[("plain-torch", plain)] / median[("bioaware", ours)]

    print(f"\nbioaware (heap) vs plain-torch (system), each as it runs by default: {ratio('system', 'heap'):.2f}×")
    for allocator in ALLOCATORS:
        print(f"bioaware vs plain-torch, both with the {allocator} allocator: {ratio(allocator, allocator):.2f}×")
    print(f"({torch.get_num_threads()} threads, median of {args.rounds * args.batches} batches each)")


if __name__ == "__main__":
    main()
