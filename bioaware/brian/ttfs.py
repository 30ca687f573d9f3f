"""Single-spike IF networks (TTFS classifier, Spiking-GAN) in Brian2: exported layer specs fed with
time-to-first-spike input times, first spike time of every neuron back out, in training steps.

The builder is `bioaware.brian.network.simulate` with Brian2's standard schedule (threshold →
synapses → reset) and each layer's refractory period (from its metadata) outlasting the window,
so every neuron fires at most once. At sim_dt = dt this is the discrete model step for step: an
input arriving in step s is added after that step's threshold test, so a neuron whose membrane
crosses in step s fires at s + 1. A finer sim_dt approaches continuous time, where that one-step
delay per layer shrinks to one sim_dt.
"""

from __future__ import annotations

import numpy as np

from bioaware.brian.network import simulate
from bioaware.core.layers import DenseSpikingLayer


def input_raster(in_times: np.ndarray, steps: int) -> np.ndarray:
    """Spike times [N, n_in] (steps; ≥ T silent) → binary raster [T, N, n_in]."""
    n, n_in = in_times.shape
    raster = np.zeros((steps, n, n_in), dtype=bool)
    image, neuron = np.nonzero(in_times < steps)
    raster[in_times[image, neuron].astype(int), image, neuron] = True
    return raster


def simulate_ttfs(layers: list[DenseSpikingLayer], in_times: np.ndarray, steps: int, dt: float,
                  sim_dt: float | None = None, device: str = "runtime", max_copies: int = 10) -> dict[str, np.ndarray]:
    """First spike time of every neuron of every layer, {name: [N, size]} in training steps (float; T = silent)."""
    sim_dt = sim_dt or dt
    run = simulate(layers, dt, input_raster(in_times, steps), sim_dt, order="exact", device=device,
                   max_copies=max_copies)
    out = {}
    for layer in layers:
        image, neuron, offset = run.placed(layer.name, dt)
        first = np.full((run.images, layer.size), float(steps))
        keep = (offset < steps) & (image < run.images)
        np.minimum.at(first, (image[keep], neuron[keep]), np.round(offset[keep] - 1e-6, 6))
        out[layer.name] = first
    return out


def undelayed(times: dict[str, np.ndarray], names: list[str], steps: int, factor: float) -> dict[str, np.ndarray]:
    """Times of a run at sim_dt = factor·dt on the discrete model's clock: layer k (0-based, in `names`
    order) fires (k + 1)·(1 − factor) steps earlier than the discrete model; add that back (a time that
    then reaches T is silent, as in the discrete model)."""
    return {name: np.minimum(np.round(np.where(times[name] < steps, times[name] + (k + 1) * (1 - factor), steps), 6),
                             steps)
            for k, name in enumerate(names)}
