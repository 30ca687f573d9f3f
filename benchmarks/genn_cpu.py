"""Brian2's genn device on GeNN's single-threaded CPU backend beside cpp_standalone (1 OpenMP thread), in one run:
the exported MNIST autoencoder (784-196-784 LIF, `export/roy_ae_mnist_best/model.nir`) with B copies driven by
random input spikes (15 ms at 0.1 ms), and every closed-form conformance graph. Prints, per case, whether the two
devices gave identical spikes (or GeNN's one-line refusal), the simulation seconds each device reports and the
wall seconds of the whole call (code generation, compilation and run).

    python benchmarks/genn_cpu.py            # B = 10
    python benchmarks/genn_cpu.py --copies 50
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import nir
import numpy as np

from bioaware.brian.nir_network import SpikeTrains, simulate_graph
from bioaware.compare.closed_forms import CASES
from bioaware.core.errors import BioawareError


def events(run) -> dict[str, np.ndarray]:
    return {n: np.sort(i.astype(np.int64) * 1_000_000 + np.round(t / run.dt).astype(np.int64))
            for n, (i, t) in run.spikes.items()}


def both(path, inputs, duration, **options) -> str:
    rows = []
    for device in ("cpp_standalone", "genn"):
        start = time.perf_counter()
        try:
            run = simulate_graph(path, inputs, duration, dt=1e-4, device=device, threads=1, **options)
        except BioawareError as exc:
            return f"refused on {device}: {exc}"
        rows.append((run, run.run_seconds, time.perf_counter() - start))
    (a, sim_a, wall_a), (b, sim_b, wall_b) = rows
    same = events(a).keys() == events(b).keys() and all(np.array_equal(events(a)[n], events(b)[n]) for n in events(a))
    spikes = sum(len(v) for v in events(a).values())
    return (f"{'identical' if same else 'DIFFERENT'} ({spikes} spikes); simulation s cpp {sim_a:.3f} / "
            f"genn {sim_b:.3f}; wall s cpp {wall_a:.1f} / genn {wall_b:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    raster = np.random.default_rng(0).random((15, args.copies * 784)) < 0.2
    steps, channels = np.nonzero(raster)
    print(f"MNIST autoencoder ×{args.copies}: " + both("export/roy_ae_mnist_best/model.nir",
                                                      {"input": SpikeTrains(channels, steps * 1e-3)}, 0.015,
                                                      copies=args.copies))
    with tempfile.TemporaryDirectory() as tmp:
        for make in CASES:
            case = make()
            path = Path(tmp) / f"{make.__name__}.nir"
            nir.write(path, case.graph)
            print(f"{case.name}: " + both(path, case.inputs, case.duration))


if __name__ == "__main__":
    main()
