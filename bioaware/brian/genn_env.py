"""GeNN (brian2genn) in its own environment: brian2genn 1.7.0 needs brian2 2.5.4 and numpy < 2, so it cannot share
bioaware's. `simulate_graph(..., device="genn")` in the main environment sends the graph file and its inputs to
`python -m bioaware.brian.genn_serve REQUEST_DIR` in the GeNN environment (bioaware installed there without its
dependencies; no torch) and reads the run back: the same command whatever the device.

The environment: `.venv-genn/` and GeNN 4.9.0's source in `.genn/` beside the repository (or $BIOAWARE_GENN_PYTHON
and $GENN_PATH); `GENN_ENV_COMMAND` makes both.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from bioaware.core.errors import BioawareError

REPOSITORY = Path(__file__).resolve().parents[2]
GENN_ENV_COMMAND = ('python3 -m venv .venv-genn && .venv-genn/bin/pip install "brian2==2.5.4" "numpy<2" '
                    '"brian2genn==1.7.0" scipy "nir==1.0.4" h5py && .venv-genn/bin/pip install --no-deps -e . && '
                    'mkdir -p .genn && tar -xzf genn-4.9.0.tar.gz -C .genn --strip-components=1')
GENN_SOURCE = "https://github.com/genn-team/genn/archive/refs/tags/4.9.0.tar.gz"


def genn_here() -> bool:
    """Whether this interpreter can import brian2genn itself."""
    try:
        import brian2genn  # noqa: F401
    except ImportError:
        return False
    return True


def genn_python() -> str:
    """The GeNN environment's interpreter: $BIOAWARE_GENN_PYTHON, else `.venv-genn/bin/python` beside the repository
    (then in the working directory)."""
    candidates = [Path(os.environ["BIOAWARE_GENN_PYTHON"])] if "BIOAWARE_GENN_PYTHON" in os.environ else \
        [REPOSITORY / ".venv-genn/bin/python", Path.cwd() / ".venv-genn/bin/python"]
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        raise BioawareError(f"{candidates[0]}: GeNN environment not found; in {REPOSITORY}, download GeNN 4.9.0's "
                            f"source ({GENN_SOURCE}) as genn-4.9.0.tar.gz and run `{GENN_ENV_COMMAND}` "
                            "(or set BIOAWARE_GENN_PYTHON and GENN_PATH)")
    return str(found)


def genn_path() -> str:
    """GeNN's source folder: $GENN_PATH, else `.genn/` beside the repository."""
    path = Path(os.environ.get("GENN_PATH") or REPOSITORY / ".genn")
    if not (path / "version.txt").is_file():
        raise BioawareError(f"{path}: GeNN's source not found (no version.txt); unpack GeNN 4.9.0 ({GENN_SOURCE}) "
                            "there or set GENN_PATH")
    return str(path)


def run_in_genn_env(path: Path, arrays: dict[str, np.ndarray], duration: float, options: dict
                    ) -> tuple[dict, dict[str, np.ndarray]]:
    """Run `simulate_graph` of the NIR file `path` on device genn in the GeNN environment (`genn_serve`), its inputs
    in `arrays` (`in.<node>.channels|times`, `current.<node>`); returns (meta, result arrays)."""
    python, source = genn_python(), genn_path()
    with tempfile.TemporaryDirectory(prefix="bioaware-genn-") as tmp:
        request = Path(tmp)
        np.savez(request / "inputs.npz", **arrays)
        (request / "request.json").write_text(json.dumps({"graph": str(Path(path).resolve()), "duration": duration,
                                                          "options": options}))
        done = subprocess.run([python, "-m", "bioaware.brian.genn_serve", str(request)], cwd=tmp,
                              env={**os.environ, "GENN_PATH": source}, capture_output=True, text=True)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
            raise BioawareError(f"{path}: the GeNN run failed in {python}: {last[:300]}")
        with np.load(request / "run.npz") as out:
            result = {key: out[key] for key in out.files}
    return json.loads(str(result.pop("meta"))), result
