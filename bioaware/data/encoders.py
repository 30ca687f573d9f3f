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


def latency_encode(x: torch.Tensor, invert: bool = True, no_spike: float = 1000.0) -> torch.Tensor:
    """One spike per pixel at t = value (time units; the input interval is [0, 1]) — Comşa et al.'s code.

    With `invert` the value is 1 − x, so bright (salient) pixels spike early. A value of 1 (white in
    the coded image) does not spike: its time is `no_spike`.
    """
    v = (1.0 - x if invert else x).clamp(0.0, 1.0)
    return torch.where(v < 1.0, v, torch.full_like(v, no_spike))


def latency_decode(times: torch.Tensor, latency: float = 0.0, invert: bool = True) -> torch.Tensor:
    """Pixels in [0, 1] from spike times: value = clip(t − latency, 0, 1) (late or silent → 1), inverted back."""
    v = (times - latency).clamp(0.0, 1.0)
    return 1.0 - v if invert else v


def add_noise(x: torch.Tensor, eta: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """x + η·N(0, 1), clipped to [0, 1] (η = 0 returns x). On the inverted code this is noise about 1 − x."""
    if eta == 0.0:
        return x
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return (x + eta * noise).clamp(0.0, 1.0)
