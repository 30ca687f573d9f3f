"""Alpha-PSP temporal-coding networks (Comşa et al.) ↔ NIR.

An alpha neuron is NIR's CubaLIF with τ_syn = τ_mem = τ = unit/K and no leak beyond the kernel
(v_leak = 0): with w_in = τ (an input spike of weight w adds w to I) and r = 1/K, one input spike
of weight w at t = 0 gives v(t) = w·(t/unit)·e^{−K t/unit}, exactly the model's PSP. Neurons spike
at most once (an infinite refractory period, recorded in node metadata since NIR has none).
Each layer's synchronisation pulses are an Input node of their own with a Linear into the layer;
their spike times (model units and seconds) are in the layer's node metadata (NIR keeps no
metadata on Input nodes).
"""

from __future__ import annotations

from dataclasses import dataclass

import nir
import numpy as np

SINGLE_SPIKE = {"refractory_period": "infinite", "spikes_at_most_once": True, "reset": "none (spikes once)",
                "threshold_test": ">= v_threshold",
                "psp": "alpha: w·(t − tᵢ)·exp(−K·(t − tᵢ)), τ_syn = τ_mem = unit/K"}


@dataclass
class AlphaLayerSpec:
    """One layer: `weight` [out, in], `pulse_weight` [out, P] from pulses at `pulse_times` [P] (model units),
    decay rate `decay` (1/unit) and threshold `v_th`."""

    name: str
    weight: np.ndarray
    pulse_weight: np.ndarray
    pulse_times: np.ndarray
    decay: float
    v_th: float

    @property
    def size(self) -> int:
        return self.weight.shape[0]


def alpha_node(layer: AlphaLayerSpec, unit: float) -> nir.CubaLIF:
    full = lambda value: np.full((layer.size,), float(value))  # noqa: E731
    tau = unit / layer.decay
    pulses = np.asarray(layer.pulse_times, dtype=np.float64)
    return nir.CubaLIF(tau_syn=full(tau), tau_mem=full(tau), r=full(1.0 / layer.decay), v_leak=full(0.0),
                       v_threshold=full(layer.v_th), w_in=full(tau), metadata={
                           **SINGLE_SPIKE, "pulse_times": pulses.tolist(), "pulse_times_s": (pulses * unit).tolist()})


def temporal_to_nir(layers: list[AlphaLayerSpec], unit: float, metadata: dict) -> nir.NIRGraph:
    """input → Linear → alpha layer → … → output, each layer also fed by '<name>_pulses' → Linear."""
    nodes = {"input": nir.Input({"input": np.array([layers[0].weight.shape[1]])})}
    edges, previous = [], "input"
    for layer in layers:
        pulses = f"{layer.name}_pulses"
        nodes[pulses] = nir.Input({"input": np.array([len(layer.pulse_times)])})
        nodes[f"{layer.name}.weight"] = nir.Linear(weight=np.asarray(layer.weight, dtype=np.float64))
        nodes[f"{layer.name}.pulse_weight"] = nir.Linear(weight=np.asarray(layer.pulse_weight, dtype=np.float64))
        nodes[layer.name] = alpha_node(layer, unit)
        edges += [(previous, f"{layer.name}.weight"), (f"{layer.name}.weight", layer.name),
                  (pulses, f"{layer.name}.pulse_weight"), (f"{layer.name}.pulse_weight", layer.name)]
        previous = layer.name
    nodes["output"] = nir.Output({"output": np.array([layers[-1].size])})
    edges.append((previous, "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"time_unit_s": unit, "spike_convention": "dirac",
                                                             **metadata})


def temporal_from_nir(graph: nir.NIRGraph) -> tuple[list[AlphaLayerSpec], float]:
    """The alpha layers of a graph written by :func:`temporal_to_nir` (in order), and its time unit (s)."""
    unit = float(graph.metadata["time_unit_s"])
    incoming: dict[str, list[str]] = {}
    for src, dst in graph.edges:
        incoming.setdefault(dst, []).append(src)
    layers, current = [], "input"
    while True:
        weights = [dst for src, dst in graph.edges if src == current and isinstance(graph.nodes[dst], nir.Linear)]
        if not weights:
            return layers, unit
        (name,) = [dst for src, dst in graph.edges if src == weights[0]]
        node = graph.nodes[name]
        if not isinstance(node, nir.CubaLIF) or not np.allclose(node.tau_syn, node.tau_mem):
            raise ValueError(f"node {name!r}: expected a CubaLIF with tau_syn = tau_mem (an alpha neuron)")
        (pulse_linear,) = [src for src in incoming[name] if src != weights[0]]
        decay = unit / float(np.asarray(node.tau_mem).ravel()[0])
        layers.append(AlphaLayerSpec(name, np.asarray(graph.nodes[weights[0]].weight),
                                     np.asarray(graph.nodes[pulse_linear].weight),
                                     np.asarray(node.metadata["pulse_times"], dtype=np.float64),
                                     decay, float(np.asarray(node.v_threshold).ravel()[0])))
        current = name
