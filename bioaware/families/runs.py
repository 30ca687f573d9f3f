"""One run end to end: data → train the configured model and its baselines → test metrics → figures."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from bioaware.core.config import Config, TrainSection, config_from_dict
from bioaware.core.errors import BioawareError
from bioaware.core.checkpoint import load_checkpoint
from bioaware.data.datasets import ImageData, load_images
from bioaware.core.figures import loss_curves, selection_curves
from bioaware.train.loop import fit, total_batches
from bioaware.core.rundir import RunDir
from bioaware.train.tasks import AnnAutoencoderTask, SpikingAutoencoderTask, Task, TemporalAutoencoderTask

PAPER_MSE = "Roy et al. 2019, Table 1 (test MSE): MNIST 196: SNN 0.357, ANN 0.226, ANN+Adam 0.122; " \
            "Fashion 1024: SNN 0.140, ANN 0.418, ANN+Adam 0.387; Fashion 512: SNN 0.178"


def build_tasks(cfg: Config) -> list[tuple[Task, TrainSection]]:
    """The configured model first, then the ANN baselines the config asks for, each with its training section.

    Baselines share epochs, batch size and weight decay with the main model, at their own
    learning rate and without a schedule, as in the paper.
    """
    m, t, b = cfg.model, cfg.train, cfg.baselines
    if m.kind == "ttfs_classifier":
        from bioaware.train.ttfs_classifier import S4NNClassifierTask, SurrogateClassifierTask, TTFSReadoutTask

        rule = SurrogateClassifierTask if cfg.ttfs.rule == "surrogate" else S4NNClassifierTask
        trained = rule(m, cfg.ttfs, t)
        classifiers: list[tuple[Task, TrainSection]] = [(trained, t)]
        if cfg.ttfs.readout_epochs:
            readout = dataclasses.replace(t, optimizer="adam", lr=cfg.ttfs.readout_lr, lr_schedule="constant",
                                          weight_decay=0.0, epochs=cfg.ttfs.readout_epochs,
                                          batch_size=cfg.ttfs.readout_batch_size)
            classifiers.append((TTFSReadoutTask(trained, m, cfg.ttfs, readout), readout))
        return [(task.to(t.device), section) for task, section in classifiers]
    if m.kind == "spiking_gan":
        from bioaware.train.gan import AnnGANTask, SpikingGANTask

        gans: list[tuple[Task, TrainSection]] = [(SpikingGANTask(m, cfg.ttfs, t), t)]
        if b.ann_gan:
            ann = dataclasses.replace(t, optimizer="adam", lr=b.adam_lr, lr_schedule="constant", weight_decay=0.0,
                                      epochs=b.ann_gan_epochs or t.epochs)
            gans.append((AnnGANTask(m, cfg.ttfs, ann), ann))
        return [(task.to(t.device), section) for task, section in gans]
    if m.kind == "comsa_ae":
        tasks: list[tuple[Task, TrainSection]] = [(TemporalAutoencoderTask(m, cfg.temporal, t), t)]
    elif m.kind != "ann_ae":
        tasks = [(SpikingAutoencoderTask(m, t), t)]
    else:
        tasks = [(AnnAutoencoderTask(m, t.optimizer, t.lr, t.weight_decay, f"ann_{t.optimizer}", noise=t.noise), t)]
    for enabled, optimizer, lr, invert in ((b.ann_sgd, "sgd", b.sgd_lr, False), (b.ann_adam, "adam", b.adam_lr, False),
                                           (b.ann_adam_inverted, "adam", b.adam_lr, True)):
        if enabled:
            phase = f"ann_{optimizer}" + ("_inverted" if invert else "")
            task = AnnAutoencoderTask(m, optimizer, lr, t.weight_decay, phase, invert, t.noise)
            tasks.append((task, dataclasses.replace(t, optimizer=optimizer, lr=lr, lr_schedule="constant")))
    return [(task.to(t.device), section) for task, section in tasks]


def run_training(cfg: Config, run_dir: Path, fresh: bool = False, max_batches: int | None = None,
                 data: ImageData | None = None) -> dict[str, dict]:
    """Train and evaluate every task of `cfg` in `run_dir`; returns {phase: test metrics}."""
    torch.manual_seed(cfg.run.seed)
    run = RunDir(run_dir)
    if fresh:
        for phase_ckpt in run.path.glob("*.ckpt"):
            phase_ckpt.unlink()
        run.metrics_file.unlink(missing_ok=True)
    config = cfg.to_dict()
    data = data or load_images(cfg.data)
    run.record_start(config, {"data_source": data.source, "n_train": len(data.train_x), "n_test": len(data.test_x)})
    results: dict[str, dict] = {}
    for task, train_cfg in build_tasks(cfg):
        train_x, train_y = task.training_set(data)
        task.init_from_data(train_x, train_y, cfg.run.seed)
        validate = task.validator(data, run, cfg.run.seed) if train_cfg.select_every else None
        reached = fit(task, train_x, train_cfg, cfg.run.seed, run, config, max_batches, train_y, validate)
        if reached < total_batches(len(train_x), train_cfg):
            continue
        results[task.phase] = task.test_metrics(data, cfg.train.batch_size, cfg.run.seed, run)
        kept = [r for r in run.metrics() if r.get("phase") == task.phase and r.get("kind") == "kept"]
        if kept:
            results[task.phase] |= {"kept_batch": kept[-1]["step"], "of_batches": kept[-1]["of"]}
        run.log({"phase": task.phase, "kind": "test", **results[task.phase]})
        task.figures(data, cfg.run.seed, run, results[task.phase])
    metrics = run.metrics()
    loss_curves(metrics, run.figures / "loss.png")
    selection_curves(metrics, run.figures / "selection.png")
    if results:
        run.write_json("results.json", {"results": results, **({"paper": PAPER_MSE} if cfg.model.kind in ("roy_ae", "conv_if_ae", "ann_ae") else {})})
    return results


def open_run(run_dir: Path) -> tuple[RunDir, Config, dict]:
    """A finished or interrupted run directory: (RunDir, validated config, resolved config dict)."""
    if not (Path(run_dir) / "config.json").is_file():
        raise BioawareError(f"{run_dir}: no config.json here; pass a run directory written by `bioaware train`")
    run = RunDir(run_dir)
    config = run.read_json("config.json")
    cfg = config_from_dict(config, str(run.path / "config.json"))
    if cfg.train.device == "cuda" and not torch.cuda.is_available():
        cfg.train.device = "cpu"  # trained on a GPU, used here: checkpoints load on either
    return run, cfg, config


def restore(task: Task, run: RunDir, config: dict) -> Task:
    """Load the task's trained state from its checkpoint in `run`."""
    ckpt = run.checkpoint(task.phase)
    if not ckpt.is_file():
        raise BioawareError(f"{ckpt}: missing; train first with `bioaware train <config>`")
    task.load_state_dict(load_checkpoint(ckpt, config)["task"])
    return task

