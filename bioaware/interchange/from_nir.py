"""A NIR chain graph → bioaware's layer specs, read through the general parser (`nir_graph`).

bioaware's own trained models are chains Input → (weight nodes → neuron)* → Output with one value per
layer of every neuron parameter and no bias; the graph's metadata gives the training step `dt`, which
turns τ into the per-step leak of training. Anything else is a one-line BioawareError (any NIR graph
still runs in Brian2 through `bioaware.brian.nir_network`).
"""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np

from bioaware.core.errors import BioawareError
from bioaware.core.layers import DenseSpikingLayer, leak_from_tau
from bioaware.interchange.spike_convention import training_step
from bioaware.interchange.nir_graph import ParsedGraph, parse_graph, read_nir

LAYER_KINDS = ("LIF", "IF", "CubaLIF", "LI")
DENSE_NODES = ("Linear", "Affine")


def read_graph(path: str | Path) -> nir.NIRGraph:
    """Read a NIR file; say which file and what is wrong if it cannot be used."""
    if not Path(path).is_file():
        raise BioawareError(f"{path}: NIR file not found; write one with `bioaware export runs/<name> --to nir`")
    return read_nir(path)


def input_shape(graph: nir.NIRGraph) -> tuple[int, ...]:
    """Shape of the graph's 'input' node, e.g. (784,) or (1, 28, 28)."""
    return tuple(int(v) for v in np.asarray(graph.nodes["input"].input_type["input"]).reshape(-1))


def chain(parsed: ParsedGraph) -> list[str]:
    """Population names from the Input to the Output of a feed-forward chain."""
    path = parsed.path
    if len(parsed.inputs) != 1 or len(parsed.outputs) != 1:
        raise BioawareError(f"{path}: a layer chain has one Input and one Output node "
                            f"({len(parsed.inputs)} and {len(parsed.outputs)} here)")
    if parsed.cycles():
        raise BioawareError(f"{path}: the graph has a cycle through {parsed.cycles()[0]}; layer chains are "
                            "feed-forward")
    order = [parsed.inputs[0]]
    while parsed.populations[order[-1]].kind != "Output":
        following = [p.target for p in parsed.pathways if p.source == order[-1]]
        if len(following) != 1:
            raise BioawareError(f"{path}: node '{order[-1]}' feeds {len(following)} nodes; layer chains feed one")
        order.append(following[0])
    return order


def chain_nodes(graph: nir.NIRGraph, path: str | Path = "<graph>") -> list[str]:
    """Every node name of a feed-forward chain from its Input to its Output, weight nodes included."""
    parsed = parse_graph(graph, str(path))
    order = chain(parsed)
    names = [order[0]]
    for name in order[1:]:
        names += [*parsed.sources_of(name)[0].through, name]
    return names


def graph_to_layers(graph: nir.NIRGraph, path: str | Path = "<graph>") -> tuple[list[DenseSpikingLayer], dict]:
    """(layer specs, graph metadata) of an Input → (weight nodes → neuron)* → Output chain.

    The weight nodes between two neuron layers are composed into one matrix: dense when all of them
    are Linear/Affine, scipy-sparse otherwise (convolutions stay sparse)."""
    parsed = parse_graph(graph, str(path))
    dt = training_step(parsed.metadata, str(path))
    if dt is None:
        raise BioawareError(f"{path}: graph metadata lacks a positive 'dt' (the training step in seconds)")
    layers = []
    order = chain(parsed)
    for previous, name in zip(order[:-1], order[1:]):
        pop = parsed.populations[name]
        if pop.kind == "Output":
            if parsed.populations[previous].kind == "Input":
                raise BioawareError(f"{path}: no neuron layer between the Input and the Output")
            break
        if pop.kind not in LAYER_KINDS:
            raise BioawareError(f"{path}: node '{name}' is a {pop.kind}, which bioaware's trained-model layers do "
                                f"not use (layers: {', '.join(LAYER_KINDS)})")
        pathway = parsed.sources_of(name)[0]
        if list(pathway.terms) != [0.0] or pop.bias is not None and np.any(pop.bias):
            raise BioawareError(f"{path}: the weights into '{name}' have a delay or a non-zero bias, which these "
                                "models do not use")
        if not pathway.through:
            raise BioawareError(f"{path}: no weight node between '{previous}' and '{name}'")
        leak, scale, tau_syn, threshold = _layer_parameters(pop, dt, path)
        matrix = pathway.terms[0.0] * scale
        dense = all(parsed.node_types[n] in DENSE_NODES for n in pathway.through)
        layers.append(DenseSpikingLayer(name, matrix.toarray() if dense else matrix.tocsr(), leak, threshold,
                                        dict(pop.metadata), tau_syn=tau_syn, readout=pop.kind == "LI"))
    return layers, dict(parsed.metadata)


def _one(pop, attr: str, path) -> float:
    values = pop.params[attr]
    if not np.allclose(values, values[0]):
        raise BioawareError(f"{path}: node '{pop.name}' has per-neuron {attr}; layer specs take one value per layer "
                            "(the Brian2 builder takes any: `bioaware simulate FILE.nir`)")
    return float(values[0])


def _layer_parameters(pop, dt: float, path) -> tuple[float, float, float, float]:
    """(per-step leak, weight scale, τ_syn in s (0 without a synaptic current), threshold) of a layer."""
    get = lambda attr: _one(pop, attr, path)  # noqa: E731
    threshold = np.inf if pop.kind == "LI" else get("v_threshold")
    if pop.kind == "IF":
        return 0.0, get("r"), 0.0, threshold
    if pop.kind == "CubaLIF":
        tau_syn = get("tau_syn")
        return leak_from_tau(get("tau_mem"), dt), get("r") * get("w_in") / tau_syn, tau_syn, threshold
    tau = get("tau")
    return leak_from_tau(tau, dt), get("r") / tau, 0.0, threshold
