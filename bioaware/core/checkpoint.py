"""Checkpoints that know which configuration wrote them."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch

from bioaware.core.config import Config
from bioaware.core.errors import BioawareError
from bioaware.core.rundir import atomic_write

# Keys that may change between an interrupted run and its resume without invalidating it.
RESUMABLE_CHANGES = {("train", "epochs"), ("train", "checkpoint_every"), ("data", "root"), ("data", "download"),
                     ("run", "name"), ("train", "device")}


def fingerprint(config: dict[str, Any]) -> dict[str, Any]:
    """The part of a resolved config that a checkpoint must agree with."""
    return {f"{section}.{key}": value for section, body in config.items() for key, value in body.items()
            if section != "baselines" and (section, key) not in RESUMABLE_CHANGES}


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: Path, config: dict[str, Any]) -> dict[str, Any]:
    """Load `path` and check that it was written for `config`; a mismatch names the differing keys."""
    try:  # tensors and plain values only: a checkpoint never runs code on load
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise BioawareError(f"{path}: refused: the checkpoint holds objects other than tensors and plain values, "
                            "and loading them could run code; use checkpoints written by bioaware") from None
    except Exception as exc:
        raise BioawareError(f"{path}: unreadable checkpoint ({type(exc).__name__}); delete it to start over") from None
    # keys added after the checkpoint (or the run's config.json) was written count as their default
    defaults = fingerprint(Config().to_dict())
    expected, found = {**defaults, **fingerprint(config)}, {**defaults, **state.get("fingerprint", {})}
    diff = sorted(k for k in expected.keys() | found.keys() if expected.get(k) != found.get(k))
    if diff:
        shown = ", ".join(f"{k}: checkpoint {found.get(k)!r} vs config {expected.get(k)!r}" for k in diff[:3])
        raise BioawareError(f"{path}: checkpoint does not match the config ({shown}); "
                            "pass --fresh to start over (the earlier run is moved aside) or --out for another "
                            "directory")
    return state
