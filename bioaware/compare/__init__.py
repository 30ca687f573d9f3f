"""Comparison reports: a trained run beside its exported graph in Brian2, one report per model family.

`REPORTS` maps a family's name to its report: (module in this package, function, default time steps). Each
function takes (run directory, images, steps, device) and writes compare/report.html in the run directory.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from bioaware.core.errors import BioawareError
from bioaware.core.rundir import ensure_writable

REPORTS = {
    "rate_autoencoder": ("report", "compare_run", (1.0, 0.1, 0.01)),  # steps: fractions of the training step
    "temporal_autoencoder": ("temporal_report", "compare_temporal", (0.01, 0.001)),  # steps: model time units
    "ttfs_classifier": ("ttfs_report", "compare_ttfs", (1.0, 0.1)),
    "spiking_gan": ("ttfs_report", "compare_ttfs", (1.0, 0.1)),
    "spiking_vae": ("fsvae_report", "compare_fsvae", (1.0, 0.1)),
    "audiocoder": ("audio_report", "compare_audio", (1.0, 0.1, 0.01)),
}


SHARDED = {"rate_autoencoder", "audiocoder"}  # the reports whose Brian2 runs split their images over a cluster


def compare_family_run(family: str, run_dir: Path, images: int, steps: tuple[float, ...] | None = None,
                       device: str = "runtime", cluster: str | None = None) -> Path:
    """Write the comparison report of a run of `family` (with `cluster`: its Brian2 runs split over the cluster's
    workers); returns the page's path."""
    if family not in REPORTS:
        raise BioawareError(f"{run_dir}: there is no Brian2 comparison for {family} runs yet")
    if cluster and family not in SHARDED:
        raise BioawareError(f"{run_dir}: compare --cluster splits the images of {' and '.join(sorted(SHARDED))} runs; "
                            f"run this {family} comparison without it")
    module, function, default = REPORTS[family]
    ensure_writable(Path(run_dir) / "compare")
    report = getattr(importlib.import_module(f"bioaware.compare.{module}"), function)
    report(Path(run_dir), images, steps or default, device, **({"cluster": cluster} if cluster else {}))
    return Path(run_dir) / "compare" / "report.html"
