"""One device's run of the exported MNIST autoencoder (`export/roy_ae_mnist_best/model.nir`, 784-196-784 LIF) with
B copies on MNIST-like input spikes (rate-coded random images, 15 steps of 1 ms, Brian2 dt 0.1 ms), and optionally a
larger graph (`--graph`, e.g. an FSVAE decoder.nir with its spike input): writes the spikes and timings to OUT.npz.
Run in the environment of the device (cpp_standalone: bioaware's; genn: .venv-genn; cuda_standalone: .venv-cuda);
`benchmarks/gpu.sh` runs it for every device and `--compare` prints the table.

    python benchmarks/gpu_devices.py cpp_standalone 100 out/cpp1_100.npz --threads 1
    python benchmarks/gpu_devices.py --compare out/*.npz
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

STEPS, STEP, DT, RATE = 15, 1e-3, 1e-4, 0.2
BANDWIDTH = {"H100": 3.35e12, "H200": 4.8e12, "A100": 2.0e12}  # bytes/s of HBM, by GPU name fragment
BYTES_PER_EVENT = 4 + 4 + 8  # one synaptic event: the target index, the weight (float32 on the GPU), v read+write


def input_spikes(copies: int, size: int, seed: int = 0):
    from bioaware.brian.nir_network import SpikeTrains

    raster = np.random.default_rng(seed).random((STEPS, copies * size)) < RATE
    steps, channels = np.nonzero(raster)
    return {"input": SpikeTrains(channels, steps * STEP)}


def run(device: str, copies: int, out: Path, threads: int, graph: str) -> None:
    from bioaware.brian.nir_network import simulate_graph
    from bioaware.interchange.nir_graph import parse_graph, read_nir

    parsed = parse_graph(read_nir(graph), graph)
    inputs = input_spikes(copies, parsed.populations["input"].size)
    start = time.perf_counter()
    result = simulate_graph(graph, inputs, STEPS * STEP, dt=DT, device=device, copies=copies, threads=threads)
    wall = time.perf_counter() - start
    fan_out = {p.source: sum(m.nnz for m in p.terms.values()) / parsed.populations[p.source].size
               for p in parsed.pathways}
    n_in = int(sum(len(t.times) for t in inputs.values()))
    events = n_in * fan_out.get("input", 0) + sum(len(i) * fan_out.get(n, 0) for n, (i, _) in result.spikes.items())
    arrays = {f"{n}.index": i for n, (i, _) in result.spikes.items()}
    arrays |= {f"{n}.step": np.round(t / DT).astype(np.int64) for n, (_, t) in result.spikes.items()}
    meta = {"device": device, "copies": copies, "threads": threads, "graph": graph, "wall_seconds": wall,
            "simulation_seconds": result.run_seconds, "synaptic_events": events}
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, meta=json.dumps(meta), **arrays)
    print(json.dumps(meta))


def compare(paths: list[Path]) -> None:
    """Spikes of every file against the cpp_standalone file of the same graph and copies; throughput; bound."""
    loaded = []
    for path in paths:
        with np.load(path) as f:
            loaded.append((json.loads(str(f["meta"])), {k: f[k] for k in f.files if k != "meta"}))
    gpu = _gpu_name()
    print(f"| device | threads | copies | identical to cpp_standalone | images/s (wall) | images/s (simulation) | "
          f"events/s | × bandwidth bound{f' ({gpu})' if gpu else ''} |\n|---|---|---|---|---|---|---|---|")
    for meta, arrays in loaded:
        reference = next((a for m, a in loaded if m["device"] == "cpp_standalone" and m["copies"] == meta["copies"]
                          and m["graph"] == meta["graph"]), None)
        names = [k[:-len(".index")] for k in (reference or {}) if k.endswith(".index")]
        same = "-" if reference is None else str(all(np.array_equal(_events(arrays, n), _events(reference, n))
                                                     for n in names))
        bound = meta["synaptic_events"] * BYTES_PER_EVENT / BANDWIDTH[gpu] if gpu else None
        ratio = f"{meta['simulation_seconds'] / bound:.1f}×" if bound else "-"
        print(f"| {meta['device']} | {meta['threads']} | {meta['copies']} | {same} | "
              f"{meta['copies'] / meta['wall_seconds']:.3g} | {meta['copies'] / meta['simulation_seconds']:.3g} | "
              f"{meta['synaptic_events'] / meta['simulation_seconds']:.3g} | {ratio} |")


def _events(arrays: dict, name: str) -> np.ndarray:
    return np.sort(arrays[f"{name}.index"].astype(np.int64) * 10**7 + arrays[f"{name}.step"])


def _gpu_name() -> str | None:
    """The BANDWIDTH key of the first GPU `nvidia-smi` names, if any."""
    import subprocess

    try:
        names = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                               text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return next((key for key in BANDWIDTH if key in names), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("device", nargs="?")
    parser.add_argument("copies", nargs="?", type=int)
    parser.add_argument("out", nargs="?", type=Path)
    parser.add_argument("--threads", type=int, default=0, help="cpp_standalone OpenMP threads (0: none)")
    parser.add_argument("--graph", default="export/roy_ae_mnist_best/model.nir")
    parser.add_argument("--compare", nargs="+", type=Path, metavar="OUT.npz")
    args = parser.parse_args()
    if args.compare:
        compare(args.compare)
    else:
        run(args.device, args.copies, args.out, args.threads, args.graph)


if __name__ == "__main__":
    main()
