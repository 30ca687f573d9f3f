"""Fully Spiking VAE (Kamata, Mukuta & Harada 2022), `fsvae`: convolutional LIF encoder and decoder, autoregressive
Bernoulli latent spikes, prior matched to the posterior on PSP-filtered firing probabilities."""

from __future__ import annotations

from pathlib import Path

from bioaware.core.config import Config, FSVAESection, TrainSection, positive_ints
from bioaware.core.errors import BioawareError
from bioaware.families.base import Family, require_exact_training
from bioaware.train.fsvae import AnnVAETask, FSVAETask
from bioaware.train.tasks import Task

IMAGE_SIDE = 32  # the model's input side (MNIST is padded to it)


def build_tasks(cfg: Config) -> list[tuple[Task, TrainSection]]:
    """The FSVAE, then (with baselines.ann_vae) the ANN VAE of the same architecture and training settings."""
    tasks: list[tuple[Task, TrainSection]] = [(FSVAETask(cfg.fsvae, cfg.train), cfg.train)]
    if cfg.baselines.ann_vae:
        tasks.append((AnnVAETask(cfg.fsvae, cfg.train), cfg.train))
    return tasks


def validate(cfg: Config, source: str) -> None:
    channels = cfg.fsvae.channels
    if not positive_ints(channels) or IMAGE_SIDE % 2 ** len(channels):
        raise BioawareError(f"{source}: fsvae.channels must be 1 to 5 positive integers (each convolution halves the "
                            f"{IMAGE_SIDE}×{IMAGE_SIDE} image), e.g. [32, 64, 128, 256]; got {channels!r}")
    if not 0.0 <= cfg.fsvae.tau < 1.0 or not 0.0 < cfg.fsvae.readout_decay <= 1.0:
        raise BioawareError(f"{source}: fsvae.tau must be in [0, 1) and fsvae.readout_decay in (0, 1]")
    require_exact_training(cfg, source)


def export(task: Task, config: dict, run_name: str, provenance: dict, export_root: Path) -> Path:
    raise BioawareError(f"{run_name}: an fsvae run cannot be exported to NIR yet (its transposed convolutions and "
                        "the sampler between time steps are not in the NIR writer); train, evaluate and sample work")


def results_table(results: dict) -> str:
    rows = [f"  {'model':<10} {'MSE [-1,1]':>11} {'MSE [0,1]':>10} {'latent rate':>12}"]
    for phase, r in results.items():
        rate = f"{r['hidden_spiking_fraction']:.3f}" if "hidden_spiking_fraction" in r else "-"
        rows.append(f"  {phase:<10} {r['mse_pm1']:>11.4f} {r['pixel_mse']:>10.4f} {rate:>12}")
    return "\n".join(rows)


FAMILY = Family(
    name="spiking_vae", kinds=("fsvae",), page="docs/fsvae.md", build_tasks=build_tasks, validate=validate,
    export=export, results_table=results_table,
    settings=(*(f"fsvae.{name}" for name in FSVAESection.__dataclass_fields__), "baselines.ann_vae"),
    paper="Kamata et al. 2022, Table 1 (reconstruction MSE on [-1, 1]): MNIST 0.031, Fashion-MNIST 0.031, "
          "CIFAR-10 0.066")
