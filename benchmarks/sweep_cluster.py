"""A six-run sweep (the Roy autoencoder on the embedded subset, hidden × leak) trained one run after another, then
as tasks on a Dask `LocalCluster` of N workers on this machine: wall-clock seconds of each, their ratio, and whether
both give the same results table.

    python benchmarks/sweep_cluster.py               # 2 workers
    python benchmarks/sweep_cluster.py --workers 4 --train-limit 2000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bioaware.families.sweep import results_table, sweep

CONFIG = """
[data]
dataset = "mnist_5k"
train_limit = {train}
test_limit = 200

[model]
kind = "roy_ae"
steps = 15

[train]
batch_size = 50
"""
GRID = ["model.hidden=64,196,400", "model.leak=0.1,0.2"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--train-limit", type=int, default=1000, help="training images per run (default 1000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "tiny.toml"
        config.write_text(CONFIG.format(train=args.train_limit))
        start = time.perf_counter()
        one = sweep(config, GRID, out_root=Path(tmp) / "sequential")
        sequential = time.perf_counter() - start
        start = time.perf_counter()
        many = sweep(config, GRID, out_root=Path(tmp) / "cluster", cluster=f"local:{args.workers}")
        clustered = time.perf_counter() - start
        same = results_table(one) == results_table(many)
        print(results_table(many))
    print(f"{len(one)} runs one after another: {sequential:.1f} s; on {args.workers} Dask workers: {clustered:.1f} s; "
          f"speed-up {sequential / clustered:.2f}×; same results: {same}")


if __name__ == "__main__":
    main()
