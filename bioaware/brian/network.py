"""NIR layer specs → a Brian2 network of B independent copies, fed with given input spikes.

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

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bioaware.brian.devices import use_device
from bioaware.brian.equations import equation_text
from bioaware.interchange.layers import DenseSpikingLayer, tau_from_leak


@dataclass
class BrianRun:
    """What a simulation returns: per layer, spike (copy, neuron, step) arrays and the step duration."""

    spikes: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # name → (copy, neuron, time in s)
    sizes: dict[str, int]
    copies: int

    def counts(self, name: str, steps: int, dt: float) -> np.ndarray:
        """Spikes binned to training steps of `dt` seconds: array [steps, copies, neurons]."""
        copy, neuron, t = self.spikes[name]
        step = np.clip(np.floor(t / dt + 1e-6).astype(int), 0, steps - 1)
        out = np.zeros((steps, self.copies, self.sizes[name]))
        np.add.at(out, (step, copy, neuron), 1.0)
        return out


def simulate(layers: list[DenseSpikingLayer], dt: float, input_spikes: np.ndarray, sim_dt: float,
             order: str = "exact", device: str = "runtime", build_dir: Path | None = None,
             threads: int = 0) -> BrianRun:
    """Run the layers on binary input spikes [T, B, N_in] (step t at time t·dt s) for T·dt seconds.

    `device` is a name of `bioaware.brian.devices.DEVICES`; standalone devices compile into
    `build_dir` (a temporary folder when None).
    """
    import brian2 as b2

    if order not in ("exact", "matched"):
        raise ValueError(f"order must be 'exact' or 'matched', got {order!r}")
    use_device(device, build_dir, threads)

    steps, copies, n_in = input_spikes.shape
    ratio = dt / sim_dt
    if abs(ratio - round(ratio)) > 1e-9:
        raise ValueError(f"sim_dt {sim_dt} s must divide the training step {dt} s")
    t_idx, b_idx, n_idx = np.nonzero(input_spikes)
    source = b2.SpikeGeneratorGroup(copies * n_in, b_idx * n_in + n_idx, t_idx * dt * b2.second,
                                    dt=sim_dt * b2.second, name="input")
    net = b2.Network(source)
    monitors, sizes, previous, width = {}, {}, source, n_in
    for depth, layer in enumerate(layers):
        group = _neurons(b2, layer, copies, sim_dt, dt)
        syn = b2.Synapses(previous, group, model="w : 1", on_pre="v_post += w", dt=sim_dt * b2.second,
                          name=f"{layer.name}_synapses")
        syn.connect(j=f"k + (i // {width}) * {layer.size} for k in range({layer.size})")
        # synapses are created presynaptic-neuron-major: row i holds W[:, i mod width] for copy i // width
        syn.w = np.tile(layer.weight.T, (copies, 1)).ravel()
        if order == "matched":
            syn.pre.when, syn.pre.order = "thresholds", 2 * depth + 1
            group.thresholder["spike"].order = 2 * depth + 2
        monitors[layer.name] = b2.SpikeMonitor(group, name=f"{layer.name}_spikes")
        sizes[layer.name] = layer.size
        net.add(group, syn, monitors[layer.name])
        previous, width = group, layer.size
    net.run(steps * dt * b2.second)
    if device not in ("runtime", "cython"):
        with tempfile.TemporaryDirectory(prefix="bioaware-brian-") as tmp:
            b2.device.build(directory=str(build_dir or tmp), compile=True, run=True)
            return _collect(b2, monitors, sizes, copies)
    return _collect(b2, monitors, sizes, copies)


def _neurons(b2, layer: DenseSpikingLayer, copies: int, sim_dt: float, dt: float):
    if_neuron = layer.leak == 0.0
    # IF: dv/dt = 0 between inputs, which Euler integrates exactly; LIF: exact linear solution
    group = b2.NeuronGroup(copies * layer.size, equation_text("if_refractory" if if_neuron else "lif"),
                           threshold="v >= v_th", reset="v = v_reset",
                           refractory=float(layer.metadata.get("refractory_period", 0.0)) * b2.second,
                           method="euler" if if_neuron else "exact", dt=sim_dt * b2.second, name=layer.name)
    if not if_neuron:
        group.tau = tau_from_leak(layer.leak, dt) * b2.second
    group.v_th = layer.v_th
    group.v_reset = float(layer.metadata.get("v_reset", 0.0))
    return group


def _collect(b2, monitors, sizes, copies) -> BrianRun:
    spikes = {}
    for name, mon in monitors.items():
        index = np.asarray(mon.i[:], dtype=int)
        spikes[name] = (index // sizes[name], index % sizes[name], np.asarray(mon.t[:] / b2.second))
    return BrianRun(spikes, sizes, copies)
