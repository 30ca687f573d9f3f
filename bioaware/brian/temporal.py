"""Alpha-PSP temporal-coding networks (Comşa et al.) in Brian2, through the NIR graph they export to.

The layers become `temporal_to_nir`'s graph (CubaLIF with τ_syn = τ_mem: `equations/alpha_synapse.eqs`,
each neuron spiking at most once) and run on `bioaware.brian.nir_network`'s builder. Images run as up
to `max_copies` parallel copies and, beyond that, in successive windows, every state back at rest at
each window start. Inputs and each layer's synchronisation pulses are the graph's Input nodes; their
times are rounded to the simulation step, and the times Brian2 was actually given are returned so
that closed-form references can use them. Times are in model units (`unit` seconds each), measured
from the start of the image's window.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bioaware.brian.nir_network import SpikeTrains, simulate_graph
from bioaware.interchange.nir_graph import parse_graph
from bioaware.interchange.temporal_nir import AlphaLayerSpec, temporal_to_nir


@dataclass
class AlphaBrianRun:
    """First spike time of every neuron per image (np.inf: none), in model units from the window's time 0."""

    times: dict[str, np.ndarray]  # layer name → [images, neurons]
    input_times: np.ndarray  # [images, N_in] as simulated (rounded to the step; inf: no spike)
    pulse_times: dict[str, np.ndarray]  # layer name → [P] as simulated
    run_seconds: float
    traces: dict[str, tuple[np.ndarray, np.ndarray]]  # layer → (t in model units, v [k, t]) of image 0


def _ticks(t: np.ndarray, step: float) -> np.ndarray:
    return np.round(t / step).astype(np.int64)


def simulate_alpha(layers: list[AlphaLayerSpec], unit: float, input_times: np.ndarray, horizon: float,
                   sim_dt: float = 0.01, device: str = "runtime", build_dir: Path | None = None,
                   max_copies: int = 100, record_v: dict[str, list[int]] | None = None) -> AlphaBrianRun:
    """Simulate input spike times [images, N_in] (model units; non-finite or ≥ `horizon`: no spike) for
    `horizon` model units per image at step `sim_dt` (model units)."""
    images, n_in = input_times.shape
    copies = min(images, max_copies)
    windows = -(-images // copies)
    pulses_all = np.concatenate([layer.pulse_times for layer in layers]) if layers else np.zeros(0)
    lead = _ticks(np.array(max(0.0, -pulses_all.min(initial=0.0))), sim_dt) * sim_dt  # room for negative pulse times
    ticks_per_window = int(_ticks(np.array(lead + horizon), sim_dt)) + 2
    lead_ticks = int(_ticks(np.array(lead), sim_dt))
    tick = sim_dt * unit  # s

    x_ticks = np.where(np.isfinite(input_times) & (input_times < horizon),
                       _ticks(np.nan_to_num(input_times, posinf=0.0), sim_dt), -1)
    img, neuron = np.nonzero(x_ticks >= 0)
    window, copy = np.divmod(img, copies)
    inputs = {"input": SpikeTrains(copy * n_in + neuron,
                                   (window * ticks_per_window + lead_ticks + x_ticks[img, neuron]) * tick)}
    pulse_used = {}
    for layer in layers:  # every copy gets the layer's pulses in every window
        p_ticks = _ticks(layer.pulse_times, sim_dt) + lead_ticks
        pulse_used[layer.name] = (p_ticks - lead_ticks) * sim_dt
        w, c, p = np.meshgrid(np.arange(windows), np.arange(copies), np.arange(len(p_ticks)), indexing="ij")
        inputs[f"{layer.name}_pulses"] = SpikeTrains((c * len(p_ticks) + p).ravel(),
                                                     ((w * ticks_per_window + p_ticks[p]) * tick).ravel())
    parsed = parse_graph(temporal_to_nir(layers, unit, {}), "<alpha layers>")
    run = simulate_graph(parsed, inputs, windows * ticks_per_window * tick, dt=tick, spikes="dirac",
                         record={k: list(v) for k, v in (record_v or {}).items() if v}, device=device,
                         build_dir=build_dir, copies=copies,
                         window=ticks_per_window * tick if windows > 1 else None)
    times = {}
    for layer in layers:
        index, t = run.spikes[layer.name]
        window, within = np.divmod(np.round(t / tick).astype(np.int64), ticks_per_window)
        image = window * copies + index // layer.size
        out = np.full((images, layer.size), np.inf)
        keep = image < images
        out[image[keep], (index % layer.size)[keep]] = (within[keep] - lead_ticks) * sim_dt
        times[layer.name] = out
    traces = {name: (t / unit - lead_ticks * sim_dt, v) for name, (t, v) in run.traces.items()
              if name in {layer.name for layer in layers}}
    inputs_used = np.where(x_ticks >= 0, x_ticks * sim_dt, np.inf)
    return AlphaBrianRun(times, inputs_used, pulse_used, run.run_seconds, traces)
