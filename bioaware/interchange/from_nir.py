"""NIR file → checked graph → layer specs. Every problem is a one-line BioawareError."""

from __future__ import annotations

import math
from pathlib import Path

import nir
import numpy as np

from bioaware.errors import BioawareError
from bioaware.interchange.layers import DenseSpikingLayer, leak_from_tau
from bioaware.interchange.linear_maps import linear_map

NEURONS = (nir.LIF, nir.IF, nir.CubaLIF, nir.LI)
WEIGHTS = (nir.Linear, nir.Affine, nir.Conv2d, nir.SumPool2d, nir.Flatten)
SUPPORTED = (nir.Input, nir.Output, *WEIGHTS, *NEURONS)


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


def input_shape(graph: nir.NIRGraph) -> tuple[int, ...]:
    """Shape of the graph's 'input' node, e.g. (784,) or (1, 28, 28)."""
    return tuple(int(v) for v in np.asarray(graph.nodes["input"].input_type["input"]).reshape(-1))


def chain(graph: nir.NIRGraph, path="<graph>") -> list[str]:
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
    """(layer specs, graph metadata) of an Input → (weight nodes → neuron)* → Output chain.

    Weight nodes (Linear, Affine without bias, Conv2d, SumPool2d, Flatten) between two neuron layers
    are composed into one matrix: dense when all of them are Linear/Affine, scipy-sparse otherwise.
    """
    for name, node in graph.nodes.items():
        if not isinstance(node, SUPPORTED):
            raise BioawareError(f"{path}: node '{name}' is a {type(node).__name__}, which bioaware cannot simulate "
                                f"(supported: {', '.join(c.__name__ for c in SUPPORTED)})")
    dt = float(graph.metadata.get("dt", 0.0))
    if not dt > 0:
        raise BioawareError(f"{path}: graph metadata lacks a positive 'dt' (the training step in seconds)")
    layers: list[DenseSpikingLayer] = []
    shape = input_shape(graph)
    matrix, sparse, previous = None, False, "input"
    for name in chain(graph, path)[1:-1]:
        node = graph.nodes[name]
        if isinstance(node, WEIGHTS):
            step, shape = linear_map(node, shape, name, path)
            if not np.all(np.isfinite(step.data)):
                raise BioawareError(f"{path}: node '{name}' has NaN or infinite weights; re-export from a healthy checkpoint")
            matrix = step if matrix is None else step @ matrix
            sparse = sparse or not isinstance(node, (nir.Linear, nir.Affine))
            continue
        if matrix is None:
            raise BioawareError(f"{path}: no weight node between '{previous}' and '{name}'")
        n = matrix.shape[0]
        leak, scale, tau_syn, threshold = _neuron_parameters(node, dt, n, name, path)
        # the jump per input spike of weight w: v by w·R/τ (LIF, LI) or w·R (IF); I by w·w_in·R/τ_syn (CubaLIF)
        weight = (matrix * scale).tocsr() if sparse else matrix.toarray() * scale
        layers.append(DenseSpikingLayer(name, weight, leak, threshold, dict(node.metadata or {}),
                                        tau_syn=tau_syn, readout=isinstance(node, nir.LI)))
        matrix, sparse, previous = None, False, name
    if matrix is not None:
        raise BioawareError(f"{path}: weight nodes after the last neuron layer '{previous}' feed 'output' directly")
    width = layers[-1].size if layers else 0
    if width != int(np.prod(graph.nodes["output"].output_type["output"])):
        raise BioawareError(f"{path}: shape mismatch at 'output': {width} neurons feed an output of "
                            f"{int(np.prod(graph.nodes['output'].output_type['output']))}")
    return layers, dict(graph.metadata)


def _one_value(node, attr: str, n: int, name: str, path) -> float:
    values = np.asarray(getattr(node, attr), dtype=np.float64).reshape(-1)
    if values.size not in (1, n):
        raise BioawareError(f"{path}: shape mismatch at '{name}': {values.size} values of {attr} for {n} inputs")
    if not np.allclose(values, values[0]):
        raise BioawareError(f"{path}: node '{name}' has per-neuron {attr}; bioaware needs one value per layer")
    return float(values[0])


def _neuron_parameters(node, dt: float, n: int, name: str, path) -> tuple[float, float, float, float]:
    """(per-step leak, weight scale, τ_syn in s (0 without a synaptic current), threshold) of a NIR neuron."""
    get = lambda attr: _one_value(node, attr, n, name, path)  # noqa: E731
    threshold = math.inf if isinstance(node, nir.LI) else get("v_threshold")
    if isinstance(node, nir.IF):
        return 0.0, get("r"), 0.0, threshold
    if isinstance(node, nir.CubaLIF):
        tau_syn = get("tau_syn")
        return leak_from_tau(get("tau_mem"), dt), get("r") * get("w_in") / tau_syn, tau_syn, threshold
    tau = get("tau")
    return leak_from_tau(tau, dt), get("r") / tau, 0.0, threshold
