"""Input spikes for a NIR graph, from a file: spike times, or a dense raster with its own dt.

Formats (`bioaware simulate FILE.nir --example-input` writes one):
- `.npz` with `times` (s, float) and `channels` (int, flat index over the Input node's shape,
  C order): one spike per pair. Graphs with several Input nodes use `<node>.times` and `<node>.channels`.
- `.npz` with `raster` [steps, *shape] (spike counts, 0/1) and `dt` (s): step k spikes at k·dt;
  several Inputs: `<node>.raster` and one `dt`.
- `.npy` holding a raster [steps, *shape]; its dt comes from `--input-dt`.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from bioaware.core.errors import BioawareError


def raster_to_trains(raster: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """(channels, times in s) of a raster [steps, *shape] of 0/1 spikes."""
    flat = np.asarray(raster).reshape(len(raster), -1)
    step, channel = np.nonzero(flat)
    return channel.astype(int), step * dt


def read_spike_input(path: str | Path, inputs: dict[str, int], input_dt: float | None = None) -> dict[str, tuple]:
    """{Input node: (channels, times in s)} from `path`; `inputs` maps each Input node to its size."""
    path = Path(path)
    if not path.is_file():
        raise BioawareError(f"--input {path}: file not found (write an example with --example-input)")
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise BioawareError(f"--input {path}: not a .npz/.npy file numpy can read ({exc})") from None
    if isinstance(data, np.ndarray):
        if not (input_dt and input_dt > 0):
            raise BioawareError(f"--input {path}: a .npy raster needs --input-dt (its step in s)")
        if len(inputs) != 1:
            raise BioawareError(f"--input {path}: the graph has {len(inputs)} Input nodes; use a .npz with "
                                "<node>.raster per node")
        return {next(iter(inputs)): _checked(path, next(iter(inputs)), inputs, *raster_to_trains(data, input_dt))}
    keys = set(data.files)
    out = {}
    for node in inputs:
        prefix = "" if len(inputs) == 1 and not any(k.startswith(f"{node}.") for k in keys) else f"{node}."
        if f"{prefix}times" in keys and f"{prefix}channels" in keys:
            out[node] = _checked(path, node, inputs, data[f"{prefix}channels"], data[f"{prefix}times"])
        elif f"{prefix}raster" in keys:
            dt = float(np.asarray(data["dt"])) if "dt" in keys else input_dt
            if not (dt and math.isfinite(dt) and dt > 0):
                raise BioawareError(f"--input {path}: a raster needs its step 'dt' (s) in the file or --input-dt")
            out[node] = _checked(path, node, inputs, *raster_to_trains(data[f"{prefix}raster"], dt))
    if not out:
        raise BioawareError(f"--input {path}: found {sorted(keys)}; expected 'times' and 'channels', or 'raster' "
                            "and 'dt' (see `bioaware simulate --help`)")
    return out


def _checked(path, node, inputs, channels, times) -> tuple[np.ndarray, np.ndarray]:
    channels = np.asarray(channels).reshape(-1)
    times = np.asarray(times, dtype=float).reshape(-1)
    if channels.size != times.size:
        raise BioawareError(f"--input {path}: '{node}' has {channels.size} channels but {times.size} times")
    if channels.size and (channels.min() < 0 or channels.max() >= inputs[node] or
                          not np.all(np.equal(np.mod(channels, 1), 0))):
        raise BioawareError(f"--input {path}: '{node}' has channels outside 0 … {inputs[node] - 1}")
    if times.size and (not np.all(np.isfinite(times)) or times.min() < 0):
        raise BioawareError(f"--input {path}: '{node}' has negative or non-finite spike times")
    return channels.astype(int), times


def example_input(inputs: dict[str, int], path: Path, steps: int = 100, dt: float = 1e-3, rate: float = 0.1,
                  seed: int = 0) -> Path:
    """Write a random raster (each channel spikes with probability `rate` per step of `dt` s) for every Input."""
    rng = np.random.default_rng(seed)
    single = len(inputs) == 1
    arrays = {("raster" if single else f"{node}.raster"): (rng.random((steps, n)) < rate).astype(np.uint8)
              for node, n in inputs.items()}
    np.savez(path, dt=np.float64(dt), **arrays)
    return path


def file_step(path: str | Path) -> float | None:
    """The raster step 'dt' (s) stored in an input .npz, if any."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return float(np.asarray(data["dt"])) if "dt" in data.files else None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, AttributeError, TypeError):
        return None


def trains_to_raster(channels: np.ndarray, times: np.ndarray, size: int, step: float, steps: int | None = None
                     ) -> np.ndarray:
    """Bin spike trains into a raster [steps, size] of spike counts per step of `step` s."""
    b = np.floor(np.asarray(times) / step + 1e-9).astype(int)
    steps = steps if steps is not None else int(b.max(initial=-1)) + 1
    raster = np.zeros((steps, size))
    keep = b < steps
    np.add.at(raster, (b[keep], np.asarray(channels)[keep]), 1.0)
    return raster
