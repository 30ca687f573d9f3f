"""What one spike means as an input current: NIR's Dirac, or the one-step pulse of discrete-time exporters.

- `dirac`: a spike of weight w is the current w·δ(t) (charge w): NIR's continuous-time reading, and
  how bioaware writes its own graphs (R = τ, so that it moves v by exactly w).
- `step:<dt>`: a spike is a pulse of height 1 lasting one step of `dt` s, as snnTorch, Norse and sinabs
  mean the graphs they export (their neurons add w per step): charge w·dt. Read as a Dirac, the same
  file carries 1/dt too much charge.

A graph may say which it means in its metadata (`spike_convention`); otherwise the user chooses.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from bioaware.core.errors import BioawareError

UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}


@dataclass(frozen=True)
class SpikeConvention:
    """`step` = 0 for Dirac spikes, else the pulse length in s."""

    step: float = 0.0

    @property
    def charge(self) -> float:
        """Charge of a spike of weight 1 (current·s)."""
        return self.step if self.step else 1.0

    def __str__(self) -> str:
        return f"step:{self.step * 1e3:g}ms" if self.step else "dirac"


def seconds(text: str) -> float:
    """A positive time in s, written in s or with a unit ('0.1ms', '1e-4', '20 ms'); nan if it is not one."""
    match = re.fullmatch(r"\s*([0-9.eE+-]+)\s*(s|ms|us|µs)?\s*", str(text))
    try:
        value = float(match.group(1)) * UNITS[match.group(2) or "s"] if match else math.nan
    except ValueError:
        value = math.nan
    return value if math.isfinite(value) and value > 0 else math.nan


def parse_convention(text: str, where: str = "--spikes") -> SpikeConvention:
    """'dirac' or 'step:<dt>' with dt in s or with a unit ('step:1ms', 'step:0.0001')."""
    text = str(text).strip()
    if text == "dirac":
        return SpikeConvention()
    step = seconds(text[len("step:"):]) if text.startswith("step:") else math.nan
    if not math.isnan(step):
        return SpikeConvention(step)
    raise BioawareError(f"{where}: {text!r} is not a spike convention; use 'dirac' or 'step:<dt>' (e.g. step:1ms)")


def training_step(metadata: dict, path: str) -> float | None:
    """The graph's metadata 'dt' (the training step, s), None when it has none; anything but a positive finite
    number is a one-line error naming the file."""
    if "dt" not in (metadata or {}):
        return None
    try:
        dt = float(np.asarray(metadata["dt"]))
    except (TypeError, ValueError):
        dt = math.nan
    if not 0 < dt < math.inf:
        raise BioawareError(f"{path}: metadata 'dt' = {metadata['dt']!r} is not a time step; it must be a positive "
                            "number of seconds (fix the file, or remove the key)")
    return dt


def stated_convention(metadata: dict) -> str | None:
    """What the graph says a spike means: its `spike_convention`, 'dirac' for bioaware's own exports from
    before that key existed (they have `dt` and `encoder`), else None."""
    metadata = metadata or {}
    if metadata.get("spike_convention"):
        return str(metadata["spike_convention"])
    return "dirac" if "dt" in metadata and "encoder" in metadata else None


def convention_of(metadata: dict, chosen: str | None, path: str) -> SpikeConvention:
    """The user's choice, else the graph's own word, else a one-line request to choose."""
    if chosen:
        return parse_convention(chosen)
    stated = stated_convention(metadata)
    if stated:
        return parse_convention(stated, f"{path}: metadata spike_convention")
    raise BioawareError(f"{path}: the graph does not say what a spike means; pass --spikes dirac (NIR's "
                        "continuous-time reading) or --spikes step:<dt> (a height-1 pulse of one step, as "
                        "snnTorch, Norse and sinabs export, e.g. step:1ms)")
