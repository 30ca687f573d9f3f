"""The equation files of equations/ (installed as bioaware.equations), read as Brian2 Equations."""

from __future__ import annotations

from importlib import resources


def equation_text(name: str) -> str:
    """The equations of `equations/<name>.eqs` without comment lines."""
    text = resources.files("bioaware.equations").joinpath(f"{name}.eqs").read_text()
    return "\n".join(line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
