"""Spiking-GAN (Kotariya & Ganguly 2022), `spiking_gan`: single-spike IF generator and discriminator with TTFS
coding, trained adversarially by S4NN-style temporal backprop; optionally class-conditional, with an ANN GAN
beside it."""

from __future__ import annotations

import dataclasses

from bioaware.core.config import Config, TrainSection, is_number
from bioaware.core.errors import BioawareError
from bioaware.families.base import Family, require_exact_training
from bioaware.families.single_spike import export_ttfs
from bioaware.train.gan import AnnGANTask, SpikingGANTask
from bioaware.train.tasks import Task


def build_tasks(cfg: Config) -> list[tuple[Task, TrainSection]]:
    """The spiking GAN, then (with baselines.ann_gan) the same-shape ANN GAN."""
    t, b = cfg.train, cfg.baselines
    tasks: list[tuple[Task, TrainSection]] = [(SpikingGANTask(cfg.model, cfg.ttfs, t), t)]
    if b.ann_gan:
        ann = dataclasses.replace(t, optimizer="adam", lr=b.adam_lr, lr_schedule="constant", weight_decay=0.0,
                                  epochs=b.ann_gan_epochs or t.epochs)
        tasks.append((AnnGANTask(cfg.model, cfg.ttfs, ann), ann))
    return tasks


def validate(cfg: Config, source: str) -> None:
    tt = cfg.ttfs
    if not -1 <= tt.digit <= 9:
        raise BioawareError(f"{source}: ttfs.digit must be a digit 0–9, or -1 for all digits")
    if tt.label_inputs < 0 or not 0 <= tt.label_gate < 1 or (
            (tt.label_inputs or tt.label_gate or tt.label_partition) and (tt.digit != -1 or not tt.label_inputs)):
        raise BioawareError(f"{source}: ttfs.label_inputs (≥ 0), ttfs.label_gate (in [0, 1)) and ttfs.label_partition "
                            f"(both need label_inputs) make a spiking_gan with ttfs.digit = -1 class-conditional; got "
                            f"{tt.label_inputs}, {tt.label_gate} and {tt.label_partition}, digit {tt.digit}")
    if tt.label_partition and (tt.label_gate or cfg.model.hidden < 10):
        raise BioawareError(f"{source}: ttfs.label_partition splits the hidden layers into ten blocks: it needs "
                            f"model.hidden ≥ 10 (got {cfg.model.hidden}) and replaces ttfs.label_gate (set it to 0)")
    bounds = tt.block_output_init
    if bounds and (not tt.label_partition or len(bounds) != 10 or not all(
            isinstance(pair, list) and len(pair) == 2 and all(is_number(v) for v in pair) and pair[0] < pair[1]
            for pair in bounds)):
        raise BioawareError(f"{source}: ttfs.block_output_init needs ttfs.label_partition and ten [low, high] pairs "
                            f"(low < high), one per digit 0–9; got {bounds!r}")
    scale_offset = tt.exemplar_init
    if scale_offset and (len(scale_offset) != 2 or not all(is_number(v) for v in scale_offset) or scale_offset[0] <= 0):
        raise BioawareError(f"{source}: ttfs.exemplar_init is a spiking_gan's [scale, offset] (scale > 0) for its "
                            f"generator's output weights, or [] for uniform ones; got {scale_offset!r}")
    if tt.mode_seeking < 0:
        raise BioawareError(f"{source}: ttfs.mode_seeking weighs a spiking_gan generator's mode-seeking term; "
                            f"it must be ≥ 0; got {tt.mode_seeking}")
    if tt.mode_seeking_per_block and not (tt.label_partition and tt.mode_seeking and cfg.train.select_every):
        raise BioawareError(f"{source}: ttfs.mode_seeking_per_block adapts each digit block's mode-seeking weight "
                            "at the checks: it needs ttfs.label_partition, ttfs.mode_seeking > 0 and "
                            "train.select_every > 0")
    if tt.block_candidates < 1 or (tt.block_candidates > 1 and not (tt.label_partition and cfg.train.select_every)):
        raise BioawareError(f"{source}: ttfs.block_candidates must be ≥ 1, and > 1 only with ttfs.label_partition and "
                            f"train.select_every > 0 (got {tt.block_candidates})")
    if cfg.baselines.ann_gan_epochs < 0:
        raise BioawareError(f"{source}: baselines.ann_gan_epochs must be ≥ 0 (0: train.epochs), "
                            f"got {cfg.baselines.ann_gan_epochs}")
    require_exact_training(cfg, source)


def quality_table(results: dict) -> str:
    """Markdown table: recognised fraction, Fréchet distance (and its two terms), variety and (where measured) the
    mean distance to the nearest training image of the samples and of the real test images, per generator (phase)."""
    rows = ["| generator | recognised (p ≥ 0.9) | Fréchet distance | its mean / covariance terms | variety "
            "| nearest training image: samples / real | samples / real |", "|---|---|---|---|---|---|---|"]
    for phase, r in results.items():
        nearest = f"{r['nearest_train']:.2f} / {r['nearest_train_real']:.2f}" if "nearest_train" in r else "–"
        rows.append(f"| {phase} | {r['recognised']:.3f} | {r['frechet']:.2f} | {r['frechet_mean_term']:.1f} / "
                    f"{r['frechet_covariance_term']:.1f} | {r['variety']:.3f} | {nearest} | "
                    f"{r['n_samples']} / {r['n_real']} |")
    return "\n".join(rows)


FAMILY = Family(
    name="spiking_gan", kinds=("spiking_gan",), page="docs/ttfs.md", build_tasks=build_tasks, validate=validate,
    export=export_ttfs, results_table=quality_table,
    settings=("ttfs.digit", "ttfs.label_inputs", "ttfs.label_gate", "ttfs.label_partition", "ttfs.block_candidates",
              "ttfs.block_output_init", "ttfs.exemplar_init", "ttfs.mode_seeking", "ttfs.mode_seeking_per_block",
              "ttfs.generator_loss", "ttfs.generator_lr", "baselines.ann_gan", "baselines.ann_gan_epochs",
              "train.select_every"))
