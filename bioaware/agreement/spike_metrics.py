"""Agreement between two spike rasters binned to training steps, arrays [T, copies, neurons]."""

from __future__ import annotations

import numpy as np


def count_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of the per-neuron spike counts (summed over time) of every copy."""
    ca, cb = a.sum(0).ravel(), b.sum(0).ravel()
    if ca.std() == 0 or cb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ca, cb)[0, 1])


def matched_fraction(a: np.ndarray, b: np.ndarray, window: int = 1) -> float:
    """2·matched / (spikes in a + spikes in b): a spike of `a` matches an unused spike of `b` of the
    same neuron within `window` steps (same step first, then earlier, then later)."""
    total = a.sum() + b.sum()
    if total == 0:
        return 1.0
    left, right = a.astype(float).copy(), b.astype(float).copy()
    matched = 0.0
    for shift in [0] + [s for k in range(1, window + 1) for s in (-k, k)]:
        for t in range(len(left)):
            u = t + shift
            if 0 <= u < len(right):
                m = np.minimum(left[t], right[u])
                matched += m.sum()
                left[t] -= m
                right[u] -= m
    return float(2 * matched / total)


def van_rossum_distance(a: np.ndarray, b: np.ndarray, tau_steps: float = 1.0) -> float:
    """Mean over neurons of the van Rossum distance (exponential kernel of `tau_steps` training steps),
    normalised so that one unmatched spike counts about 1/√2."""
    decay = np.exp(-1.0 / tau_steps)
    fa = np.zeros(a.shape[1:])
    fb = np.zeros(a.shape[1:])
    squared = np.zeros(a.shape[1:])
    for t in range(len(a)):
        fa = fa * decay + a[t]
        fb = fb * decay + b[t]
        squared += (fa - fb) ** 2
    # tail of the kernel after the window: geometric sum of the last difference
    squared += (fa - fb) ** 2 * decay ** 2 / (1 - decay ** 2)
    return float(np.sqrt(squared / tau_steps / 2).mean())
