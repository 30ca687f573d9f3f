"""NIR file → checked graph → layer specs. Every problem is a one-line BioawareError."""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np

from bioaware.errors import BioawareError
from bioaware.interchange.layers import DenseSpikingLayer, leak_from_tau

SUPPORTED = (nir.Input, nir.Output, nir.Linear, nir.Affine, nir.LIF, nir.IF)


def read_graph(path: str | Path) -> nir.NIRGraph:
    """Read a NIR file; say which file and what is wrong if it cannot be used."""
    path = Path(path)
    if not path.is_file():
        raise BioawareError(f"{path}: NIR file not found; write one with `bioaware export runs/<name> --to nir`")
    try:
        graph = nir.read(path)
    except Exception as exc:
        raise BioawareError(f"{path}: not a readable NIR file ({type(exc).__name__}: {exc})") from None
    return graph


def _chain(graph: nir.NIRGraph, path) -> list[str]:
    """Node names from input to output of a feed-forward chain."""
    successors: dict[str, list[str]] = {}
    for src, dst in graph.edges:
        successors.setdefault(src, []).append(dst)
    order, node = [], "input"
    while True:
        order.append(node)
        following = successors.get(node, [])
        if not following:
            break
        if len(following) > 1:
            raise BioawareError(f"{path}: node '{node}' feeds {len(following)} nodes; only feed-forward chains are supported")
        node = following[0]
        if node in order:
            raise BioawareError(f"{path}: the graph has a cycle through '{node}'; only feed-forward chains are supported")
    if order[-1] != "output" or "input" not in graph.nodes:
        raise BioawareError(f"{path}: the chain from 'input' does not end at 'output'")
    return order


def graph_to_layers(graph: nir.NIRGraph, path: str | Path = "<graph>") -> tuple[list[DenseSpikingLayer], dict]:
    """(layer specs, graph metadata) of a Input → (Linear|Affine → LIF|IF)* → Output graph."""
    for name, node in graph.nodes.items():
        if not isinstance(node, SUPPORTED):
            raise BioawareError(f"{path}: node '{name}' is a {type(node).__name__}, which bioaware cannot simulate "
                                f"(supported: {', '.join(c.__name__ for c in SUPPORTED)})")
    dt = float(graph.metadata.get("dt", 0.0))
    if not dt > 0:
        raise BioawareError(f"{path}: graph metadata lacks a positive 'dt' (the training step in seconds)")
    names = _chain(graph, path)
    layers: list[DenseSpikingLayer] = []
    width = int(np.prod(graph.nodes["input"].input_type["input"]))
    for weight_name, neuron_name in zip(names[1:-1:2], names[2:-1:2]):
        w_node, n_node = graph.nodes[weight_name], graph.nodes[neuron_name]
        if not isinstance(w_node, (nir.Linear, nir.Affine)) or not isinstance(n_node, (nir.LIF, nir.IF)):
            raise BioawareError(f"{path}: expected a Linear/Affine then a LIF/IF node at '{weight_name}' → "
                                f"'{neuron_name}', got {type(w_node).__name__} → {type(n_node).__name__}")
        weight = np.asarray(w_node.weight, dtype=np.float64)
        if isinstance(w_node, nir.Affine) and np.any(np.asarray(w_node.bias) != 0):
            raise BioawareError(f"{path}: node '{weight_name}' has a non-zero bias, which these models do not use")
        if not np.all(np.isfinite(weight)):
            raise BioawareError(f"{path}: node '{weight_name}' has NaN or infinite weights; re-export from a healthy checkpoint")
        if weight.ndim != 2 or weight.shape[1] != width:
            raise BioawareError(f"{path}: shape mismatch at '{weight_name}': weight {weight.shape} after a layer of {width}")
        threshold = np.asarray(n_node.v_threshold, dtype=np.float64).reshape(-1)
        if threshold.size not in (1, weight.shape[0]):
            raise BioawareError(f"{path}: shape mismatch at '{neuron_name}': {threshold.size} thresholds "
                                f"for {weight.shape[0]} inputs")
        if isinstance(n_node, nir.IF):
            leak, scale = 0.0, np.asarray(n_node.r, dtype=np.float64).reshape(-1)
        else:
            tau = float(np.asarray(n_node.tau).reshape(-1)[0])
            leak = leak_from_tau(tau, dt)
            scale = np.asarray(n_node.r, dtype=np.float64).reshape(-1) / np.asarray(n_node.tau).reshape(-1)
        if not np.allclose(scale, scale[0]) or not np.allclose(threshold, threshold[0]):
            raise BioawareError(f"{path}: node '{neuron_name}' has per-neuron parameters; bioaware needs one value per layer")
        # the jump of v per input spike is w·R/τ (LIF) or w·R (IF): fold it into the weights
        layers.append(DenseSpikingLayer(neuron_name, weight * scale[0], leak, float(threshold[0]),
                                        dict(n_node.metadata or {})))
        width = weight.shape[0]
    if width != int(np.prod(graph.nodes["output"].output_type["output"])):
        raise BioawareError(f"{path}: shape mismatch at 'output': {width} neurons feed an output of "
                            f"{int(np.prod(graph.nodes['output'].output_type['output']))}")
    return layers, dict(graph.metadata)
