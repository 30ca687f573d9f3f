"""How the Spiking-GAN's weights start: label inputs that gate or partition the hidden layer, per-digit output
blocks, and output weights drawn from training images."""

from __future__ import annotations

import torch
from torch import nn

from bioaware.core.errors import BioawareError
from bioaware.models.ttfs_net import uniform_weights
from bioaware.train.block_selection import digit_blocks


@torch.no_grad()
def init_label_weights(weight: torch.Tensor, first: int, per_digit: int, gate: float, drive: float,
                       threshold: float) -> None:
    """The generator's label inputs (columns `first` on of its hidden weights [H, inputs], `per_digit` per digit)
    start silent (weight 0) but for the gate: each digit's inputs reach a random `gate` fraction of the hidden
    neurons with `drive`·θ in all (≥ 1: they fire at once for that digit; < 0: they cannot fire for it)."""
    weight[:, first:] = 0.0
    for d in range(10):
        rows = torch.randperm(len(weight))[:round(gate * len(weight))]
        columns = torch.arange(first + d * per_digit, first + (d + 1) * per_digit)
        weight[rows[:, None], columns] = drive * threshold / per_digit


def partition_by_label(weight: nn.Parameter, first: int, per_digit: int, threshold: float) -> None:
    """Label inputs (columns `first` on of hidden weights [H, inputs], `per_digit` per digit) that split the hidden
    neurons into ten blocks: digit d's inputs give every neuron outside block d −10·θ at t = 0, so only block d
    can fire, and these silencing weights get no gradient (a hook zeroes it; a digit's weights to its own
    block start at 0 and train). Each block then learns from its own digit's batches only."""
    block = digit_blocks(len(weight))
    silences = (block[:, None] != torch.arange(10)).repeat_interleave(per_digit, 1)
    with torch.no_grad():
        weight[:, first:] = torch.where(silences, -10.0 * threshold / per_digit, 0.0).to(weight)
    frozen = torch.cat([torch.zeros(len(weight), first, dtype=torch.bool), silences], 1)
    weight.register_hook(lambda grad: grad.masked_fill(frozen.to(grad.device), 0.0))


@torch.no_grad()
def init_blocks(weight: nn.Parameter, bounds: list) -> None:
    """Each digit block's columns of output weights [out, H] drawn uniformly from its own [low, high) in `bounds`
    (ten pairs; none: leave them): a thin digit such as 1 may need narrower ones than the others."""
    block = digit_blocks(weight.shape[1])
    for digit, (low, high) in enumerate(bounds):
        mine = block == digit
        weight[:, mine] = uniform_weights(weight.shape[0], int(mine.sum()), low, high).to(weight)


@torch.no_grad()
def init_from_exemplars(weight: nn.Parameter, images: torch.Tensor, labels: torch.Tensor, blocks: torch.Tensor | None,
                        scale: float, offset: float, generator: torch.Generator) -> None:
    """Output weights [784, H] whose column k is scale·x + offset for a training image x (pixels in [0, 1], drawn
    without replacement) — of digit `blocks[k]` when given, else any of `images`. A pixel then fires once enough
    of the hidden neurons whose images light it have fired, so each sample blends the images of the neurons its
    noise fires first, and the samples vary along directions real digits vary in."""
    pools = [torch.arange(len(images))] if blocks is None else [(labels == d).nonzero().squeeze(1) for d in range(10)]
    for which, pool in enumerate(pools):
        columns = torch.arange(weight.shape[1]) if blocks is None else (blocks == which).nonzero().squeeze(1)
        if len(pool) < len(columns):
            raise BioawareError(f"ttfs.exemplar_init needs {len(columns)} training images"
                                f"{'' if blocks is None else f' of digit {which}'}, the data has {len(pool)}")
        picked = images[pool[torch.randperm(len(pool), generator=generator)[:len(columns)]]].reshape(len(columns), -1)
        weight[:, columns.to(weight.device)] = (scale * picked + offset).T.to(weight)
