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
    """The NIR neuron for `layer`: LIF with τ, R = τ (a spike of weight w moves v by w), or IF when leak = 0."""
    n = layer.size
    meta = {**RESET_METADATA, "discrete_leak": layer.leak, **layer.metadata}
    if layer.leak == 0.0:
        return nir.IF(r=np.ones(n), v_threshold=np.full(n, layer.v_th), metadata=meta)
    tau = tau_from_leak(layer.leak, dt)
    return nir.LIF(tau=np.full(n, tau), r=np.full(n, tau), v_leak=np.zeros(n), v_threshold=np.full(n, layer.v_th),
                   metadata=meta)


def layers_to_nir(layers: list[DenseSpikingLayer], dt: float, metadata: dict) -> nir.NIRGraph:
    """A feed-forward NIR graph; `metadata` (encoder, steps, …) goes on the graph with Δt (s)."""
    reserved = {"input", "output"} & {layer.name for layer in layers}
    if reserved:
        raise ValueError(f"layer names {sorted(reserved)} are reserved for NIR's Input/Output nodes")
    nodes = {"input": nir.Input({"input": np.array([layers[0].weight.shape[1]])})}
    edges, previous = [], "input"
    for layer in layers:
        nodes[f"{layer.name}.weight"] = nir.Linear(weight=np.asarray(layer.weight, dtype=np.float64))
        nodes[layer.name] = neuron_node(layer, dt)
        edges += [(previous, f"{layer.name}.weight"), (f"{layer.name}.weight", layer.name)]
        previous = layer.name
    nodes["output"] = nir.Output({"output": np.array([layers[-1].size])})
    edges.append((previous, "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": dt, **metadata})


def write_graph(graph: nir.NIRGraph, path: Path) -> None:
    """nir.write to a temporary file, renamed into place."""
    atomic_write(Path(path), lambda tmp: nir.write(tmp, graph))
