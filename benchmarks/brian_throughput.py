"""Test images of a trained autoencoder through Brian2: batched cpp_standalone (parallel copies ×
time windows, one build) against a naive loop (one runtime network per image), with the trained
PyTorch model's forward pass on the same spikes as the reference. One process, ratios printed.

    python benchmarks/brian_throughput.py runs/roy_ae_mnist_best            # 10,000 images
    python benchmarks/brian_throughput.py runs/roy_ae_mnist_best --images 1000 --naive 10
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from bioaware.brian.network import simulate
from bioaware.core.timebase import TRAINING_DT
from bioaware.families.export import trained_test_spikes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path, help="trained run directory (bioaware train …)")
    ap.add_argument("--images", type=int, default=10_000)
    ap.add_argument("--naive", type=int, default=24, help="images for the naive per-image loop")
    ap.add_argument("--dt-factor", type=float, default=1.0, help="Brian2 dt / training step")
    ap.add_argument("--copies", type=int, default=100)
    ap.add_argument("--device", default="cpp_standalone")
    args = ap.parse_args()
    task, _, spikes = trained_test_spikes(args.run, args.images)
    layers, sim_dt = task.model.layer_specs(), TRAINING_DT * args.dt_factor

    start = time.perf_counter()
    with torch.no_grad():
        for b in range(0, spikes.shape[1], 100):
            task.model(spikes[:, b:b + 100])
    torch_rate = spikes.shape[1] / (time.perf_counter() - start)

    start = time.perf_counter()
    for i in range(args.naive):
        simulate(layers, TRAINING_DT, spikes[:, i:i + 1].numpy(), sim_dt, device="runtime")
    naive_rate = args.naive / (time.perf_counter() - start)

    start = time.perf_counter()
    run = simulate(layers, TRAINING_DT, spikes.numpy(), sim_dt, device=args.device, max_copies=args.copies)
    total = time.perf_counter() - start
    batched_rate, sim_rate = spikes.shape[1] / total, spikes.shape[1] / run.run_seconds

    print(f"\n{args.run.name}: {spikes.shape[1]} images, T = {spikes.shape[0]}, Brian2 dt = {sim_dt * 1e3:g} ms, "
          f"torch threads {torch.get_num_threads()}")
    print(f"  {'trained model (PyTorch forward)':<44} {torch_rate:10.0f} images/s")
    print(f"  {'Brian2 naive loop (runtime, 1 image per run)':<44} {naive_rate:10.1f} images/s  ({args.naive} images)")
    print(f"  {f'Brian2 {args.device}, {run.copies} copies, incl. build':<44} {batched_rate:10.0f} images/s")
    print(f"  {f'Brian2 {args.device}, simulation only':<44} {sim_rate:10.0f} images/s")
    print(f"ratios: batched / naive = {batched_rate / naive_rate:.0f}× (incl. build), "
          f"{sim_rate / naive_rate:.0f}× (simulation); PyTorch / batched = {torch_rate / batched_rate:.1f}×")


if __name__ == "__main__":
    main()
