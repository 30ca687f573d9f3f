"""Reconstruction metrics as Roy et al. (2019) define them."""

from __future__ import annotations

import torch


def standardise(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Each row [.., N] shifted to zero mean and scaled to unit variance (constant rows stay 0)."""
    centred = x - x.mean(dim=-1, keepdim=True)
    return centred / (centred.pow(2).mean(dim=-1, keepdim=True).sqrt() + eps)


def normalised_mse(images: torch.Tensor, reconstruction: torch.Tensor) -> float:
    """MSE between image and reconstruction (e.g. summed output spikes), both standardised per image."""
    return float((standardise(images) - standardise(reconstruction)).pow(2).mean())


def spike_mse(in_counts: torch.Tensor, out_counts: torch.Tensor) -> float:
    """MSE between input and output spike maps, each summed over time (spikes² per pixel)."""
    return float((in_counts - out_counts).pow(2).mean())
