"""Layer specs → NIR graph: Input → (Linear → LIF|IF)* → Output, written with nir.write."""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np

from bioaware.interchange.layers import DenseSpikingLayer, tau_from_leak
from bioaware.train.rundir import atomic_write

RESET_METADATA = {"reset": "to_zero", "v_reset": 0.0, "refractory_period": 0.0,
                  "update_order": "decay, add input spikes, threshold, reset (all layers within the same step)"}


def neuron_node(layer: DenseSpikingLayer, dt: float) -> nir.NIRNode:
    """The NIR neuron for `layer`, parameterised so that an input spike of weight w moves v (or I) by w.

    LIF: τ from the leak, R = τ. IF (leak 0): R = 1. CubaLIF: R = 1, w_in = τ_syn. LI: R = τ.
    """
    n = layer.size
    meta = {**RESET_METADATA, "discrete_leak": layer.leak, **layer.metadata}
    full = lambda value: np.full(n, float(value))  # noqa: E731
    if layer.leak == 0.0:
        if layer.tau_syn or layer.readout:
            raise ValueError(f"layer {layer.name}: CUBA and readout layers need a leak > 0")
        return nir.IF(r=full(1.0), v_threshold=full(layer.v_th), metadata=meta)
    tau = tau_from_leak(layer.leak, dt)
    if layer.readout:
        return nir.LI(tau=full(tau), r=full(tau), v_leak=full(0.0), metadata=meta)
    if layer.tau_syn:
        return nir.CubaLIF(tau_syn=full(layer.tau_syn), tau_mem=full(tau), r=full(1.0), v_leak=full(0.0),
                           v_threshold=full(layer.v_th), w_in=full(layer.tau_syn), metadata=meta)
    return nir.LIF(tau=full(tau), r=full(tau), v_leak=full(0.0), v_threshold=full(layer.v_th), metadata=meta)


def layers_to_nir(layers: list[DenseSpikingLayer], dt: float, metadata: dict) -> nir.NIRGraph:
    """A feed-forward NIR graph; `metadata` (encoder, steps, …) goes on the graph with Δt (s)."""
    reserved = {"input", "output"} & {layer.name for layer in layers}
    if reserved:
        raise ValueError(f"layer names {sorted(reserved)} are reserved for NIR's Input/Output nodes")
    nodes = {"input": nir.Input({"input": np.array([layers[0].weight.shape[1]])})}
    edges, previous = [], "input"
    for layer in layers:
        dense = layer.weight.toarray() if hasattr(layer.weight, "toarray") else layer.weight  # composed convolutions
        nodes[f"{layer.name}.weight"] = nir.Linear(weight=np.asarray(dense, dtype=np.float64))
        nodes[layer.name] = neuron_node(layer, dt)
        edges += [(previous, f"{layer.name}.weight"), (f"{layer.name}.weight", layer.name)]
        previous = layer.name
    nodes["output"] = nir.Output({"output": np.array([layers[-1].size])})
    edges.append((previous, "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": dt, **metadata})


def write_graph(graph: nir.NIRGraph, path: Path) -> None:
    """nir.write to a temporary file, renamed into place."""
    atomic_write(Path(path), lambda tmp: nir.write(tmp, graph))
