"""The same-size ANN autoencoders the config's [baselines] ask for beside a spiking autoencoder."""

from __future__ import annotations

import dataclasses

from bioaware.core.config import Config, TrainSection
from bioaware.train.tasks import AnnAutoencoderTask, Task


def ann_baselines(cfg: Config) -> list[tuple[Task, TrainSection]]:
    """Plain SGD, Adam and Adam on inverted images (1 − x), as enabled; they share epochs, batch size and weight
    decay with the main model, at their own learning rate and without a schedule, as in the papers."""
    m, t, b = cfg.model, cfg.train, cfg.baselines
    tasks = []
    for enabled, optimizer, lr, invert in ((b.ann_sgd, "sgd", b.sgd_lr, False), (b.ann_adam, "adam", b.adam_lr, False),
                                           (b.ann_adam_inverted, "adam", b.adam_lr, True)):
        if enabled:
            phase = f"ann_{optimizer}" + ("_inverted" if invert else "")
            task = AnnAutoencoderTask(m, optimizer, lr, t.weight_decay, phase, invert, t.noise)
            tasks.append((task, dataclasses.replace(t, optimizer=optimizer, lr=lr, lr_schedule="constant")))
    return tasks


def mse_table(results: dict) -> str:
    """The autoencoders' console table: MSE, Spike-MSE and pixel MSE per trained model."""
    rows = [f"  {'model':<18} {'MSE':>8} {'Spike-MSE':>10} {'pixel MSE':>10}"]
    for phase, r in results.items():
        spike = f"{r['spike_mse']:.3f}" if "spike_mse" in r else "-"
        pixel = f"{r['pixel_mse']:.4f}" if "pixel_mse" in r else "-"
        rows.append(f"  {phase:<18} {r['mse']:>8.4f} {spike:>10} {pixel:>10}")
    return "\n".join(rows)
