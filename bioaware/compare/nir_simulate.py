"""`bioaware simulate FILE.nir`: any NIR graph in Brian2 on the user's input spikes, results to files.

Writes, into the output folder: `spikes.npz` (per spiking node `<node>.index` and `<node>.times` in s;
per recorded node `<node>.t` and `<node>.v`), `raster.png` (and `traces.png` when states were
recorded) and `simulate.json` (what ran: file, dt, spike convention, duration, device, spike counts,
package versions, git commit).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from bioaware.brian.nir_network import GraphRun, SpikeTrains, simulate_graph
from bioaware.agreement.figures import node_rasters, trace_panels
from bioaware.core.errors import BioawareError
from bioaware.interchange.nir_graph import ParsedGraph, parse_graph, read_nir
from bioaware.interchange.spike_input import read_spike_input
from bioaware.core.rundir import atomic_write, atomic_write_text, git_commit, package_versions


def parsed_file(path: Path) -> ParsedGraph:
    return parse_graph(read_nir(path), str(path))


def default_duration(parsed: ParsedGraph, inputs: dict[str, SpikeTrains]) -> float:
    """The last input spike plus five of the graph's longest time constants (at least 10 ms)."""
    last = max((float(t.times.max()) for t in inputs.values() if t.times.size), default=0.0)
    return last + max(0.01, 5 * float(parsed.time_constants().max(initial=0.0)))


def load_inputs(parsed: ParsedGraph, input_path: Path, input_dt: float | None) -> dict[str, SpikeTrains]:
    sizes = {name: parsed.populations[name].size for name in parsed.inputs}
    return {node: SpikeTrains(*trains) for node, trains in read_spike_input(input_path, sizes, input_dt).items()}


def simulate_file(nir_path: Path, input_path: Path, out_dir: Path, *, dt: float | None = None,
                  duration: float | None = None, spikes: str | None = None, record: tuple[str, ...] = (),
                  device: str = "runtime", input_dt: float | None = None) -> dict:
    """Simulate a NIR file on the spikes of `input_path`; write results into `out_dir`; returns the summary."""
    parsed = parsed_file(nir_path)
    inputs = load_inputs(parsed, input_path, input_dt)
    duration = duration if duration is not None else default_duration(parsed, inputs)
    if not (math.isfinite(duration) and duration > 0):
        raise BioawareError(f"--duration must be a positive number of seconds, got {duration}")
    if out_dir.exists() and not out_dir.is_dir():
        raise BioawareError(f"--out {out_dir}: is a file; name a folder")
    start = time.perf_counter()
    run = simulate_graph(parsed, inputs, duration, dt=dt, spikes=spikes, record=record, device=device)
    summary = {
        "file": str(nir_path), "input": str(input_path), "device": device, "dt_s": run.dt,
        "duration_s": duration, "spike_convention": run.convention,
        "spikes": {name: int(index.size) for name, (index, _) in run.spikes.items()},
        "outputs": parsed.outputs, "run_seconds": run.run_seconds, "wall_seconds": time.perf_counter() - start,
        "versions": package_versions(), "git_commit": git_commit(),
    }
    write_results(run, out_dir, summary)
    return summary


def write_results(run: GraphRun, out_dir: Path, summary: dict) -> None:
    arrays = {}
    for name, (index, t) in run.spikes.items():
        arrays[f"{name}.index"], arrays[f"{name}.times"] = index, t
    for name, (t, v) in run.traces.items():
        arrays[f"{name}.t"], arrays[f"{name}.v"] = t, v
    out_dir.mkdir(parents=True, exist_ok=True)
    def save(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)

    atomic_write(out_dir / "spikes.npz", save)
    if run.spikes:
        shown = [name for name in run.spikes if name not in summary.get("outputs", ())]
        node_rasters([(name, [run.spikes[name]], ["Brian2"]) for name in shown], out_dir / "raster.png")
    if run.traces:
        trace_panels(run.traces, out_dir / "traces.png")
    atomic_write_text(out_dir / "simulate.json", json.dumps(summary, indent=1) + "\n")
