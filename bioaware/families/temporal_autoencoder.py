"""Temporal-coding autoencoder (Comşa et al. 2022), `comsa_ae`: one spike per neuron, alpha PSPs,
synchronisation pulses, exact spike-time gradients (Lambert W)."""

from __future__ import annotations

from pathlib import Path

from bioaware.core.config import Config, TrainSection
from bioaware.core.errors import BioawareError
from bioaware.families.ann_baselines import ann_baselines, mse_table
from bioaware.core.timebase import TIME_UNIT
from bioaware.families.base import Family
from bioaware.interchange.temporal_nir import temporal_to_nir
from bioaware.interchange.to_nir import write_graph
from bioaware.train.tasks import Task, TemporalAutoencoderTask


def build_tasks(cfg: Config) -> list[tuple[Task, TrainSection]]:
    """The temporal autoencoder, then its ANN baselines."""
    return [(TemporalAutoencoderTask(cfg.model, cfg.temporal, cfg.train), cfg.train)] + ann_baselines(cfg)


def validate(cfg: Config, source: str) -> None:
    if cfg.train.update != "bptt":
        raise BioawareError(f"{source}: model.kind = 'comsa_ae' trains with train.update = 'bptt' "
                            "(exact gradients) only")


def export(task: Task, config: dict, run_name: str, provenance: dict, export_root: Path) -> Path:
    """One graph of alpha-synapse neurons in time units of TIME_UNIT; the latency coder stays on the host."""
    tc = config["temporal"]
    path = export_root / run_name / "model.nir"
    write_graph(temporal_to_nir(task.model.layer_specs(), TIME_UNIT, {
        "model": config["model"]["kind"], "run": run_name, "invert": tc["invert"], "latency": tc["latency"],
        "no_spike_time": tc["no_spike_time"], "git_commit": provenance.get("git_commit", "unknown"),
        "checkpoint_sha256": provenance["checkpoint_sha256"],
        "host_side": "latency encoder: pixel p spikes once at t = 1 − p (invert) or p, in time units; "
                     "p = 1 of the coded image does not spike; outputs decode as clip(t − latency, 0, 1)"}), path)
    return path


FAMILY = Family(name="temporal_autoencoder", kinds=("comsa_ae",), page="docs/temporal_autoencoder.md",
                build_tasks=build_tasks, validate=validate, export=export, results_table=mse_table)
