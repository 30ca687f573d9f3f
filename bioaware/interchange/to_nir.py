"""Layer specs → NIR graph: Input → (Linear|Conv2d → LIF|IF)* → Output, written with nir.write."""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np

from bioaware.core.layers import DenseSpikingLayer, tau_from_leak
from bioaware.core.rundir import atomic_write

RESET_METADATA = {"reset": "to_zero", "v_reset": 0.0, "refractory_period": 0.0, "threshold_test": ">= v_threshold",
                  "update_order": "decay, add input spikes, threshold, reset (all layers within the same step)"}


def neuron_node(layer: DenseSpikingLayer, dt: float) -> nir.NIRNode:
    """The NIR neuron for `layer`, parameterised so that an input spike of weight w moves v (or I) by w.

    LIF: τ from the leak, R = τ. IF (leak 0): R = 1. CubaLIF: R = 1, w_in = τ_syn. LI: R = τ.
    """
    shape = (layer.conv.kernel.shape[0], *layer.conv.in_shape[1:]) if layer.conv else (layer.size,)
    meta = {**RESET_METADATA, "discrete_leak": layer.leak, **layer.metadata}
    full = lambda value: np.full(shape, float(value))  # noqa: E731  (C, H, W) after a convolution
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


def weight_node(layer: DenseSpikingLayer) -> nir.NIRNode:
    """Conv2d for a convolutional layer (stride 1, no bias), else Linear (dense, also for composed maps)."""
    if layer.conv is not None:
        kernel = np.asarray(layer.conv.kernel, dtype=np.float64)
        return nir.Conv2d(input_shape=tuple(layer.conv.in_shape[1:]), weight=kernel, stride=1,
                          padding=layer.conv.padding, dilation=1, groups=1, bias=np.zeros(kernel.shape[0]))
    dense = layer.weight.toarray() if hasattr(layer.weight, "toarray") else layer.weight
    return nir.Linear(weight=np.asarray(dense, dtype=np.float64))


def layers_to_nir(layers: list[DenseSpikingLayer], dt: float, metadata: dict) -> nir.NIRGraph:
    """A feed-forward NIR graph; `metadata` (encoder, steps, …) goes on the graph with Δt (s)."""
    reserved = {"input", "output"} & {layer.name for layer in layers}
    if reserved:
        raise ValueError(f"layer names {sorted(reserved)} are reserved for NIR's Input/Output nodes")
    first, last = layers[0], layers[-1]
    in_shape = first.conv.in_shape if first.conv else (first.weight.shape[1],)
    out_shape = (last.conv.kernel.shape[0], *last.conv.in_shape[1:]) if last.conv else (last.size,)
    nodes = {"input": nir.Input({"input": np.array(in_shape)})}
    edges, previous = [], "input"
    for layer in layers:
        nodes[f"{layer.name}.weight"] = weight_node(layer)
        nodes[layer.name] = neuron_node(layer, dt)
        edges += [(previous, f"{layer.name}.weight"), (f"{layer.name}.weight", layer.name)]
        previous = layer.name
    nodes["output"] = nir.Output({"output": np.array(out_shape)})
    edges.append((previous, "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": dt, "spike_convention": "dirac", **metadata})


def write_graph(graph: nir.NIRGraph, path: Path) -> None:
    """nir.write to a temporary file, renamed into place."""
    atomic_write(Path(path), lambda tmp: nir.write(tmp, graph))
