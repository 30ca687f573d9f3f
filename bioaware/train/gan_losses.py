"""The Spiking-GAN generator's loss terms beyond fooling the discriminator: mode seeking and feature matching
on spike times, and the per-digit schedule of the mode-seeking weight."""

from __future__ import annotations

import torch


def mode_seeking_loss(fake: torch.Tensor, noise: torch.Tensor, steps: int) -> torch.Tensor:
    """Mode seeking (Mao et al. 2019) on spike times: pairs the batch's first and second half and returns minus
    the mean ratio of their images' mean |Δt| over their inputs' mean |Δt|; minimising it spreads the samples
    that different noise draws give (a generator that ignores its noise has ratio 0)."""
    half = len(fake) // 2
    image = (fake[:half] - fake[half:2 * half]).abs().mean(1)
    code = (noise[:half] - noise[half:2 * half]).abs().mean(1).clamp_min(1.0 / steps)
    return -(image / code).mean()


def feature_gap(fake: torch.Tensor, real: torch.Tensor, steps: int, spread: bool) -> torch.Tensor:
    """Feature matching on the discriminator's hidden spike times [B, H] (steps): half the squared distance between
    the fake and real batch means, in units of T; with `spread`, plus that between their standard deviations over
    the batch, so that fake samples that vary less than real ones along a feature are pushed apart along it."""
    gap = ((fake.mean(0) - real.mean(0)) / steps).pow(2).sum()
    if spread:  # the small floor keeps the gradient finite where every sample has the same time
        def std(x): return (x.var(0, unbiased=False) + 1e-6).sqrt()
        gap = gap + ((std(fake) - std(real)) / steps).pow(2).sum()
    return 0.5 * gap


def adapt_mode_seeking(weights: torch.Tensor, recognised: torch.Tensor, ceiling: float,
                       enough: float) -> torch.Tensor:
    """Per-digit mode-seeking weights [10] after a check: halved for the digits whose samples were recognised
    less often than `enough` (`recognised` [10]), doubled for the others, from at least `ceiling`/4
    and up to `ceiling` (they start at 0: a block first learns to draw its digit, then to vary it)."""
    grown = (weights * 2).clamp(min=ceiling / 4, max=ceiling)
    return torch.where(recognised < enough, weights / 2, grown)
