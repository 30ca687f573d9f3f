"""Training step of the label-partitioned conditional Spiking-GAN (`runs/spiking_gan_mnist_partitioned.toml`),
two ways, timed side by side in one process from the same initial weights on the same one-digit batches:

  whole    every hidden neuron of both networks, the silenced blocks included (what the graph holds)
  block    only the batch digit's hidden block (`SpikingGANTask.block_of`), what training runs: while the label
           inputs keep the other blocks silent the spikes and updates are the same (tests/test_ttfs_runs.py
           checks it); early on, though, the fakes fire most pixels at once and push a few silenced
           discriminator neurons over threshold, which the whole network then lets learn from the wrong digit

Prints milliseconds per batch (discriminator and generator step), the ratio, and the largest weight difference
between the two after the timed batches (not 0, for the reason above).

    python benchmarks/partitioned_gan_step.py                      # 40 batches, the config's 400 hidden neurons
    python benchmarks/partitioned_gan_step.py --hidden 4000        # ten blocks of 400, the per-digit GAN's size
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from bioaware.families import load_config
from bioaware.data.datasets import load_images
from bioaware.train.gan import SpikingGANTask

CONFIG = Path(__file__).resolve().parents[1] / "runs" / "spiking_gan_mnist_partitioned.toml"


def timed(task: SpikingGANTask, batches: list[tuple[torch.Tensor, torch.Tensor]]) -> float:
    """Seconds per batch of `task.train_batch` over `batches` (after one warm-up batch)."""
    rng = torch.Generator().manual_seed(0)
    images, digits = batches[0]
    task.train_batch(images, rng, digits)
    start = time.perf_counter()
    for images, digits in batches:
        task.train_batch(images, rng, digits)
    return (time.perf_counter() - start) / len(batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--hidden", type=int, default=0, help="hidden neurons per network (0: the config's)")
    parser.add_argument("--data-root", default="", help="MNIST IDX folder (default: the config's data source)")
    args = parser.parse_args()
    overrides = ([f"model.hidden={args.hidden}"] if args.hidden else []) + \
        ([f"data.root={args.data_root}"] if args.data_root else [])
    cfg = load_config(CONFIG, overrides)
    data = load_images(cfg.data)
    rng = torch.Generator().manual_seed(1)
    batches = []
    for k in range(args.batches):
        digit = k % 10
        pool = data.train_x[data.train_y == digit]
        batches.append((pool[torch.randint(0, len(pool), (cfg.train.batch_size,), generator=rng)],
                        torch.full((cfg.train.batch_size,), digit)))
    tasks = {}
    for name in ("whole", "block"):
        torch.manual_seed(0)
        tasks[name] = SpikingGANTask(cfg.model, cfg.ttfs, cfg.train)
    tasks["whole"].block_of = lambda digits: None  # every hidden neuron runs
    seconds = {name: timed(task, batches) for name, task in tasks.items()}
    drift = max(float((a - b).detach().abs().max()) for a, b in zip(tasks["whole"].model.parameters(),
                                                           tasks["block"].model.parameters()))
    print(f"partitioned Spiking-GAN, {cfg.model.hidden} hidden neurons per network in ten blocks, "
          f"batch {cfg.train.batch_size}, {args.batches} batches")
    for name, s in seconds.items():
        print(f"  {name:6s} {1000 * s:8.1f} ms/batch")
    print(f"  block is {seconds['whole'] / seconds['block']:.1f}x faster; largest weight difference {drift:.2e}")


if __name__ == "__main__":
    main()
