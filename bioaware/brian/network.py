"""Layer specs → the NIR graph they export to → one Brian2 network of B copies (× K time windows).

bioaware's own models take the same path as any NIR file: `layers_to_nir` writes the graph (LIF with
R = τ, IF with R = 1, CubaLIF with w_in = τ_syn: an input spike of weight w moves v or I by exactly w;
reset to 0 and v ≥ v_th in node metadata) and `bioaware.brian.nir_network` builds it, with images as
parallel copies and, beyond `max_copies`, consecutive time windows with every state reset at each
window start.

`order = "matched"` reproduces the discrete-time update of training within each step: decay,
then input spikes, then threshold, then the next layer sees this step's spikes.
`order = "exact"` is Brian2's standard schedule (threshold → synapses → reset): a spike reaches
the next layer one simulation step later, as in any clock-driven simulation of instantaneous
synapses; as dt → 0 it converges to the continuous-time network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bioaware.brian.nir_network import SpikeTrains, simulate_graph
from bioaware.core.layers import DenseSpikingLayer
from bioaware.interchange.to_nir import layers_to_nir


WINDOW_GAP = 2  # silent training steps after each image, so that no spike in transit reaches the next one


@dataclass
class BrianRun:
    """Spikes of every layer, and how images were laid out over copies and time windows."""

    spikes: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # name → (copy, neuron, time in s)
    sizes: dict[str, int]
    copies: int
    images: int
    window_steps: int  # training steps per window (steps of the image + WINDOW_GAP)
    run_seconds: float  # the simulation itself, without code generation and compilation
    traces: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # name → (t in s, v [k, t])
    shards: int = 1  # one process ran all images

    def placed(self, name: str, dt: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Spikes of a layer as (image, neuron, time in training steps of `dt` s from its window's start)."""
        copy, neuron, t = self.spikes[name]
        window, offset = np.divmod(t / dt + 1e-6, self.window_steps)
        return window.astype(int) * self.copies + copy, neuron, offset

    def counts(self, name: str, steps: int, dt: float) -> np.ndarray:
        """Spikes binned to the training steps (of `dt` s) of each image: array [steps, images, neurons]."""
        image, neuron, offset = self.placed(name, dt)
        step = np.floor(offset).astype(int)
        keep = (step < steps) & (image < self.images)
        out = np.zeros((steps, self.images, self.sizes[name]))
        np.add.at(out, (step[keep], image[keep], neuron[keep]), 1.0)
        return out


def simulate(layers: list[DenseSpikingLayer], dt: float, input_spikes: np.ndarray, sim_dt: float,
             order: str = "exact", device: str = "runtime", build_dir: Path | None = None,
             threads: int = 0, max_copies: int = 100, record_v: dict[str, list[int]] | None = None) -> BrianRun:
    """Run the layers on binary input spikes [T, images, N_in] (step t of an image at t·dt s into its window).

    Images run as up to `max_copies` parallel copies of the network and, beyond that, one after
    another in windows of T + WINDOW_GAP steps, with every membrane back at rest at the start of each
    window: one build and one run for any number of images. `device` is a name of
    `bioaware.brian.devices.DEVICES`; standalone devices compile into `build_dir` (temporary when None).
    `record_v` names neurons of the first copy whose membrane is recorded every simulation step,
    after input and before reset (the quantity the trained model's loss sees); readout (LI) layers
    are always recorded, for all neurons of the first copy.
    """
    if order not in ("exact", "matched"):
        raise ValueError(f"order must be 'exact' or 'matched', got {order!r}")
    ratio = dt / sim_dt
    if abs(ratio - round(ratio)) > 1e-9:
        raise ValueError(f"sim_dt {sim_dt} s must divide the training step {dt} s")
    steps, images, n_in = input_spikes.shape
    copies = images if device == "genn" else min(images, max_copies)  # GeNN: one clock, so no windows
    windows = -(-images // copies)
    window_steps = steps + WINDOW_GAP
    t_idx, img_idx, n_idx = np.nonzero(input_spikes)
    window, copy = np.divmod(img_idx, copies)
    trains = SpikeTrains(copy * n_in + n_idx, (window * window_steps + t_idx) * dt)
    graph = layers_to_nir(layers, dt, {})
    record = {name: list(index) for name, index in (record_v or {}).items()}
    run = simulate_graph(graph, {"input": trains}, ((windows - 1) * window_steps + steps) * dt, dt=sim_dt,
                         spikes="dirac", record=record, device=device, build_dir=build_dir, threads=threads,
                         copies=copies, window=window_steps * dt if windows > 1 else None, order=order,
                         record_when="resets")
    sizes = {layer.name: layer.size for layer in layers}
    spikes = {name: (index // sizes[name], index % sizes[name], t) for name, (index, t) in run.spikes.items()
              if name in sizes}
    traces = {name: trace for name, trace in run.traces.items() if name in sizes}
    return BrianRun(spikes, sizes, copies, images, window_steps, run.run_seconds, traces)
