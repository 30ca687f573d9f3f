"""Comparison figures (PNG): raster overlays."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bioaware.core.figures import plt, save_figure

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


def membrane_overlay(trained_v: np.ndarray, traces: list[tuple[np.ndarray, np.ndarray]], labels: list[str],
                     dt: float, v_th: float, path: Path) -> None:
    """Pre-reset membrane of a few neurons: trained model per step (dots) and Brian2 traces (lines).

    `trained_v` is [T, k]; each trace is (t in s, v [k, samples]); time axis in training steps.
    """
    k = trained_v.shape[1]
    fig, axes = plt.subplots(k, 1, figsize=(8, 1.6 * k), sharex=True, squeeze=False)
    for n, ax in enumerate(axes[:, 0]):
        for (t, v), label, color in zip(traces, labels, ("tab:red", "tab:blue")):
            ax.plot(t / dt, v[n], lw=0.8, color=color, label=label)
        ax.plot(np.arange(len(trained_v)), trained_v[:, n], "o", ms=4, mfc="none", color="black",
                label="trained (discrete)")
        ax.axhline(v_th, ls=":", color="gray", lw=0.8)
        ax.set_ylabel("v")
    axes[0, 0].legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("training step")
    save_figure(fig, path)


def node_rasters(panels: list[tuple[str, list[tuple[np.ndarray, np.ndarray]], list[str]]], path: Path,
                 time_unit: float = 1e-3) -> None:
    """One panel per node: spike trains (neuron index, time in s) of one or more simulators overlaid.

    `panels` holds (node name, [(index, times), …], labels); time is drawn in ms (`time_unit` s).
    """
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 1.2 + 1.6 * len(panels)), squeeze=False, sharex=True)
    for ax, (name, trains, labels) in zip(axes[:, 0], panels):
        for (index, t), label, (marker, size, color) in zip(trains, labels, MARKERS):
            style = {"facecolors": "none", "edgecolors": color} if marker == "o" else {"c": color}
            ax.scatter(np.asarray(t) / time_unit, index, s=size, marker=marker, label=label, linewidths=0.8, **style)
        ax.set_ylabel("neuron")
        ax.set_title(name, fontsize=9, loc="left")
        if len(labels) > 1:
            ax.legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("time (ms)")
    save_figure(fig, path)


def trace_panels(traces: dict[str, tuple[np.ndarray, np.ndarray]], path: Path, neurons: int = 8) -> None:
    """Membrane traces v(t) of the first `neurons` neurons of each recorded node (t in s, drawn in ms)."""
    fig, axes = plt.subplots(len(traces), 1, figsize=(8, 1.2 + 1.6 * len(traces)), squeeze=False, sharex=True)
    for ax, (name, (t, v)) in zip(axes[:, 0], traces.items()):
        for row in np.asarray(v)[:neurons]:
            ax.plot(np.asarray(t) * 1e3, row, lw=0.8)
        ax.set_ylabel("v")
        ax.set_title(name, fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("time (ms)")
    save_figure(fig, path)
