"""Training and caching the small judging networks of sample quality (trained once per run, never by the model
under judgement)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from bioaware.core.log import info
from bioaware.core.rundir import atomic_write


@torch.enable_grad()
def fit(model: nn.Module, batch_loss: Callable[[torch.Tensor], torch.Tensor], n: int, epochs: int, seed: int,
        desc: str, batch_size: int = 128) -> nn.Module:
    """Adam 1e-3 on `batch_loss(index)` (a batch of indices into n training examples), `epochs` shuffled passes;
    returns the model in eval mode."""
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order_gen = torch.Generator().manual_seed(seed)
    batches = [(e, b) for e in range(epochs) for b in range(0, n, batch_size)]
    order = None
    for _, start in tqdm(batches, desc=desc, unit="batch", mininterval=1.0):
        if start == 0:
            order = torch.randperm(n, generator=order_gen)
        loss = batch_loss(order[start:start + batch_size])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return model.eval()


def load_cached(path: Path, model: nn.Module) -> tuple[nn.Module, dict]:
    """(`model` with the weights saved in `path`, in eval mode; the scores saved beside them), loaded weights only."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state.pop("model"))
    return model.eval(), state


def cached_model(path: Path, model: nn.Module, train: Callable[[], tuple[nn.Module, dict]], what: str
                 ) -> tuple[nn.Module, dict]:
    """(model, its scores) loaded from `path` (weights only), or `train()`ed and saved there first."""
    if path.is_file():
        return load_cached(path, model)
    info(f"training {what} (cached in {path})")
    model, scores = train()
    atomic_write(path, lambda tmp: torch.save({"model": model.state_dict(), **scores}, tmp))
    return model, scores
