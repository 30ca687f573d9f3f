"""Comparison figures (PNG): raster overlays."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bioaware.train.figures import plt, save_figure

MARKERS = [("o", 28, "black"), ("x", 18, "tab:red"), ("+", 18, "tab:blue"), ("1", 18, "tab:green")]


def raster_overlay(rasters: list[np.ndarray], labels: list[str], path: Path) -> None:
    """Spike rasters [T, N] of several simulations overlaid, on the neurons that fired in any of them."""
    active = np.flatnonzero(sum(r.sum(0) for r in rasters) > 0)
    fig, ax = plt.subplots(figsize=(8, 4))
    for raster, label, (marker, size, color) in zip(rasters, labels, MARKERS):
        t, n = np.nonzero(raster[:, active])
        style = {"facecolors": "none", "edgecolors": color} if marker == "o" else {"c": color}
        ax.scatter(t, n, s=size, marker=marker, label=label, linewidths=0.8, **style)
    ax.set(xlabel="training step", ylabel="output neuron (among those that fired)")
    ax.legend(fontsize=8, loc="upper right")
    save_figure(fig, path)
