"""Small NIR graphs whose spike times are known in closed form: the Brian2 backend's conformance cases.

Each case is a graph, its input spikes, the node to watch and the exact spike times (s) of the
continuous-time model. Brian2 on its standard schedule delivers a spike one simulation step after it
is emitted, so a simulation at step dt may lag by about one dt per synapse on the way; the error
falls with dt (first order). `benchmarks/nir_convergence.py` tabulates it; the tests check it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import nir
import numpy as np
from scipy.optimize import brentq
from scipy.special import lambertw

from bioaware.brian.nir_network import SpikeTrains, simulate_graph


@dataclass
class ClosedForm:
    """A graph, its input, the node watched and its exact spike times (s) within `duration`."""

    name: str
    graph: nir.NIRGraph
    inputs: dict[str, SpikeTrains]
    node: str
    expected: np.ndarray
    duration: float
    hops: int = 0  # synapses between the input and the node: each may add one simulation step
    lag_per_spike: int = 0  # steps each spike may add to the next one's lag (a loop's synapse, a reset to v_reset)

    def tolerance(self, dt: float) -> np.ndarray:
        """Largest lag (s) of each expected spike that Brian2's one-step transmission explains, plus one step."""
        return (1 + self.hops + self.lag_per_spike * np.arange(len(self.expected))) * dt * (1 + 1e-6)


def _v(x) -> np.ndarray:
    return np.atleast_1d(np.asarray(x, dtype=np.float64))


def _graph(nodes: dict, edges: list, **meta) -> nir.NIRGraph:
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta)


def _one_spike(at: float = 0.0, channels: int = 1) -> dict[str, SpikeTrains]:
    return {"in": SpikeTrains(np.arange(channels), np.full(channels, at))}


def lif_bias(tau=0.01, r=2.0, b=0.8, theta=1.0, duration=0.05) -> ClosedForm:
    """LIF driven by a constant current b (an Affine's bias): ISI = τ·ln(Rb / (Rb − θ)), reset by subtraction."""
    isi = tau * math.log(r * b / (r * b - theta))
    nodes = {"in": nir.Input(_v([1])), "drive": nir.Affine(np.zeros((1, 1)), _v(b)),
             "lif": nir.LIF(_v(tau), _v(r), _v(0.0), _v(theta)), "out": nir.Output(_v([1]))}
    g = _graph(nodes, [("in", "drive"), ("drive", "lif"), ("lif", "out")], spike_convention="dirac")
    return ClosedForm("LIF, bias current", g, {}, "lif", np.arange(1, int(duration / isi) + 1) * isi, duration)


def lif_leak(tau=0.01, v_leak=1.2, theta=1.0, duration=0.05) -> ClosedForm:
    """LIF whose resting level v_leak lies above threshold: ISI = τ·ln(v_leak / (v_leak − θ))."""
    isi = tau * math.log(v_leak / (v_leak - theta))
    nodes = {"in": nir.Input(_v([1])), "lif": nir.LIF(_v(tau), _v(1.0), _v(v_leak), _v(theta)),
             "out": nir.Output(_v([1]))}
    g = _graph(nodes, [("in", "lif"), ("lif", "out")], spike_convention="dirac")
    return ClosedForm("LIF, v_leak above threshold", g, {}, "lif", np.arange(1, int(duration / isi) + 1) * isi,
                      duration)


def alpha_psp(tau=0.005, w=3.0, theta=1.0, at=0.002) -> ClosedForm:
    """CubaLIF with τ_syn = τ_mem = τ, one input spike of charge w: v = w·(t/τ)·e^(−t/τ) (R = 1, w_in = τ)
    crosses θ at t = −τ·W₀(−θ/w) (Lambert W, principal branch)."""
    crossing = -tau * float(np.real(lambertw(-theta / w, 0)))
    nodes = {"in": nir.Input(_v([1])), "w": nir.Linear(np.array([[w]])),
             "cuba": nir.CubaLIF(_v(tau), _v(tau), _v(1.0), _v(0.0), _v(theta), _v(tau)), "out": nir.Output(_v([1]))}
    g = _graph(nodes, [("in", "w"), ("w", "cuba"), ("cuba", "out")], spike_convention="dirac")
    return ClosedForm("CubaLIF, τ_syn = τ_mem (alpha PSP)", g, _one_spike(at), "cuba", _v(at + crossing), 0.03, 1)


def biexponential_psp(tau_syn=0.002, tau_mem=0.008, w=8.0, theta=1.0, at=0.001) -> ClosedForm:
    """CubaLIF with τ_syn ≠ τ_mem, one spike (I jumps by w·w_in/τ_syn = w with w_in = τ_syn):
    v = w·τ_syn/(τ_syn − τ_mem)·(e^(−t/τ_syn) − e^(−t/τ_mem)) (R = 1), its first crossing of θ by root search."""
    def v(t):
        return w * tau_syn / (tau_syn - tau_mem) * (math.exp(-t / tau_syn) - math.exp(-t / tau_mem)) - theta
    peak = math.log(tau_syn / tau_mem) * tau_syn * tau_mem / (tau_syn - tau_mem)
    crossing = brentq(v, 1e-12, peak)
    nodes = {"in": nir.Input(_v([1])), "w": nir.Linear(np.array([[w]])),
             "cuba": nir.CubaLIF(_v(tau_syn), _v(tau_mem), _v(1.0), _v(0.0), _v(theta), _v(tau_syn)),
             "out": nir.Output(_v([1]))}
    g = _graph(nodes, [("in", "w"), ("w", "cuba"), ("cuba", "out")], spike_convention="dirac")
    return ClosedForm("CubaLIF, τ_syn ≠ τ_mem", g, _one_spike(at), "cuba", _v(at + crossing), 0.03, 1)


def delayed(delay=0.005, times=(0.001, 0.004, 0.010)) -> ClosedForm:
    """A Delay node shifts a spike train: Input → Delay → IF (R = 1, θ = 0.5, reset to 0) fires at t + delay."""
    times = np.asarray(times)
    nodes = {"in": nir.Input(_v([1])), "d": nir.Delay(_v(delay)),
             "if": nir.IF(_v(1.0), _v(0.5), metadata={"reset": "to_zero", "v_reset": 0.0}), "out": nir.Output(_v([1]))}
    g = _graph(nodes, [("in", "d"), ("d", "if"), ("if", "out")], spike_convention="dirac")
    return ClosedForm("Delay", g, {"in": SpikeTrains(np.zeros(len(times), int), times)}, "if", times + delay,
                      times[-1] + delay + 0.005, 1)


def if_reset(r=1.0, b=50.0, theta=1.0, v_reset=0.4, duration=0.05) -> ClosedForm:
    """IF driven by a bias current with v_reset ≠ 0: first spike at θ/(R·b), then every (θ − v_reset)/(R·b).
    On a grid the reset drops the overshoot, so each interval may be one simulation step longer."""
    first, isi = theta / (r * b), (theta - v_reset) / (r * b)
    nodes = {"in": nir.Input(_v([1])), "drive": nir.Affine(np.zeros((1, 1)), _v(b)),
             "if": nir.IF(_v(r), _v(theta), metadata={"reset": "to_value", "v_reset": v_reset}),
             "out": nir.Output(_v([1]))}
    g = _graph(nodes, [("in", "drive"), ("drive", "if"), ("if", "out")], spike_convention="dirac")
    return ClosedForm("IF, v_reset ≠ 0", g, {}, "if", first + np.arange(int((duration - first) / isi) + 1) * isi,
                      duration, 0, 1)


def scaled(scale=2.0, w=0.3, theta=1.0, times=(0.001, 0.002, 0.003, 0.004)) -> ClosedForm:
    """Scale multiplies the input: IF (R = 1) after Linear(w) and Scale(s) jumps by s·w per spike and
    fires at the ⌈θ/(s·w)⌉-th input spike (here the second: 0.6 + 0.6 > 1), reset by subtraction."""
    times, v, firing = np.asarray(times), 0.0, []
    for t in times:  # each spike adds s·w; above θ the neuron fires and subtracts θ
        v += scale * w
        if v > theta:
            firing.append(t)
            v -= theta
    nodes = {"in": nir.Input(_v([1])), "w": nir.Linear(np.array([[w]])), "s": nir.Scale(_v(scale)),
             "if": nir.IF(_v(1.0), _v(theta)), "out": nir.Output(_v([1]))}
    g = _graph(nodes, [("in", "w"), ("w", "s"), ("s", "if"), ("if", "out")], spike_convention="dirac")
    return ClosedForm("Scale", g, {"in": SpikeTrains(np.zeros(len(times), int), times)}, "if", _v(firing),
                      times[-1] + 0.002, 1)


def threshold(step=0.001, weights=(0.3, 0.8, 1.5), theta=0.5) -> ClosedForm:
    """Threshold H(I − θ) under step:<dt> spikes: an input pulse of height w fires the node iff w > θ.
    The node runs on the pulse's clock: its spike is stamped at the end of the pulse that caused it."""
    n = len(weights)
    nodes = {"in": nir.Input(_v([n])), "w": nir.Linear(np.diag(weights)),
             "thr": nir.Threshold(np.full(n, theta)), "out": nir.Output(_v([n]))}
    g = _graph(nodes, [("in", "w"), ("w", "thr"), ("thr", "out")], spike_convention=f"step:{step}")
    fires = np.asarray(weights) > theta
    return ClosedForm("Threshold", g, {"in": SpikeTrains(np.arange(n), np.full(n, 0.002))}, "thr",
                      np.full(int(fires.sum()), 0.002 + step), 0.01, 1)


def self_excitation(delay=0.004, kick_at=0.001, duration=0.03) -> ClosedForm:
    """Recurrent self-excitation: one kick makes an IF neuron (θ = 0.5, reset to 0) fire, and its own spike,
    fed back through Delay(d) and weight 1, fires it again: period d, first spike at the kick."""
    nodes = {"in": nir.Input(_v([1])), "kick": nir.Linear(np.array([[1.0]])),
             "if": nir.IF(_v(1.0), _v(0.5), metadata={"reset": "to_zero", "v_reset": 0.0}),
             "loop": nir.Linear(np.array([[1.0]])), "d": nir.Delay(_v(delay)), "out": nir.Output(_v([1]))}
    edges = [("in", "kick"), ("kick", "if"), ("if", "loop"), ("loop", "d"), ("d", "if"), ("if", "out")]
    g = _graph(nodes, edges, spike_convention="dirac")
    expected = kick_at + np.arange(int((duration - kick_at) / delay) + 1) * delay
    return ClosedForm("recurrent self-excitation", g, _one_spike(kick_at), "if", expected[expected < duration - delay],
                      duration, 1, 1)


CASES = (lif_bias, lif_leak, alpha_psp, biexponential_psp, delayed, if_reset, scaled, threshold, self_excitation)


def spike_times(case: ClosedForm, dt: float, device: str = "runtime") -> np.ndarray:
    """Brian2's spike times (s) of the watched node at simulation step `dt`, sorted."""
    run = simulate_graph(case.graph, case.inputs, case.duration, dt=dt, device=device)
    return np.sort(run.spikes[case.node][1])


def spike_time_errors(case: ClosedForm, times: np.ndarray) -> np.ndarray:
    """|simulated − exact| per expected spike (s); inf where a spike is missing."""
    errors = np.full(len(case.expected), math.inf)
    n = min(len(times), len(case.expected))
    errors[:n] = np.abs(times[:n] - case.expected[:n])
    return errors
