"""One run end to end (data → train the configured model and what trains beside it → test metrics → figures),
and opening a finished run again."""

from __future__ import annotations

from pathlib import Path

import torch

from bioaware.core.config import Config, TrainSection
from bioaware.core.errors import BioawareError
from bioaware.core.log import info
from bioaware.core.processes import ProcessGroup, join_process_group
from bioaware.data.datasets import ImageData
from bioaware.core.figures import loss_curves, selection_curves, test_curves
from bioaware.train.loop import fit, restore_checkpoint, total_batches
from bioaware.core.rundir import RunDir
from bioaware.families import checked_config, family_of, load_data
from bioaware.train.tasks import Task


def build_tasks(cfg: Config) -> list[tuple[Task, TrainSection]]:
    """The tasks of `cfg`'s model family (the configured model first, then what trains beside it), each with its
    training section, on the configured device."""
    return [(task.to(cfg.train.device), section) for task, section in family_of(cfg).build_tasks(cfg)]


def run_training(cfg: Config, run_dir: Path, fresh: bool = False, max_batches: int | None = None,
                 data: ImageData | None = None, until_epoch: int | None = None) -> dict[str, dict]:
    """Train and evaluate every task of `cfg` in `run_dir`; returns {phase: test metrics} of the tasks trained to
    the end. Each task stops early after `max_batches` batches in this call or at the end of epoch `until_epoch`
    (see :func:`fit`). Launched by torchrun, every process trains its share of each batch; process 0 alone writes,
    tests and returns the metrics."""
    group = join_process_group(cfg.train.device)
    try:
        if group.world > 1:
            refuse_unshardable(cfg, group)
        if not group.writer:
            results = _train_share(cfg, RunDir(run_dir), max_batches, until_epoch, data, group)
        else:
            run = RunDir(run_dir)
            with run.lock():
                results = _train_locked(cfg, run, fresh, max_batches, until_epoch, data, group)
        group.barrier()  # the processes leave together: none tears the group down while process 0 still writes
        return results
    finally:
        group.close()


def refuse_unshardable(cfg: Config, group: ProcessGroup) -> None:
    names = [task.phase for task, _ in family_of(cfg).build_tasks(cfg) if not task.shardable]
    if names or cfg.train.select_every:
        raise BioawareError(f"model.kind = {cfg.model.kind!r} (phases {', '.join(names) or 'with selection'}) does not "
                            f"train across processes; run it without torchrun (this was {group.world} processes)")


def _train_share(cfg: Config, run: RunDir, max_batches: int | None, until_epoch: int | None,
                 data: ImageData | None, group: ProcessGroup) -> dict:
    """A process other than 0: wait until process 0 has checked the run directory, then train this process's share
    of every batch (its checkpoints and metrics are process 0's to write)."""
    torch.manual_seed(cfg.run.seed)
    group.barrier()
    data = data or load_data(cfg)
    for task, train_cfg in build_tasks(cfg):
        train_x, train_y = task.training_set(data)
        task.init_from_data(train_x, train_y, cfg.run.seed)
        fit(task, train_x, train_cfg, cfg.run.seed, run, cfg.to_dict(), max_batches, train_y, None, group,
            until_epoch)
    return {}


def _train_locked(cfg: Config, run: RunDir, fresh: bool, max_batches: int | None, until_epoch: int | None,
                  data: ImageData | None, group: ProcessGroup = ProcessGroup()) -> dict[str, dict]:
    torch.manual_seed(cfg.run.seed)
    if fresh and (aside := run.set_aside()) is not None:
        info(f"--fresh: the earlier run in {run.path} was moved to {aside}")
    config = cfg.to_dict()
    data = data or load_data(cfg)
    tasks = build_tasks(cfg)
    for task, _ in tasks:  # a checkpoint of another config or network is refused before anything is written
        for ckpt in (run.checkpoint(task.phase), run.checkpoint(task.phase).with_suffix(".best.ckpt")):
            if ckpt.is_file():
                restore_checkpoint(task, ckpt, config)
    run.record_start(config, {"data_source": data.source, "n_train": len(data.train_x), "n_test": len(data.test_x),
                              "processes": group.world})
    group.barrier()  # the other processes start training from here
    results: dict[str, dict] = {}
    for task, train_cfg in tasks:
        train_x, train_y = task.training_set(data)
        task.init_from_data(train_x, train_y, cfg.run.seed)
        validate = task.validator(data, run, cfg.run.seed) if train_cfg.select_every else None
        reached = fit(task, train_x, train_cfg, cfg.run.seed, run, config, max_batches, train_y, validate, group,
                      until_epoch)
        if reached < total_batches(len(train_x), train_cfg):
            continue
        results[task.phase] = task.test_metrics(data, cfg.train.batch_size, cfg.run.seed, run)
        kept = [r for r in run.metrics() if r.get("phase") == task.phase and r.get("kind") == "kept"]
        if kept:
            results[task.phase] |= {"kept_batch": kept[-1]["step"], "of_batches": kept[-1]["of"]}
        run.log({"phase": task.phase, "kind": "test", "step": results[task.phase].get("kept_batch", reached),
                 **results[task.phase]})
        task.figures(data, cfg.run.seed, run, results[task.phase])
    metrics = run.metrics()
    loss_curves(metrics, run.figures / "loss.png")
    selection_curves(metrics, run.figures / "selection.png")
    test_curves(metrics, run.figures / "test_metrics.png")
    if results:
        paper = family_of(cfg).paper
        run.write_json("results.json", {"results": results, **({"paper": paper} if paper else {})})
    return results


def open_run(run_dir: Path) -> tuple[RunDir, Config, dict]:
    """A finished or interrupted run directory: (RunDir, validated config, resolved config dict)."""
    if not (Path(run_dir) / "config.json").is_file():
        raise BioawareError(f"{run_dir}: no config.json here; pass a run directory written by `bioaware train`")
    run = RunDir(run_dir)
    config = run.read_json("config.json")
    cfg = checked_config(config, str(run.path / "config.json"))
    if cfg.train.device == "cuda" and not torch.cuda.is_available():
        cfg.train.device = "cpu"  # trained on a GPU, used here: checkpoints load on either
    return run, cfg, config


def evaluate_run(run_dir: Path) -> tuple[RunDir, Config, dict[str, dict]]:
    """(run, config, {phase: test metrics}) of every model of a finished or interrupted run, from its checkpoints;
    draws the figures and logs each model's metrics in metrics.jsonl (kind "evaluate", at its checkpoint's batch),
    so the slices of a long schedule leave their test metrics behind. Holds the run's lock while it writes."""
    run, cfg, config = open_run(run_dir)
    data = load_data(cfg)
    results = {}
    with run.lock():
        for task, _ in build_tasks(cfg):
            step = _load_trained_state(task, run, config)["step"]
            results[task.phase] = task.test_metrics(data, cfg.train.batch_size, cfg.run.seed, run)
            run.log({"phase": task.phase, "kind": "evaluate", "step": step, **results[task.phase]})
            task.figures(data, cfg.run.seed, run, results[task.phase])
        test_curves(run.metrics(), run.figures / "test_metrics.png")
    return run, cfg, results


def _load_trained_state(task: Task, run: RunDir, config: dict) -> dict:
    """Load the task's trained state from its checkpoint in `run`; returns the checkpoint (its batch: "step")."""
    ckpt = run.checkpoint(task.phase)
    if not ckpt.is_file():
        raise BioawareError(f"{ckpt}: missing; train first with `bioaware train <config>`")
    return restore_checkpoint(task, ckpt, config)


def restore(task: Task, run: RunDir, config: dict) -> Task:
    """Load the task's trained state from its checkpoint in `run`."""
    _load_trained_state(task, run, config)
    return task

