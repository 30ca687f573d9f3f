"""`bioaware simulate`: a trained run's test images through Brian2, task metric and throughput."""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from bioaware.brian.network import simulate
from bioaware.brian.sharded import simulate_on_cluster
from bioaware.core.timebase import TRAINING_DT
from bioaware.families.export import exported_graph, trained_test_spikes
from bioaware.interchange.from_nir import graph_to_layers, read_graph
from bioaware.core.metrics import normalised_mse, spike_mse
from bioaware.core.rundir import atomic_write_text


def simulate_test_set(run_dir: Path, images: int = 1000, device: str = "cpp_standalone", dt_factor: float = 0.1,
                      order: str = "exact", copies: int = 100, seed: int = 0, cluster: str | None = None) -> dict:
    """Reconstruction metrics of the exported network under Brian2, written to runs/<name>/simulate.json; with
    `cluster` the images are split over its workers (`bioaware.brian.sharded`)."""
    task, x_img, spikes = trained_test_spikes(run_dir, images, seed)
    start = time.perf_counter()
    path = exported_graph(Path(run_dir))  # the file is the contract: simulate what was exported
    layers, _ = graph_to_layers(read_graph(path), path)
    if cluster:
        run = simulate_on_cluster(layers, TRAINING_DT, spikes.numpy(), TRAINING_DT * dt_factor, cluster, order=order,
                                  device=device, max_copies=copies)
    else:
        run = simulate(layers, TRAINING_DT, spikes.numpy(), TRAINING_DT * dt_factor, order=order,
                       device=device, max_copies=copies)
    seconds = time.perf_counter() - start
    out = torch.from_numpy(run.counts("reconstruction", spikes.shape[0], TRAINING_DT).sum(0)).float()
    result = {"run": Path(run_dir).name, "images": len(x_img), "device": device, "dt_ms": TRAINING_DT * dt_factor * 1e3,
              "order": order, "shards": run.shards, "copies": run.copies,
              "windows": -(-len(x_img) // (run.copies * run.shards)),
              "mse": normalised_mse(x_img, out), "spike_mse": spike_mse(spikes.sum(0), out),
              "seconds_including_build": seconds, "images_per_second": len(x_img) / seconds,
              "setup_seconds": seconds - run.run_seconds,  # workers, code generation, compilation
              "simulation_seconds": run.run_seconds, "images_per_simulation_second": len(x_img) / run.run_seconds}
    atomic_write_text(Path(run_dir) / "simulate.json", json.dumps(result, indent=2) + "\n")
    return result
