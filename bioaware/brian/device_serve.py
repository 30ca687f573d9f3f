"""A device environment's side of `device_envs.run_in_environment`: `python -m bioaware.brian.device_serve REQUEST_DIR`
runs the request there on its device and writes run.npz beside it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from bioaware.brian.nir_network import SpikeTrains, simulate_graph
from bioaware.core.errors import BioawareError


def serve(request: Path) -> None:
    spec = json.loads((request / "request.json").read_text())
    arrays = np.load(request / "inputs.npz")
    names = {key.split(".")[1] for key in arrays.files if key.startswith("in.")}
    inputs = {n: SpikeTrains(arrays[f"in.{n}.channels"], arrays[f"in.{n}.times"]) for n in names}
    currents = {key.split(".", 1)[1]: arrays[key] for key in arrays.files if key.startswith("current.")}
    options = spec["options"]
    record = options.get("record") or ()
    options["record"] = {k: list(v) for k, v in record.items()} if isinstance(record, dict) else tuple(record)
    run = simulate_graph(spec["graph"], inputs, spec["duration"], device=spec["device"], build_dir=request / "build",
                         currents=currents or None, **options)
    meta = {"spikes": list(run.spikes), "traces": list(run.traces), "sizes": run.sizes, "dt": run.dt,
            "duration": run.duration, "convention": run.convention, "run_seconds": run.run_seconds,
            "copies": run.copies}
    out = {"meta": np.array(json.dumps(meta))}
    for name, (index, times) in run.spikes.items():
        out[f"spikes.{name}.index"], out[f"spikes.{name}.times"] = index, times
    for name, (t, v) in run.traces.items():
        out[f"traces.{name}.t"], out[f"traces.{name}.v"] = t, v
    np.savez(request / "run.npz", **out)


if __name__ == "__main__":
    try:
        serve(Path(sys.argv[1]))
    except BioawareError as exc:  # the caller shows it as its own one-line error
        print(exc, file=sys.stderr)
        sys.exit(2)
