"""Exact-dynamics simulation of a trained run's test images in one process, then split over the workers of a Dask
`LocalCluster` on this machine, on cpp_standalone: the simulation seconds of each (code generation, compilation
and the cluster's start-up reported apart), their ratio, and whether every layer's spikes are identical.

    python benchmarks/simulate_cluster.py runs/roy_ae_mnist_best                 # 2,000 images, 2 workers
    python benchmarks/simulate_cluster.py runs/roy_ae_mnist_best --images 10000 --workers 4 --dt-factor 0.1
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bioaware.brian.network import simulate
from bioaware.brian.sharded import simulate_on_cluster
from bioaware.core.timebase import TRAINING_DT
from bioaware.families.export import trained_test_spikes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="a trained rate-coded run directory, e.g. runs/roy_ae_mnist_best")
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dt-factor", type=float, default=1.0, help="Brian2 dt as a fraction of the training step")
    args = parser.parse_args()
    task, _, spikes = trained_test_spikes(args.run, args.images)
    layers, x = task.model.layer_specs(), spikes.numpy()
    sim_dt = TRAINING_DT * args.dt_factor
    start = time.perf_counter()
    one = simulate(layers, TRAINING_DT, x, sim_dt, device="cpp_standalone")
    one_wall = time.perf_counter() - start
    start = time.perf_counter()
    split = simulate_on_cluster(layers, TRAINING_DT, x, sim_dt, f"local:{args.workers}", device="cpp_standalone")
    split_wall = time.perf_counter() - start
    same = all(np.array_equal(one.counts(layer.name, x.shape[0], TRAINING_DT),
                              split.counts(layer.name, x.shape[0], TRAINING_DT)) for layer in layers)
    print(f"{args.run}: {len(x[0])} test images, dt {sim_dt * 1e3:g} ms, cpp_standalone")
    print(f"1 process:   simulation {one.run_seconds:.2f} s; build and start-up {one_wall - one.run_seconds:.1f} s")
    print(f"{split.shards} workers:   simulation {split.run_seconds:.2f} s (longest shard); build and start-up "
          f"{split_wall - split.run_seconds:.1f} s (longest shard's build {split.build_seconds:.1f} s)")
    print(f"speed-up of the simulation {one.run_seconds / split.run_seconds:.2f}×, whole command "
          f"{one_wall / split_wall:.2f}×; spikes identical in every layer: {same}")


if __name__ == "__main__":
    main()
