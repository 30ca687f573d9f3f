"""The training loop every task shares: data order, progress bar, learning-rate schedule,
periodic checkpoints, resume after interruption, model selection, and test-set evaluation."""

from __future__ import annotations

import math
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

import torch
from tqdm.auto import tqdm

from bioaware.core.config import TrainSection
from bioaware.core.errors import BioawareError, Interrupted
from bioaware.core.log import info
from bioaware.core.checkpoint import fingerprint, load_checkpoint, save_checkpoint
from bioaware.core.processes import ProcessGroup
from bioaware.core.rundir import RunDir
from bioaware.train.tasks import Task, Validator


@contextmanager
def stop_requests():
    """Yield a flag that turns true on the first SIGINT/SIGTERM (a second SIGINT aborts at once)."""
    flag = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def request(signum, frame):
        if flag.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        flag.set()

    previous = {s: signal.signal(s, request) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def learning_rate(base: float, schedule: str, step: int, total: int) -> float:
    if schedule == "cosine":
        return base * 0.5 * (1.0 + math.cos(math.pi * step / total))
    return base


def restore_checkpoint(task: Task, path: Path, config: dict) -> dict:
    """Load the checkpoint at `path`, written for `config`, into `task`; returns the checkpoint."""
    state = load_checkpoint(path, config)
    try:
        task.load_state_dict(state["task"])
    except RuntimeError as exc:  # tensors missing, unexpected or of another shape: another version's network
        detail = " ".join(str(exc).split())
        raise BioawareError(f"{path}: the {task.phase} network in this checkpoint is not the one this version of "
                            f"bioaware builds ({detail[:160]}); train it again with `bioaware train <config> "
                            "--fresh` (the earlier run is moved aside)") from None
    return state


def total_batches(n_train: int, t: TrainSection) -> int:
    return t.epochs * math.ceil(n_train / t.batch_size)


def batch_order(n: int, batch_size: int, generator: torch.Generator,
                labels: torch.Tensor | None = None) -> torch.Tensor:
    """A random permutation of range(n); with `labels` [n], batches of `batch_size` consecutive indices hold one
    label each, in random order, and each label's remainder (< batch_size images) fills the epoch's last batches."""
    if labels is None:
        return torch.randperm(n, generator=generator)
    full, rest = [], []
    for label in labels.unique():
        members = torch.nonzero(labels == label).squeeze(1)
        members = members[torch.randperm(len(members), generator=generator)]
        cut = len(members) - len(members) % batch_size
        full += list(members[:cut].split(batch_size))
        rest.append(members[cut:])
    chunks = [full[k] for k in torch.randperm(len(full), generator=generator)]
    return torch.cat(chunks + rest)


def fit(task: Task, train_x: torch.Tensor, t: TrainSection, seed: int, run: RunDir, config: dict,
        max_batches: int | None = None, train_y: torch.Tensor | None = None,
        validate: Validator | None = None, processes: ProcessGroup = ProcessGroup(),
        until_epoch: int | None = None) -> int:
    """Train `task` for `t.epochs` epochs, resuming from its checkpoint in `run` if there is one.

    Batches are drawn in an order fixed by (seed, epoch); the encoder's random generator is part
    of the checkpoint, so a resumed run repeats exactly what an uninterrupted one does.
    `max_batches` stops (with a checkpoint) after that many batches in this call, `until_epoch` at the end of that
    epoch of the run (counted from its first batch), whichever comes first. Supervised tasks
    also get the batch's labels from `train_y`; tasks with `one_label_batches` get batches of one label
    each. With `validate` (its check every `t.select_every` batches and at the end) the best model seen is kept
    in `<phase>.best.ckpt` and becomes the phase's checkpoint when training ends, after the validator's `finish`
    and the task's `keep_selected()`. Among `processes` (torchrun) each trains its share of every batch
    and only process 0 writes. Returns the step reached.
    """
    n_batches = math.ceil(len(train_x) / t.batch_size)
    total = total_batches(len(train_x), t)
    ckpt = run.checkpoint(task.phase)
    generator = torch.Generator().manual_seed(seed)
    best_ckpt = ckpt.with_suffix(".best.ckpt")
    step, best = 0, None
    if ckpt.exists():
        state = restore_checkpoint(task, ckpt, config)
        generator.set_state(state["rng"])
        step, best = state["step"], state.get("best")
        if step >= total:
            info(f"{task.phase}: already trained ({step} batches) in {run.path}")
            return step
        if until_epoch is not None and step >= until_epoch * n_batches:
            info(f"{task.phase}: already trained to epoch {step / n_batches:g} ({step} batches of {total}) in "
                 f"{run.path}; a later --until-epoch goes on")
            return step
        if processes.writer:
            run.forget_after(task.phase, step)
            info(f"{task.phase}: resuming from {ckpt} at batch {step} of {total}")
    task.group = processes

    def save() -> None:
        if not processes.writer:
            return
        save_checkpoint(ckpt, {"task": task.state_dict(), "rng": generator.get_state(), "step": step,
                               "fingerprint": fingerprint(config), "best": best})

    def select() -> None:
        nonlocal best
        row = validate.check(task, step)
        task.model.train()
        run.log({"phase": task.phase, "kind": "select", "step": step, **row})
        if best is None or row["score"] < best["score"]:
            best = {"step": step, **row}
            save_checkpoint(best_ckpt, {"task": task.state_dict(), "fingerprint": fingerprint(config)})

    base_lrs = [g["lr"] for g in task.optimizer.param_groups]
    stop_at = min(total, step + (max_batches or total), (until_epoch or t.epochs) * n_batches)
    task.model.train()
    with stop_requests() as stop, tqdm(total=total, initial=step, desc=task.phase, unit="batch",
                                       dynamic_ncols=True, mininterval=1.0, disable=not processes.writer) as bar:
        order_epoch, order = -1, None
        while step < stop_at:
            epoch, b = divmod(step, n_batches)
            if epoch != order_epoch:  # the batch order depends only on (seed, epoch)
                order_epoch = epoch
                order = batch_order(len(train_x), t.batch_size, torch.Generator().manual_seed(seed * 100_003 + epoch),
                                    train_y if task.one_label_batches else None)
            for group, base in zip(task.optimizer.param_groups, base_lrs):
                group["lr"] = learning_rate(base, t.lr_schedule, step, total)
            index = order[b * t.batch_size:(b + 1) * t.batch_size]
            task.progress = step / total
            task.shard, task.share = processes.share(len(index))
            loss = task.train_batch(train_x[index], generator, train_y[index]) if task.supervised \
                else task.train_batch(train_x[index], generator)
            losses = loss if isinstance(loss, dict) else {"loss": loss}  # GANs report each network's loss too
            step += 1
            if processes.writer:
                run.log({"phase": task.phase, "kind": "train", "epoch": epoch, "step": step, **losses,
                         "lr": task.optimizer.param_groups[0]["lr"]})
            bar.update()
            bar.set_postfix({k: f"{v:.4g}" for k, v in losses.items()}, refresh=False)
            if validate is not None and (step % t.select_every == 0 or step == total):
                select()
            if stop.is_set():
                save()
                raise Interrupted(task.phase, step)
            if step % t.checkpoint_every == 0 or step == stop_at:
                save()
    for group, base in zip(task.optimizer.param_groups, base_lrs):
        group["lr"] = base
    if step < total and processes.writer:
        info(f"{task.phase}: stopped at batch {step} of {total} (epoch {step / n_batches:.3g} of {t.epochs}); the same "
             f"command resumes it, `bioaware evaluate {run.path}` tests it as it is")
    if step == total and best is not None:
        if best["step"] != step:
            restore_checkpoint(task, best_ckpt, config)
        if validate.finish is not None:
            validate.finish(task)
        task.keep_selected()
        save()
        best_ckpt.unlink(missing_ok=True)
        run.log({"phase": task.phase, "kind": "kept", "step": best["step"], "of": total})
        info(f"{task.phase}: kept the model of batch {best['step']} of {total} "
             f"({', '.join(f'{k} {v:.3f}' for k, v in best.items() if isinstance(v, float))})")
    return step
