"""Layer-spec simulations split over the workers of a Dask cluster: each worker runs a contiguous shard of the
images in its own Brian2 project (standalone devices compile in a worker-local folder named by the graph's hash, so a
worker that gets the same graph again recompiles nothing), and the shards' spike counts are joined in image order.

Every image runs in a network copy or time window of its own, starting from rest, so an image's spikes do not
depend on which shard it ran in: the joined counts are those of one process running all images.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bioaware.brian.network import simulate
from bioaware.core.layers import DenseSpikingLayer


@dataclass
class ShardedRun:
    """The joined result: spike counts per training step of every layer ([steps, images, neurons] by name), the
    first image's recorded membranes, copies per shard, and seconds: the longest shard's simulation and its
    build (code generation and compilation), run at the same time on their workers."""

    layer_counts: dict[str, np.ndarray]
    shards: int
    copies: int
    run_seconds: float
    build_seconds: float
    traces: dict = field(default_factory=dict)

    def counts(self, name: str, steps: int, dt: float) -> np.ndarray:
        return self.layer_counts[name][:steps]


def graph_key(layers: list[DenseSpikingLayer], *settings) -> str:
    """A short hash of the layers' weights and parameters and of `settings` (step, order, device)."""
    digest = hashlib.sha256(repr(settings).encode())
    for layer in layers:
        digest.update(np.ascontiguousarray(layer.weight).tobytes())
        digest.update(repr((layer.name, layer.leak, layer.v_th, layer.tau_syn, layer.readout)).encode())
    return digest.hexdigest()[:16]


def _import_brian2() -> None:
    import brian2  # noqa: F401


def simulate_shard(layers: list[DenseSpikingLayer], dt: float, spikes: np.ndarray, sim_dt: float, order: str,
                   device: str, max_copies: int, record_v: dict | None, key: str) -> dict:
    """One worker's shard (input spikes [T, images, N_in]): counts of every layer, traces, copies and seconds."""
    compiled = device not in ("runtime", "cython")  # standalone projects: one folder per worker and graph
    build_dir = Path(tempfile.gettempdir()) / f"bioaware-shard-{key}-{os.getpid()}" if compiled else None
    start = time.perf_counter()
    run = simulate(layers, dt, spikes, sim_dt, order=order, device=device, build_dir=build_dir,
                   max_copies=max_copies, record_v=record_v)
    wall = time.perf_counter() - start
    steps = spikes.shape[0]
    return {"counts": {layer.name: run.counts(layer.name, steps, dt).astype(np.uint16) for layer in layers},
            "traces": run.traces, "copies": run.copies, "run_seconds": run.run_seconds,
            "build_seconds": wall - run.run_seconds}


def simulate_on_cluster(layers: list[DenseSpikingLayer], dt: float, spikes: np.ndarray, sim_dt: float, cluster: str,
                        order: str = "exact", device: str = "cpp_standalone", max_copies: int = 100,
                        record_v: dict | None = None) -> ShardedRun:
    """`bioaware.brian.network.simulate` with the images split evenly over the cluster's workers (`cluster`: see
    `bioaware.core.cluster.open_client`); the first shard records `record_v`."""
    from distributed import wait

    from bioaware.core.cluster import open_client

    client, _ = open_client(cluster)
    with client:
        client.run(_import_brian2)  # Brian2 sets a signal handler on import: the workers' main threads import it
        workers = max(1, len(client.scheduler_info()["workers"]))
        key = graph_key(layers, dt, sim_dt, order, device)
        shards = [index for index in np.array_split(np.arange(spikes.shape[1]), workers) if len(index)]
        parts = client.scatter([spikes[:, index] for index in shards])  # each shard's spikes go to its worker once
        futures = [client.submit(simulate_shard, layers, dt, part, sim_dt, order, device, max_copies,
                                 record_v if k == 0 else None, key, pure=False, retries=1)
                   for k, part in enumerate(parts)]
        wait(futures)
        results = client.gather(futures)
    return ShardedRun({layer.name: np.concatenate([r["counts"][layer.name] for r in results], axis=1)
                       for layer in layers}, len(results), results[0]["copies"],
                      max(r["run_seconds"] for r in results), max(r["build_seconds"] for r in results),
                      results[0]["traces"])
