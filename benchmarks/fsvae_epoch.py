"""Training the Fully Spiking VAE (the paper's MNIST network: T = 16, 32-64-128-256, 128 × 20 latent outputs,
batch 250, AdamW 1e-3) written two ways, timed side by side in one process from the same initial weights and
the same images:

  plain-torch   as the authors' code runs it: each convolution and linear layer once per time step, tdBN over
                the stacked steps, the LIF neuron step by step with autograd (5 operations per step)
  bioaware      bioaware's FSVAE: each feed-forward layer once over the whole window (the first one once per
                image: its input is the same at every step) and the fused LIF scan (one autograd node per layer)

Both compute the same function: the script prints the largest weight difference after the first batch (float
rounding only), the seconds per batch of each, their ratio, and the projected seconds per MNIST epoch (240
batches). Implementations alternate batch by batch, so a busy machine slows both alike.

    python benchmarks/fsvae_epoch.py               # 6 batches each (a few minutes on 2 cores)
    python benchmarks/fsvae_epoch.py --batches 240 # one whole epoch each
"""

from __future__ import annotations

import argparse
import copy
import time

import torch

from bioaware.core.config import DataSection
from bioaware.data.datasets import load_images
from bioaware.models.fsvae import FSVAE, SpikingLayer
from bioaware.models.functional.fsvae import lif_multiplicative_reset_reference, membrane_readout, psp
from bioaware.train.fsvae import to_model_scale

BATCH, PSP_TAU = 250, 2.0


def plain_layer(layer: SpikingLayer, x: torch.Tensor) -> torch.Tensor:
    """One layer per time step, then tdBN over all steps, then the LIF neuron step by step."""
    current = torch.stack([layer.layer(x_t) for x_t in x])
    return lif_multiplicative_reset_reference(layer.norm(current), layer.p.tau, layer.p.v_th)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=6)
    args = parser.parse_args()
    data = load_images(DataSection(dataset="mnist"))
    torch.manual_seed(0)
    models = {"plain-torch": FSVAE(), "bioaware": None}
    models["bioaware"] = copy.deepcopy(models["plain-torch"])
    forwards = {"plain-torch": plain_forward, "bioaware": bioaware_forward}
    optimizers = {k: torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=1e-3) for k, m in models.items()}
    seconds = {k: [] for k in models}
    for b in range(args.batches):
        images = to_model_scale(data.train_x[b * BATCH:(b + 1) * BATCH])
        for name in (list(models) if b % 2 == 0 else list(models)[::-1]):
            seconds[name].append(train_batch(models[name], optimizers[name], forwards[name], images, b))
        if b == 0:
            gap = max(float((a - c).abs().max()) for a, c in zip(models["plain-torch"].parameters(),
                                                                 models["bioaware"].parameters()))
            print(f"largest weight difference after the first batch: {gap:.2e}")
        print(f"batch {b + 1}/{args.batches}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in seconds.items()))
    later = {k: v[1:] or v for k, v in seconds.items()}  # the first batch warms up allocators
    mean = {k: sum(v) / len(v) for k, v in later.items()}
    for name, s in mean.items():
        print(f"{name:<12} {s:6.2f} s/batch, {240 * s / 60:6.1f} min per MNIST epoch (projected)")
    print(f"bioaware vs plain-torch: {mean['plain-torch'] / mean['bioaware']:.2f}× ({torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
