"""Brian2 devices that live in environments of their own: brian2genn 1.7 needs brian2 2.5.4 and numpy < 2,
brian2cuda 1.0a7 pins brian2 2.8.0, so neither can share bioaware's. `simulate_graph(..., device=…)` for such a
device sends the graph file and its inputs to `python -m bioaware.brian.device_serve REQUEST_DIR` in the device's
environment (bioaware installed there without its dependencies; no torch) and reads the run back: the same command
whatever the device.

`ENVIRONMENTS` says, per device, the package it needs, where its interpreter is found (`.venv-genn/`,
`.venv-cuda/` beside the repository, or the environment variable) and the command that makes it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bioaware.core.environments import REPOSITORY, interpreter
from bioaware.core.errors import BioawareError

GENN_SOURCE = "https://github.com/genn-team/genn/archive/refs/tags/4.9.0.tar.gz"


@dataclass(frozen=True)
class DeviceEnvironment:
    package: str  # what the device imports
    folder: str  # the environment beside the repository
    variable: str  # environment variable naming its interpreter instead
    command: str  # how to make it, run in the repository


ENVIRONMENTS = {
    "genn": DeviceEnvironment(
        "brian2genn", ".venv-genn", "BIOAWARE_GENN_PYTHON",
        f'curl -L {GENN_SOURCE} | (mkdir -p .genn && tar -xz -C .genn --strip-components=1) && python3 -m venv '
        '.venv-genn && .venv-genn/bin/pip install "brian2==2.5.4" "numpy<2" "brian2genn==1.7.0" scipy "nir==1.0.4" '
        'h5py && .venv-genn/bin/pip install --no-deps -e .'),
    "cuda_standalone": DeviceEnvironment(
        "brian2cuda", ".venv-cuda", "BIOAWARE_CUDA_PYTHON",
        'python3 -m venv .venv-cuda && .venv-cuda/bin/pip install "brian2cuda==1.0a7" "numpy<2.4" scipy '
        '"nir==1.0.4" h5py && .venv-cuda/bin/pip install --no-deps -e .'),
}


def runs_here(device: str) -> bool:
    """Whether this interpreter can run `device` itself (always, for devices without an environment of their own)."""
    return device not in ENVIRONMENTS or importlib.util.find_spec(ENVIRONMENTS[device].package) is not None


def device_python(device: str) -> str:
    """The interpreter of `device`'s environment (see `core.environments.interpreter`)."""
    env = ENVIRONMENTS[device]
    return interpreter(env.folder, env.variable, f"the {device} environment", env.command)


def genn_path() -> str:
    """GeNN's source folder: $GENN_PATH, else `.genn/` beside the repository."""
    path = Path(os.environ.get("GENN_PATH") or REPOSITORY / ".genn")
    if not (path / "version.txt").is_file():
        raise BioawareError(f"{path}: GeNN's source not found (no version.txt); unpack GeNN 4.9.0 ({GENN_SOURCE}) "
                            "there or set GENN_PATH")
    return str(path)


def run_in_environment(device: str, path: Path, arrays: dict[str, np.ndarray], duration: float, options: dict
                       ) -> tuple[dict, dict[str, np.ndarray]]:
    """Run `simulate_graph` of the NIR file `path` on `device` in its environment (`device_serve`), the inputs in
    `arrays` (`in.<node>.channels|times`, `current.<node>`); returns (meta, result arrays)."""
    python = device_python(device)
    env = {**os.environ, "GENN_PATH": genn_path()} if device == "genn" else dict(os.environ)
    with tempfile.TemporaryDirectory(prefix=f"bioaware-{device}-") as tmp:
        request = Path(tmp)
        np.savez(request / "inputs.npz", **arrays)
        (request / "request.json").write_text(json.dumps({"graph": str(Path(path).resolve()), "device": device,
                                                          "duration": duration, "options": options}))
        done = subprocess.run([python, "-m", "bioaware.brian.device_serve", str(request)], cwd=tmp, env=env,
                              capture_output=True, text=True)
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        if done.returncode == 2:  # a one-line error of bioaware's, said there
            raise BioawareError(last)
        if done.returncode != 0:
            raise BioawareError(f"{path}: the {device} run failed in {python}: {last[:300]}")
        with np.load(request / "run.npz") as out:
            result = {key: out[key] for key in out.files}
    return json.loads(str(result.pop("meta"))), result
