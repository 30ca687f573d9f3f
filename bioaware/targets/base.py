"""What a neuromorphic target provides: a limits check on the NIR graph, and a run that returns report columns.

A target is one module `bioaware/targets/<name>.py` whose functions follow :class:`Target`, plus one line in
the registry `bioaware.targets.TARGETS`; `bioaware deploy` and the command line know nothing else of it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from bioaware.core.errors import BioawareError
from bioaware.core.layers import DenseSpikingLayer
from bioaware.targets.limits import Violation


@dataclass
class TargetColumn:
    """One target simulation: spike counts [T, images, N] per layer name, and what else it measured."""

    label: str
    counts: dict[str, np.ndarray]
    seconds: float
    details: dict = field(default_factory=dict)


def require_packages(*names: str) -> None:
    """A target's `ready()` for toolchains that come with bioaware's `targets` extra: each of `names` importable."""
    missing = [name for name in names if importlib.util.find_spec(name) is None]
    if missing:
        raise BioawareError(f'{", ".join(missing)} not installed; pip install -e ".[targets]"')


class Target(Protocol):
    """The three functions of a target module."""

    def ready(self) -> None:
        """Raise BioawareError (what is missing, how to install it) when the toolchain cannot run here; called
        before anything is loaded or simulated."""

    def check_limits(self, graph) -> list[Violation]:
        """Everything in the NIR graph the chip cannot hold (empty: it fits)."""

    def deploy(self, graph, layers: list[DenseSpikingLayer], input_spikes: np.ndarray,
               out_dir: Path) -> list[TargetColumn]:
        """Convert with the target's toolchain and run `input_spikes` [T, images, N]; files go to `out_dir`."""
