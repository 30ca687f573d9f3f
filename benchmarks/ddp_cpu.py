"""Training across processes on this machine's cores: the same run config trained for the same batches by one
process (all threads) and by `torchrun --nproc_per_node N` (threads split among the processes), from the same
seed, then the two runs' losses and weights compared.

Roy et al.'s MNIST autoencoder by default (784-196-784, T = 15, batch 100, the 5,000-image embedded subset):

    python benchmarks/ddp_cpu.py                    # 60 batches, 2 processes
    python benchmarks/ddp_cpu.py --batches 200 --processes 4 --config runs/roy_ae_mnist.toml
    python benchmarks/ddp_cpu.py --batches 30 --config runs/audiocoder_tones.toml   # heavier batches

Prints seconds per batch of each (the command's wall time less that of a one-batch run of the same kind, its
start-up), their ratio, and the largest loss and weight differences between the two runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

DEFAULT = """
[data]
dataset = "mnist_5k"

[model]
hidden = 196
steps = 15

[train]
epochs = 5
batch_size = 100
lr = 5e-4
checkpoint_every = 1000
"""


def train(config: Path, out: Path, processes: int, batches: int, threads: int) -> float:
    """Seconds of `bioaware train … --max-batches batches` with `processes` processes of `threads` threads each."""
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"] \
        if processes > 1 else [sys.executable]
    start = time.perf_counter()
    subprocess.run(launcher + ["-m", "bioaware", "train", str(config), "--out", str(out), "--max-batches",
                               str(batches)], check=True, capture_output=True,
                   env={**os.environ, "OMP_NUM_THREADS": str(threads)})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", help="run config (default: the Roy autoencoder on the embedded subset)")
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(args.config) if args.config else Path(tmp) / "roy.toml"
        if not args.config:
            config.write_text(DEFAULT)
        # start-up (imports, data, process group) measured with one batch, and subtracted
        setup = {n: train(config, Path(tmp) / f"setup{n}", n, 1, max(1, cores // n)) for n in (1, args.processes)}
        wall = {n: train(config, Path(tmp) / f"run{n}", n, args.batches, max(1, cores // n))
                for n in (1, args.processes)}
        per_batch = {n: (wall[n] - setup[n]) / (args.batches - 1) for n in wall}
        rows = {n: [json.loads(line) for line in (Path(tmp) / f"run{n}" / "metrics.jsonl").read_text().splitlines()]
                for n in wall}
        losses = {n: [r["loss"] for r in rows[n] if r.get("kind") == "train"] for n in wall}
        gaps = [abs(a - b) / abs(a) for a, b in zip(losses[1], losses[args.processes])]
        loss_diff = max(gaps)
        same_until = next((k for k, gap in enumerate(gaps) if gap > 1e-5), len(gaps))
        weights = {n: torch.load(Path(tmp) / f"run{n}" / "snn.ckpt", weights_only=True)["task"]["model"] for n in wall}
        weight_diff = max(float((weights[1][k] - weights[args.processes][k]).abs().max()) for k in weights[1])
    speed_up = per_batch[1] / per_batch[args.processes]
    print(f"torch {torch.__version__}, {cores} cores, {args.batches} batches")
    print(f"1 process × {cores} threads: {per_batch[1]:.3f} s/batch; {args.processes} processes × "
          f"{max(1, cores // args.processes)} threads: {per_batch[args.processes]:.3f} s/batch; "
          f"speed-up {speed_up:.2f}×")
    print(f"losses equal within 1e-5 (relative) for the first {same_until} of {len(gaps)} batches; then spikes near "
          f"threshold flip with float rounding: largest relative loss difference {loss_diff:.2e}, largest weight "
          f"difference after the last batch {weight_diff:.2e}")

if __name__ == "__main__":
    main()
