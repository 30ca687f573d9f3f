"""Spike encoders: intensities in [0, 1] → binary spike trains [T, batch, features]."""

from __future__ import annotations

import torch


def bernoulli_rate(x: torch.Tensor, steps: int, max_rate: float = 1.0,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Independent spikes with probability `max_rate · x` in each of `steps` time steps."""
    p = (x.clamp(0.0, 1.0) * max_rate).expand(steps, *x.shape)
    return (torch.rand(p.shape, generator=generator, dtype=x.dtype, device=x.device) < p).to(x.dtype)


def poisson_rate(x: torch.Tensor, steps: int, max_rate: float = 1.0,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Poisson process of `max_rate · x` expected events per step, at most one spike per step.

    A step fires when its Poisson count is ≥ 1, i.e. with probability 1 − exp(−max_rate · x).
    """
    return bernoulli_rate(-torch.expm1(-x.clamp(0.0, 1.0) * max_rate), steps, 1.0, generator)


ENCODERS = {"bernoulli": bernoulli_rate, "poisson": poisson_rate}


def rate_encode(name: str, x: torch.Tensor, steps: int, max_rate: float,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Encode with the rate encoder called `name` (see :data:`ENCODERS`)."""
    return ENCODERS[name](x, steps, max_rate, generator)
