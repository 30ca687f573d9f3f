"""The wheel ships every sub-package and the equation files."""

import sys
from importlib import resources
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "bioaware").rglob("__init__.py")}
    assert found | {"bioaware.equations"} == listed


def test_equation_files_are_installed():
    names = {f.name for f in resources.files("bioaware.equations").iterdir() if f.name.endswith(".eqs")}
    assert {"lif.eqs", "if_refractory.eqs"} <= names


def test_import_is_light():
    import subprocess

    code = ("import sys, bioaware, bioaware.core.config, bioaware.core.errors; "
            "print('torch' in sys.modules, 'brian2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_brian_engine_needs_no_torch():
    """The GPU environments (brian2 2.5.4 / 2.8.0) install bioaware with nir, h5py and scipy only."""
    import subprocess

    code = ("import sys, bioaware.brian.network, bioaware.brian.nir_network, bioaware.core.layers; "
            "print('torch' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_python_dash_m_bioaware_is_the_command():
    import subprocess

    out = subprocess.run([sys.executable, "-m", "bioaware", "check", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "usage: bioaware check" in out.stdout
