"""The trained rate-coded model's side of every agreement: its per-layer spikes and reconstruction MSE."""

from __future__ import annotations

import numpy as np
import torch

from bioaware.agreement.spike_metrics import count_correlation, matched_fraction, van_rossum_distance
from bioaware.core.metrics import normalised_mse


def trained_reference(out) -> dict[str, np.ndarray]:
    """Spikes [T, images, N] of the layers every comparison reports, from the trained model's forward output."""
    return {name: spikes.numpy() for name, spikes in out.by_layer().items()}


def reconstruction_mse(images: torch.Tensor, counts: dict[str, np.ndarray]) -> float:
    """The autoencoder's metric on spike counts [T, images, 784] of its 'reconstruction' layer."""
    return normalised_mse(images, torch.from_numpy(counts["reconstruction"].sum(0)).float())


def layer_agreement(reference: np.ndarray, other: np.ndarray, label: str) -> dict:
    """Spike counts, count correlation, spikes matched within one step and van Rossum distance of one layer."""
    return {"spikes_trained": int(reference.sum()), label: int(other.sum()),
            "count_correlation": count_correlation(reference, other),
            "matched_within_1_step": matched_fraction(reference, other),
            "van_rossum": van_rossum_distance(reference, other)}
