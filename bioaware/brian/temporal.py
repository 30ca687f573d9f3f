"""Alpha-PSP temporal-coding networks (Comşa et al.) in Brian2: exact dynamics of `equations/alpha_synapse.eqs`.

Images run as up to `max_copies` parallel copies of the network and, beyond that, in successive
windows; every neuron spikes at most once per window (a refractory period longer than the window,
cleared with v and I at each window start). Inputs and each layer's synchronisation pulses are
SpikeGeneratorGroups; their times are rounded to the simulation step, and the times Brian2 was
actually given are returned so that closed-form references can use them. Times are in model units
(`unit` seconds each), measured from the start of the image's window.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bioaware.brian.devices import use_device
from bioaware.brian.equations import equation_text
from bioaware.interchange.temporal_nir import AlphaLayerSpec


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
    import brian2 as b2

    use_device(device, build_dir)
    images, n_in = input_times.shape
    copies = min(images, max_copies)
    windows = -(-images // copies)
    pulses_all = np.concatenate([layer.pulse_times for layer in layers]) if layers else np.zeros(0)
    lead = _ticks(np.array(max(0.0, -pulses_all.min(initial=0.0))), sim_dt) * sim_dt  # room for negative pulse times
    ticks_per_window = int(_ticks(np.array(lead + horizon), sim_dt)) + 2
    window_len = ticks_per_window * sim_dt
    lead_ticks = int(_ticks(np.array(lead), sim_dt))
    dt = sim_dt * unit * b2.second

    x_ticks = np.where(np.isfinite(input_times) & (input_times < horizon),
                       _ticks(np.nan_to_num(input_times, posinf=0.0), sim_dt), -1)
    img, neuron = np.nonzero(x_ticks >= 0)
    window, copy = np.divmod(img, copies)
    source = b2.SpikeGeneratorGroup(copies * n_in, copy * n_in + neuron,
                                    (window * ticks_per_window + lead_ticks + x_ticks[img, neuron]) * dt,
                                    dt=dt, name="input")
    net = b2.Network(source)
    monitors, traces, pulse_used, previous, width = {}, {}, {}, source, n_in
    for layer in layers:
        n = copies * layer.size
        group = b2.NeuronGroup(n, equation_text("alpha_synapse"), threshold="v >= v_th", method="exact", dt=dt,
                               refractory=2 * window_len * unit * b2.second, name=layer.name)
        group.tau, group.r, group.v_leak, group.v_th = unit / layer.decay * b2.second, 1.0 / layer.decay, 0.0, layer.v_th
        net.add(group.run_regularly("v = 0\nI = 0\nlastspike = -1e9 * second\nnot_refractory = True",
                                    dt=window_len * unit * b2.second, when="start", name=f"{layer.name}_window_reset"))
        syn = b2.Synapses(previous, group, model="w : 1", on_pre="I_post += w", dt=dt, name=f"{layer.name}_synapses")
        syn.connect(j=f"k + (i // {width}) * {layer.size} for k in range({layer.size})")
        syn.w = np.tile(layer.weight.T, (copies, 1)).ravel()
        p_ticks = _ticks(layer.pulse_times, sim_dt) + lead_ticks
        pulse_used[layer.name] = (p_ticks - lead_ticks) * sim_dt
        p_index = np.tile(np.arange(len(p_ticks)), windows)
        p_time = (np.repeat(np.arange(windows), len(p_ticks)) * ticks_per_window + np.tile(p_ticks, windows)) * dt
        pulses = b2.SpikeGeneratorGroup(len(p_ticks), p_index, p_time, dt=dt, name=f"{layer.name}_pulses")
        pulse_syn = b2.Synapses(pulses, group, model="w : 1", on_pre="I_post += w", dt=dt,
                                name=f"{layer.name}_pulse_synapses")
        pulse_syn.connect()  # all to all, presynaptic-major: (pulse, copy, neuron)
        pulse_syn.w = np.tile(layer.pulse_weight.T[:, None, :], (1, copies, 1)).ravel()
        monitors[layer.name] = b2.SpikeMonitor(group, name=f"{layer.name}_spikes")
        net.add(group, syn, pulses, pulse_syn, monitors[layer.name])
        if (record_v or {}).get(layer.name):
            traces[layer.name] = b2.StateMonitor(group, "v", record=list(record_v[layer.name]), name=f"{layer.name}_v")
            net.add(traces[layer.name])
        previous, width = group, layer.size
    start = time.perf_counter()
    net.run(windows * window_len * unit * b2.second)
    seconds = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="bioaware-brian-") as tmp:
        if device not in ("runtime", "cython"):
            b2.device.build(directory=str(build_dir or tmp), compile=True, run=True)
            seconds = b2.device._last_run_time
        return _collect(b2, layers, monitors, traces, copies, images, ticks_per_window, lead_ticks, sim_dt, unit,
                        x_ticks, pulse_used, seconds)


def _collect(b2, layers, monitors, traces, copies, images, ticks_per_window, lead_ticks, sim_dt, unit, x_ticks,
             pulse_used, seconds) -> AlphaBrianRun:
    times = {}
    for layer in layers:
        mon = monitors[layer.name]
        index = np.asarray(mon.i[:], dtype=int)
        tick = np.round(np.asarray(mon.t[:] / b2.second) / (sim_dt * unit)).astype(np.int64)
        window, within = np.divmod(tick, ticks_per_window)
        image = window * copies + index // layer.size
        out = np.full((images, layer.size), np.inf)
        keep = image < images
        out[image[keep], (index % layer.size)[keep]] = (within[keep] - lead_ticks) * sim_dt
        times[layer.name] = out
    recorded = {name: (np.asarray(m.t / b2.second) / unit - lead_ticks * sim_dt, np.asarray(m.v))
                for name, m in traces.items()}
    inputs = np.where(x_ticks >= 0, x_ticks * sim_dt, np.inf)
    return AlphaBrianRun(times, inputs, pulse_used, float(seconds), recorded)
