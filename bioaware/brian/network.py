"""NIR layer specs → a Brian2 network of B independent copies (× K time windows), fed with given input spikes.

Each layer is one NeuronGroup of B·N neurons (copy b owns neurons b·N … b·N + N − 1) built from
`equations/lif.eqs` (leak > 0) or `equations/if_refractory.eqs` (leak = 0), and each weight
matrix one Synapses object whose block-diagonal connectivity Brian2 generates itself
(`connect(j=... for k in range(N))`), with `v_post += w` on every presynaptic spike.

`order = "matched"` reproduces the discrete-time update of training within each step: decay,
then input spikes, then threshold, then the next layer sees this step's spikes (each pathway
runs in the `thresholds` slot between its source's and its target's thresholder).
`order = "exact"` is Brian2's standard schedule (threshold → synapses → reset): a spike reaches
the next layer one simulation step later, as in any clock-driven simulation of instantaneous
synapses; as dt → 0 it converges to the continuous-time network.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bioaware.brian.devices import use_device
from bioaware.brian.equations import equation_text
from bioaware.interchange.layers import DenseSpikingLayer, tau_from_leak


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
    another in windows of T + WINDOW_GAP steps, with every membrane reset to v_reset at the start
    of each window: one build and one run for any number of images. `device` is a name of
    `bioaware.brian.devices.DEVICES`; standalone devices compile into `build_dir` (temporary when None).
    `record_v` names neurons of the first copy whose membrane is recorded every simulation step,
    after input and before reset (the quantity the trained model's loss sees); readout (LI) layers
    are always recorded, for all neurons of the first copy.
    """
    import brian2 as b2

    if order not in ("exact", "matched"):
        raise ValueError(f"order must be 'exact' or 'matched', got {order!r}")
    ratio = dt / sim_dt
    if abs(ratio - round(ratio)) > 1e-9:
        raise ValueError(f"sim_dt {sim_dt} s must divide the training step {dt} s")
    use_device(device, build_dir, threads)

    steps, images, n_in = input_spikes.shape
    copies = min(images, max_copies)
    windows = -(-images // copies)
    window_steps = steps + WINDOW_GAP
    t_idx, img_idx, n_idx = np.nonzero(input_spikes)
    window, copy = np.divmod(img_idx, copies)
    source = b2.SpikeGeneratorGroup(copies * n_in, copy * n_in + n_idx, (window * window_steps + t_idx) * dt * b2.second,
                                    dt=sim_dt * b2.second, name="input")
    net = b2.Network(source)
    monitors, sizes, traces, previous, width = {}, {}, {}, source, n_in
    for depth, layer in enumerate(layers):
        group, target = _neurons(b2, layer, copies, sim_dt, dt)
        if windows > 1:
            # a fresh neuron for every image: at rest, no synaptic current, no refractory period left over
            fresh = ["v = 0" if layer.readout else "v = v_reset"] + (["I = 0"] if target == "I" else []) + \
                ([] if layer.readout or "lastspike" not in group.variables else
                 ["lastspike = -1e9 * second", "not_refractory = True"])
            net.add(group.run_regularly("\n".join(fresh), dt=window_steps * dt * b2.second, when="start",
                                        name=f"{layer.name}_window_reset"))
        syn = b2.Synapses(previous, group, model="w : 1", on_pre=f"{target}_post += w", dt=sim_dt * b2.second,
                          name=f"{layer.name}_synapses")
        # convolutions arrive as scipy-sparse matrices (no scipy import needed here: the brian2genn and
        # brian2cuda environments run this module without it): only non-zero weights become synapses
        if hasattr(layer.weight, "tocoo"):
            coo = layer.weight.tocoo()
            offsets = np.arange(copies)[:, None]
            syn.connect(i=(coo.col + offsets * width).ravel(), j=(coo.row + offsets * layer.size).ravel())
            syn.w = np.tile(coo.data, copies)
        else:
            syn.connect(j=f"k + (i // {width}) * {layer.size} for k in range({layer.size})")
            # synapses are created presynaptic-neuron-major: row i holds W[:, i mod width] for copy i // width
            syn.w = np.tile(layer.weight.T, (copies, 1)).ravel()
        if order == "matched":
            syn.pre.when, syn.pre.order = "thresholds", 2 * depth + 1
            if not layer.readout:
                group.thresholder["spike"].order = 2 * depth + 2
        if not layer.readout:
            monitors[layer.name] = b2.SpikeMonitor(group, name=f"{layer.name}_spikes")
        # readouts have no spikes: their membrane is their output, recorded for every neuron of copy 0
        watched = range(layer.size) if layer.readout else (record_v or {}).get(layer.name)
        if watched is not None:
            state = b2.StateMonitor(group, "v", record=list(watched), when="resets", order=-1,
                                    name=f"{layer.name}_v")
            traces[layer.name] = state
            net.add(state)
        sizes[layer.name] = layer.size
        net.add(group, syn, *([monitors[layer.name]] if layer.name in monitors else []))
        previous, width = group, layer.size
    start = time.perf_counter()
    net.run(((windows - 1) * window_steps + steps) * dt * b2.second)
    if device in ("runtime", "cython"):
        return _collect(b2, monitors, traces, sizes, copies, images, window_steps, time.perf_counter() - start)
    with tempfile.TemporaryDirectory(prefix="bioaware-brian-") as tmp:
        b2.device.build(directory=str(build_dir or tmp), compile=True, run=True)
        return _collect(b2, monitors, traces, sizes, copies, images, window_steps, b2.device._last_run_time)


def _neurons(b2, layer: DenseSpikingLayer, copies: int, sim_dt: float, dt: float):
    """The NeuronGroup of a layer and the variable an input spike increments."""
    n = copies * layer.size
    tau = tau_from_leak(layer.leak, dt) * b2.second
    if layer.readout:
        group = b2.NeuronGroup(n, equation_text("li"), method="exact", dt=sim_dt * b2.second, name=layer.name)
        group.tau, group.v_leak = tau, 0.0
        return group, "v"
    spiking = dict(threshold="v >= v_th", reset="v = v_reset", dt=sim_dt * b2.second, name=layer.name,
                   refractory=float(layer.metadata.get("refractory_period", 0.0)) * b2.second)
    if layer.leak == 0.0:  # IF: dv/dt = 0 between inputs, which Euler integrates exactly
        group, target = b2.NeuronGroup(n, equation_text("if_refractory"), method="euler", **spiking), "v"
    elif layer.tau_syn:
        # Brian2's exact solver divides by τ_syn − τ_mem: equal constants have their own (alpha) equations
        alpha = math.isclose(layer.tau_syn, float(tau / b2.second), rel_tol=1e-9)
        if alpha and spiking["refractory"] > 0 * b2.second:
            raise ValueError(f"layer {layer.name}: alpha-synapse neurons (τ_syn = τ_mem) have no refractory "
                             "period in Brian2's exact solver; drop refractory_period from its metadata")
        if alpha:
            del spiking["refractory"]
        group = b2.NeuronGroup(n, equation_text("alpha_synapse" if alpha else "cuba_lif"), method="exact", **spiking)
        if alpha:
            group.tau = tau
        else:
            group.tau_mem, group.tau_syn = tau, layer.tau_syn * b2.second
        group.r, group.v_leak, target = 1.0, 0.0, "I"
    else:
        group, target = b2.NeuronGroup(n, equation_text("lif"), method="exact", **spiking), "v"
        group.tau, group.v_leak = tau, 0.0
    group.v_th = layer.v_th
    group.v_reset = float(layer.metadata.get("v_reset", 0.0))
    return group, target


def _collect(b2, monitors, traces, sizes, copies, images, window_steps, run_seconds) -> BrianRun:
    spikes = {}
    for name, mon in monitors.items():
        index = np.asarray(mon.i[:], dtype=int)
        spikes[name] = (index // sizes[name], index % sizes[name], np.asarray(mon.t[:] / b2.second))
    recorded = {name: (np.asarray(m.t / b2.second), np.asarray(m.v)) for name, m in traces.items()}
    return BrianRun(spikes, sizes, copies, images, window_steps, float(run_seconds), recorded)
