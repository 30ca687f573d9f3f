"""Time-to-first-spike classifier (S4NN, Kheradpisheh & Masquelier 2020; Spiking-GAN's aggressive TTFS loss),
`ttfs_classifier`: 784-H-10 single-spike IF layers, trained by S4NN's rule or a surrogate gradient, with an
optional output-layer readout phase."""

from __future__ import annotations

import dataclasses

from bioaware.core.config import Config, TrainSection
from bioaware.core.errors import BioawareError
from bioaware.families.base import Family, require_exact_training
from bioaware.families.single_spike import export_ttfs
from bioaware.train.tasks import Task
from bioaware.evaluation.ttfs_accuracy import accuracy_table
from bioaware.train.ttfs_classifier import S4NNClassifierTask, SurrogateClassifierTask, TTFSReadoutTask


def build_tasks(cfg: Config) -> list[tuple[Task, TrainSection]]:
    """The classifier trained by its rule, then (with ttfs.readout_epochs) its readout phase."""
    m, t, tt = cfg.model, cfg.train, cfg.ttfs
    trained = (SurrogateClassifierTask if tt.rule == "surrogate" else S4NNClassifierTask)(m, tt, t)
    tasks: list[tuple[Task, TrainSection]] = [(trained, t)]
    if tt.readout_epochs:
        readout = dataclasses.replace(t, optimizer="adam", lr=tt.readout_lr, lr_schedule="constant", weight_decay=0.0,
                                      epochs=tt.readout_epochs, batch_size=tt.readout_batch_size)
        tasks.append((TTFSReadoutTask(trained, m, tt, readout), readout))
    return tasks


def validate(cfg: Config, source: str) -> None:
    tt = cfg.ttfs
    if tt.deadline and (tt.target != "relative" or not 0 < tt.deadline < tt.steps):
        raise BioawareError(f"{source}: ttfs.deadline works with model.kind = 'ttfs_classifier' and ttfs.target = "
                            f"'relative' and must lie between 0 and ttfs.steps ({tt.steps}), got {tt.deadline}")
    if tt.readout_epochs < 0:
        raise BioawareError(f"{source}: ttfs.readout_epochs must be ≥ 0, got {tt.readout_epochs}")
    if tt.readout_epochs and (not 0 < tt.readout_deadline < tt.steps or tt.readout_margin < 0 or tt.readout_lr <= 0
                              or tt.readout_batch_size < 1):
        raise BioawareError(f"{source}: ttfs.readout_epochs trains a ttfs_classifier's output layer; it needs "
                            f"0 < ttfs.readout_deadline < ttfs.steps ({tt.steps}), ttfs.readout_margin ≥ 0, "
                            f"ttfs.readout_lr > 0 and ttfs.readout_batch_size ≥ 1; got {tt.readout_deadline}, "
                            f"{tt.readout_margin}, {tt.readout_lr} and {tt.readout_batch_size}")
    span = tt.surrogate_steps
    span_ok = isinstance(span, list) and len(span) == 2 and all(isinstance(v, int) for v in span) \
        and 1 <= span[0] <= span[1] < tt.steps
    if tt.rule not in ("s4nn", "surrogate") or (tt.rule == "surrogate" and (
            not span_ok or tt.surrogate_samples < 1 or tt.surrogate_width <= 0 or tt.surrogate_noise < 0
            or tt.surrogate_temperature <= 0 or tt.surrogate_late < 0
            or not (0 <= tt.input_drop < 1 and 0 <= tt.hidden_drop < 1))):
        raise BioawareError(f"{source}: ttfs.rule is 's4nn' or 'surrogate' (with ttfs.surrogate_steps [first, last], "
                            f"integers 1 ≤ first ≤ last < ttfs.steps, surrogate_samples ≥ 1, surrogate_width and "
                            f"surrogate_temperature > 0, surrogate_noise and surrogate_late ≥ 0, input_drop and "
                            f"hidden_drop in [0, 1)); got {tt.rule!r}, surrogate_steps {span!r}")
    if tt.held_out < 0 or bool(tt.held_out) != bool(cfg.train.select_every) or not 0 < tt.select_deadline <= tt.steps:
        raise BioawareError(f"{source}: a ttfs_classifier's ttfs.held_out (images, ≥ 0) and train.select_every go "
                            f"together (both 0, or both > 0), with 0 < ttfs.select_deadline ≤ ttfs.steps; got "
                            f"{tt.held_out}, {cfg.train.select_every} and {tt.select_deadline}")
    require_exact_training(cfg, source)


FAMILY = Family(
    name="ttfs_classifier", kinds=("ttfs_classifier",), page="docs/ttfs.md", build_tasks=build_tasks,
    validate=validate, export=export_ttfs, results_table=accuracy_table,
    settings=("ttfs.deadline", "ttfs.rule", "ttfs.readout_epochs", "ttfs.held_out", "train.select_every"))
