"""Layer specs → NIR graph: Input → (Linear|Affine|Conv2d → LIF|IF|LI)* → Output, written with nir.write.

A layer's per-step bias b becomes the node's bias b / `charge_per_step` (the constant current that adds b
over one step). A transposed convolution is written as its equal Conv2d over the input spread apart; the
graph's metadata `input_dilation` names those nodes. With `analog_input` the Input's values are constant
currents (the same analog image at every step), scaled like a bias.
"""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np

from bioaware.core.layers import DenseSpikingLayer, charge_per_step, tau_from_leak
from bioaware.core.rundir import atomic_write

RESET_METADATA = {"reset": "to_zero", "v_reset": 0.0, "refractory_period": 0.0, "threshold_test": ">= v_threshold",
                  "update_order": "decay, add input spikes, threshold, reset (all layers within the same step)"}


def neuron_node(layer: DenseSpikingLayer, dt: float) -> nir.NIRNode:
    """The NIR neuron for `layer`, parameterised so that an input spike of weight w moves v (or I) by w.

    LIF: τ from the leak, R = τ. IF (leak 0): R = 1. CubaLIF: R = 1, w_in = τ_syn. LI: R = τ.
    """
    shape = layer.shape
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


def weight_node(layer: DenseSpikingLayer, dt: float, scale: float = 1.0) -> nir.NIRNode:
    """Conv2d for a convolutional layer, else Affine (with a bias) or Linear (dense, also for composed maps);
    weights times `scale`, the per-step bias as a current."""
    bias = None if layer.bias is None else np.asarray(layer.bias, dtype=np.float64) / charge_per_step(layer.leak, dt)
    if layer.conv is not None:
        kernel = np.asarray(layer.conv.kernel, dtype=np.float64) * scale
        channel_bias = np.zeros(kernel.shape[0]) if bias is None else bias.reshape(kernel.shape[0], -1)[:, 0]
        return nir.Conv2d(input_shape=tuple(layer.conv.in_shape[1:]), weight=kernel, stride=layer.conv.stride,
                          padding=layer.conv.padding, dilation=1, groups=1, bias=channel_bias)
    dense = layer.weight.toarray() if hasattr(layer.weight, "toarray") else layer.weight
    dense = np.asarray(dense, dtype=np.float64) * scale
    return nir.Linear(weight=dense) if bias is None else nir.Affine(weight=dense, bias=bias.reshape(-1))


def layers_to_nir(layers: list[DenseSpikingLayer], dt: float, metadata: dict,
                  analog_input: bool = False) -> nir.NIRGraph:
    """A feed-forward NIR graph; `metadata` (encoder, steps, …) goes on the graph with Δt (s). `analog_input`:
    the Input carries constant values (currents), not spikes."""
    reserved = {"input", "output"} & {layer.name for layer in layers}
    if reserved:
        raise ValueError(f"layer names {sorted(reserved)} are reserved for NIR's Input/Output nodes")
    first, last = layers[0], layers[-1]
    in_shape = first.conv.in_shape if first.conv else (first.weight.shape[1],)
    nodes = {"input": nir.Input({"input": np.array(in_shape)})}
    edges, previous, spread = [], "input", {}
    for k, layer in enumerate(layers):
        scale = 1.0 / charge_per_step(layer.leak, dt) if analog_input and k == 0 else 1.0
        nodes[f"{layer.name}.weight"] = weight_node(layer, dt, scale)
        nodes[layer.name] = neuron_node(layer, dt)
        edges += [(previous, f"{layer.name}.weight"), (f"{layer.name}.weight", layer.name)]
        previous = layer.name
        if layer.conv is not None and layer.conv.input_dilation > 1:
            spread[f"{layer.name}.weight"] = layer.conv.input_dilation
    nodes["output"] = nir.Output({"output": np.array(last.shape)})
    edges.append((previous, "output"))
    extra = {"input_dilation": spread} if spread else {}
    if analog_input:
        extra["input"] = "analog: each value of 'input' is a constant current over the whole run (direct input)"
    return nir.NIRGraph(nodes=nodes, edges=edges,
                        metadata={"dt": dt, "spike_convention": "dirac", **extra, **metadata})


def write_graph(graph: nir.NIRGraph, path: Path) -> None:
    """nir.write to a temporary file, renamed into place."""
    atomic_write(Path(path), lambda tmp: nir.write(tmp, graph))
