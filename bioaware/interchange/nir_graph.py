"""Any NIR graph → populations of neurons and the weighted, delayed pathways between them.

NIR is continuous-time: a node is a function of its input current, an edge is identity, and every
edge into a node adds to its input. This module reads that structure without choosing a simulator:

- *populations* are the nodes with state or spikes: Input, the neurons (IF, LIF, LI, I, CubaLIF,
  CubaLI), Threshold, and Output (which records what feeds it);
- *pathways* are everything linear between two populations (Linear, Affine, Scale, Conv1d, Conv2d,
  SumPool2d, AvgPool2d, Flatten, Delay): composed into one sparse [target, source] matrix per
  distinct delay (s). Biases of Affine/Conv nodes become a constant input current of the populations
  they reach. A transposed convolution, which NIR 1.0 lacks, is the equal Conv2d over its input spread
  apart: the graph's metadata `input_dilation` maps such a node's name to its stride. Any directed
  graph is allowed, cycles included (a recurrent edge is one more pathway); nested NIRGraph nodes are
  flattened with dotted names.

Every problem is a one-line `BioawareError` naming the file and the node.
"""

from __future__ import annotations

import copy
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import nir
import numpy as np
import scipy.sparse as sp

from bioaware.core.errors import BioawareError
from bioaware.interchange.linear_maps import node_map

# NIR type → its parameters (all per-neuron arrays); every name here is read from the node
NEURON_PARAMETERS = {
    "IF": ("r", "v_threshold"),
    "LIF": ("tau", "r", "v_leak", "v_threshold"),
    "LI": ("tau", "r", "v_leak"),
    "I": ("r",),
    "CubaLIF": ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "w_in"),
    "CubaLI": ("tau_syn", "tau_mem", "r", "v_leak", "w_in"),
    "Threshold": ("threshold",),
}
SPIKING = {"Input", "IF", "LIF", "CubaLIF", "Threshold"}
WEIGHT_TYPES = (nir.Linear, nir.Affine, nir.Scale, nir.Conv1d, nir.Conv2d, nir.SumPool2d, nir.AvgPool2d, nir.Flatten)
WEIGHT_TYPE_NAMES = {c.__name__ for c in WEIGHT_TYPES}
# largest array a graph may declare (numbers), checked before anything is read; $BIOAWARE_MAX_ELEMENTS raises it
MAX_ELEMENTS = int(os.environ.get("BIOAWARE_MAX_ELEMENTS", 200_000_000))


class _PassThrough:
    """The Input/Output of a nested graph: identity inside the flattened graph."""

    metadata: dict = {}


@dataclass
class Population:
    """A node with state or spikes: `kind` is its NIR type; `params` per-neuron arrays (size `size`)."""

    name: str  # the name in the file (nested graphs: dotted path)
    ident: str  # a Brian2-safe identifier
    kind: str
    shape: tuple
    params: dict[str, np.ndarray] = field(default_factory=dict)
    bias: np.ndarray | None = None  # constant input current per neuron (sum of the biases that reach it)
    reset: str = "subtract"  # 'subtract' (v ← v − v_threshold, NIR 1.0), 'to_value' (v ← v_reset), 'none'
    v_reset: np.ndarray | None = None
    threshold_test: str = ">"  # NIR: spike when v > v_threshold; '>=' where the graph's metadata says so
    refractory: float = 0.0  # s, from metadata (NIR has none); inf: the neuron spikes at most once
    metadata: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1

    @property
    def spiking(self) -> bool:
        return self.kind in SPIKING


@dataclass
class Pathway:
    """Input of `target` from `source`: matrices [target size, source size] keyed by delay in s."""

    source: str
    target: str
    terms: dict[float, sp.csr_matrix]
    through: tuple[str, ...] = ()  # the weight-like nodes it composes

    @property
    def synapses(self) -> int:
        return sum(m.nnz for m in self.terms.values())


@dataclass
class ParsedGraph:
    """A NIR graph as populations and pathways, with what it came from."""

    path: str
    populations: dict[str, Population]
    pathways: list[Pathway]
    metadata: dict
    node_types: dict[str, str]  # every flattened node → its NIR type

    @property
    def inputs(self) -> list[str]:
        return [n for n, p in self.populations.items() if p.kind == "Input"]

    @property
    def outputs(self) -> list[str]:
        return [n for n, p in self.populations.items() if p.kind == "Output"]

    def time_constants(self) -> np.ndarray:
        """Every τ of every neuron (s); empty for graphs without leaky neurons."""
        taus = [v for p in self.populations.values() for k, v in p.params.items() if k.startswith("tau")]
        return np.concatenate(taus) if taus else np.zeros(0)

    def sources_of(self, name: str) -> list[Pathway]:
        return [p for p in self.pathways if p.target == name]

    def cycles(self) -> list[list[str]]:
        """Strongly connected sets of populations (recurrent loops), each in name order."""
        succ: dict[str, set[str]] = {}
        for p in self.pathways:
            succ.setdefault(p.source, set()).add(p.target)
        index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

        def visit(v):  # Tarjan's algorithm
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in succ.get(v, ()):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in succ.get(v, ()):
                    out.append(sorted(comp))

        for v in self.populations:
            if v not in index:
                visit(v)
        return out


def read_nir(path: str | Path) -> nir.NIRGraph:
    """Read a NIR file; say which file and what is wrong if it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise BioawareError(f"{path}: NIR file not found")
    _check_declared_sizes(path)
    try:
        return nir.read(path)
    except Exception as exc:  # h5py and nir raise many kinds on truncated or foreign files
        message = str(exc).splitlines()[0] if str(exc) else ""
        raise BioawareError(f"{path}: not a readable NIR file ({type(exc).__name__}: {message[:200]})") from None


def _check_declared_sizes(path: Path) -> None:
    """Refuse a file whose HDF5 datasets declare more than MAX_ELEMENTS numbers, from their shapes alone (a small
    compressed file can declare arrays far larger than memory)."""
    import h5py

    try:
        handle = h5py.File(path, "r")
    except OSError:
        return  # not HDF5: nir.read says what is wrong
    found: list[tuple[str, int]] = []
    with handle:
        handle.visititems(lambda name, obj: found.append((name, obj.size))
                          if isinstance(obj, h5py.Dataset) and obj.size > MAX_ELEMENTS else None)
    if found:
        name, size = found[0]
        raise BioawareError(f"{path}: dataset '{name}' declares {size:,} numbers, more than the {MAX_ELEMENTS:,} "
                            "bioaware reads (set BIOAWARE_MAX_ELEMENTS to allow more)")


def _flatten(graph: nir.NIRGraph, prefix: str, nodes: dict, edges: list, path) -> tuple[list[str], list[str]]:
    """Add `graph`'s nodes (names prefixed) and edges; returns (its Input names, its Output names)."""
    if not isinstance(graph.nodes, dict) or not graph.nodes:
        raise BioawareError(f"{path}: graph '{prefix.rstrip('.') or '<top>'}' has no nodes")
    ends: dict[str, tuple[list[str], list[str]]] = {}
    for name, node in graph.nodes.items():
        full = f"{prefix}{name}"
        if isinstance(node, nir.NIRGraph):
            ends[name] = _flatten(node, full + ".", nodes, edges, path)
        else:
            nodes[full] = node if (prefix == "" or not isinstance(node, (nir.Input, nir.Output))) else _PassThrough()
    ins = [f"{prefix}{n}" for n, v in graph.nodes.items() if isinstance(v, nir.Input)]
    outs = [f"{prefix}{n}" for n, v in graph.nodes.items() if isinstance(v, nir.Output)]
    for edge in graph.edges:
        if not (isinstance(edge, (tuple, list)) and len(edge) == 2):
            raise BioawareError(f"{path}: edge {edge!r} is not a (source, target) pair")
        src, dst = (str(e) for e in edge)
        srcs = _endpoint(src, prefix, ends, nodes, 1, path)
        dsts = _endpoint(dst, prefix, ends, nodes, 0, path)
        edges.extend((s, d) for s in srcs for d in dsts)
    return ins, outs


def _endpoint(name: str, prefix: str, ends, nodes, side: int, path) -> list[str]:
    """Flattened node names an edge end refers to (a nested graph stands for its Outputs or Inputs)."""
    if name in ends:
        chosen = ends[name][side]
        if not chosen:
            raise BioawareError(f"{path}: sub-graph '{prefix}{name}' has no {'Output' if side else 'Input'} node")
        return chosen
    full = f"{prefix}{name}"
    if full in nodes:  # also 'sub.node', a node inside a nested graph
        return [full]
    raise BioawareError(f"{path}: an edge names node '{full}', which the graph does not have")


def _ident(index: int, name: str) -> str:
    return f"n{index}_" + (re.sub(r"[^A-Za-z0-9]", "_", name)[:40] or "node")


def _values(node, attr: str, n: int, name: str, path) -> np.ndarray:
    raw = getattr(node, attr, None)
    if raw is None:
        raise BioawareError(f"{path}: node '{name}' ({type(node).__name__}) lacks '{attr}'")
    try:
        values = np.asarray(raw, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise BioawareError(f"{path}: node '{name}' has a non-numeric '{attr}'") from None
    if values.size not in (1, n):
        raise BioawareError(f"{path}: shape mismatch at '{name}': {values.size} values of {attr} for {n} neurons")
    if not np.all(np.isfinite(values)):
        raise BioawareError(f"{path}: node '{name}' has NaN or infinite {attr}")
    if attr.startswith("tau") and np.any(values <= 0):
        raise BioawareError(f"{path}: node '{name}' has {attr} ≤ 0 ({values.min():g} s); time constants must be "
                            "positive")
    return np.broadcast_to(values, (n,)).copy()


def _declared_shape(node) -> tuple | None:
    """The shape a neuron node's own parameters declare (None for one value per layer)."""
    kind = type(node).__name__
    sizes = [np.asarray(getattr(node, a)).shape for a in NEURON_PARAMETERS.get(kind, ()) if hasattr(node, a)]
    sizes = [s for s in sizes if int(np.prod(s)) > 1]
    return tuple(int(v) for v in sizes[0]) if sizes else None


def _spread_inputs(nodes: dict, dilation, path) -> None:
    """Give the Conv nodes named in the graph's metadata `input_dilation` ({node: stride}) that attribute (on a
    copy: the caller's graph is left as it is)."""
    if not isinstance(dilation, dict):
        raise BioawareError(f"{path}: metadata input_dilation must map Conv node names to integers ≥ 1")
    for name, value in dilation.items():
        if not isinstance(nodes.get(name), (nir.Conv1d, nir.Conv2d)):
            raise BioawareError(f"{path}: metadata input_dilation names '{name}', which is not a Conv node of the "
                                "graph")
        if not np.all(np.asarray(value) >= 1):
            raise BioawareError(f"{path}: metadata input_dilation of '{name}' must be ≥ 1, got {value!r}")
        nodes[name] = copy.copy(nodes[name])
        nodes[name].input_dilation = value


def _io_shape(node, key: str) -> tuple | None:
    types = getattr(node, "input_type" if key == "input" else "output_type", None) or {}
    value = types.get(key)
    if value is None:
        return None
    shape = tuple(int(v) for v in np.asarray(value).reshape(-1))
    return shape or (1,)


def _check_sizes(nodes: dict, path) -> None:
    for name, node in nodes.items():
        for attr, value in vars(node).items():
            if isinstance(value, np.ndarray) and value.size > MAX_ELEMENTS:
                raise BioawareError(f"{path}: node '{name}' declares {attr} of {value.size:,} numbers, more than "
                                    f"the {MAX_ELEMENTS:,} bioaware allocates")


def parse_graph(graph: nir.NIRGraph, path: str | Path = "<graph>") -> ParsedGraph:
    """Populations and pathways of any NIR graph (see the module docstring)."""
    path = str(path)
    nodes: dict[str, object] = {}
    edges: list[tuple[str, str]] = []
    _flatten(graph, "", nodes, edges, path)
    _spread_inputs(nodes, (graph.metadata or {}).get("input_dilation", {}), path)
    _check_sizes({k: v for k, v in nodes.items() if not isinstance(v, _PassThrough)}, path)
    node_types = {n: ("PassThrough" if isinstance(v, _PassThrough) else type(v).__name__) for n, v in nodes.items()}
    supported = {"Input", "Output", "Delay", "PassThrough", *NEURON_PARAMETERS,
                 *(c.__name__ for c in WEIGHT_TYPES)}
    for name, kind in node_types.items():
        if kind not in supported:
            raise BioawareError(f"{path}: node '{name}' is a {kind}, which is not a NIR 1.0 primitive bioaware "
                                f"simulates (supported: {', '.join(sorted(supported - {'PassThrough'}))})")
    if not any(k == "Input" for k in node_types.values()):
        raise BioawareError(f"{path}: the graph has no Input node; add one (nir.Input) that feeds the first layer")
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    pred: dict[str, list[str]] = {n: [] for n in nodes}
    for s, d in edges:
        succ[s].append(d)
        pred[d].append(s)
    for name, kind in node_types.items():
        if kind == "Input" and pred[name]:
            raise BioawareError(f"{path}: Input node '{name}' has incoming edges")
        if kind == "Output" and succ[name]:
            raise BioawareError(f"{path}: Output node '{name}' has outgoing edges")
    populations_kinds = {"Input", "Output", *NEURON_PARAMETERS}
    shapes = _infer_shapes(nodes, node_types, pred, path)
    populations: dict[str, Population] = {}
    for index, (name, node) in enumerate(nodes.items()):
        kind = node_types[name]
        if kind not in populations_kinds:
            continue
        if name not in shapes:
            raise BioawareError(f"{path}: cannot tell the size of node '{name}': nothing of known shape feeds it")
        populations[name] = _population(node, name, _ident(index, name), kind, shapes[name], graph.metadata, path)
    pathways = []
    for name, pop in populations.items():
        if pop.kind != "Output":
            pathways += _pathways_from(name, nodes, node_types, succ, populations, path)
    for name, node in nodes.items():
        bias_of = getattr(node, "bias", None)
        if node_types[name] in ("Affine", "Conv1d", "Conv2d") and bias_of is not None and np.any(np.asarray(bias_of)):
            _spread_bias(name, nodes, node_types, succ, shapes, populations, pred, path)
    for pop in populations.values():
        if pop.kind == "Output":
            feeding = [p for p in pathways if p.target == pop.name]
            if not feeding:
                raise BioawareError(f"{path}: Output node '{pop.name}' is fed by nothing")
            for p in feeding:
                m = next(iter(p.terms.values()))
                identity = len(p.terms) == 1 and m.shape[0] == m.shape[1] and m.nnz == m.shape[0] and \
                    np.allclose(m.diagonal(), 1.0)
                if not identity:
                    raise BioawareError(f"{path}: weights or delays between '{p.source}' and Output '{pop.name}' "
                                        "(through " + ", ".join(p.through) + "); Brian2 records neurons, so end "
                                        "the graph with a neuron node (e.g. LI for a weighted readout)")
            if pop.bias is not None and np.any(pop.bias):
                raise BioawareError(f"{path}: a bias reaches Output '{pop.name}' directly; end with a neuron node")
    for p in pathways:
        if p.target in populations and populations[p.target].kind == "Input":
            raise BioawareError(f"{path}: Input node '{p.target}' has incoming edges")
    return ParsedGraph(path, _in_pipeline_order(populations, pathways), pathways, dict(graph.metadata or {}),
                       node_types)


def _in_pipeline_order(populations: dict[str, Population], pathways: list[Pathway]) -> dict[str, Population]:
    """Populations by their distance (in pathways) from the Inputs, then by name; Outputs last."""
    distance = {n: 0 for n, p in populations.items() if p.kind == "Input"}
    frontier = list(distance)
    while frontier:
        reached = [p.target for p in pathways if p.source in frontier and p.target not in distance]
        for name in reached:
            distance[name] = distance[next(p.source for p in pathways if p.target == name and p.source in frontier)] + 1
        frontier = list(dict.fromkeys(reached))
    key = lambda n: (populations[n].kind == "Output", distance.get(n, len(populations)), n)  # noqa: E731
    return {n: populations[n] for n in sorted(populations, key=key)}


def _infer_shapes(nodes, node_types, pred, path) -> dict[str, tuple]:
    """Activation shape of every node: from Inputs and neuron parameters forward, until nothing changes."""
    shapes: dict[str, tuple] = {}
    for name, node in nodes.items():
        kind = node_types[name]
        if kind == "Input":
            shape = _io_shape(node, "input")
            if shape is None:
                raise BioawareError(f"{path}: Input node '{name}' declares no shape")
            shapes[name] = shape
        elif kind in NEURON_PARAMETERS:
            declared = _declared_shape(node)
            if declared:
                shapes[name] = declared
        elif kind == "Delay" and np.asarray(node.delay).size > 1:
            shapes[name] = tuple(np.asarray(node.delay).shape)
    changed = True
    while changed:
        changed = False
        for name in nodes:
            kind = node_types[name]
            if kind == "Input":
                continue
            known = [shapes[s] for s in pred[name] if s in shapes]
            if not known:
                continue
            incoming = _out_shape(nodes, node_types, name, known[0], path)
            if name not in shapes:
                shapes[name] = incoming
                changed = True
            elif kind not in WEIGHT_TYPE_NAMES and int(np.prod(shapes[name])) != int(np.prod(known[0])):
                raise BioawareError(f"{path}: shape mismatch at '{name}': input of {int(np.prod(known[0]))} "
                                    f"(from '{pred[name][0]}') for a node of {int(np.prod(shapes[name]))}")
    return shapes



def _out_shape(nodes, node_types, name, in_shape, path) -> tuple:
    """Shape at the output of node `name` fed with `in_shape` (weight nodes map it; others keep it)."""
    if node_types[name] in WEIGHT_TYPE_NAMES:
        return node_map(nodes[name], in_shape, name, path)[1]
    return in_shape


def _population(node, name, ident, kind, shape, graph_meta, path) -> Population:
    meta = dict(getattr(node, "metadata", None) or {})
    pop = Population(name, ident, kind, tuple(shape), metadata=meta)
    n = pop.size
    for attr in NEURON_PARAMETERS.get(kind, ()):
        pop.params[attr] = _values(node, attr, n, name, path)
    if kind in ("IF", "LIF", "CubaLIF"):
        if getattr(node, "v_reset", None) is not None:  # NIR ≥ 1.0.5 nodes carry v_reset
            pop.reset, pop.v_reset = "to_value", _values(node, "v_reset", n, name, path)
        elif meta.get("reset") == "to_zero" or "v_reset" in meta:
            pop.reset, pop.v_reset = "to_value", np.full(n, float(meta.get("v_reset", 0.0)))
        elif str(meta.get("reset", "")).startswith("none"):
            pop.reset = "none"
        if str(meta.get("threshold_test", "")).strip().startswith(">="):
            pop.threshold_test = ">="
        period = meta.get("refractory_period", 0.0)
        if meta.get("spikes_at_most_once") or str(period).strip().lower() in ("infinite", "inf"):
            period = math.inf
        try:
            pop.refractory = float(period)
        except (TypeError, ValueError):
            raise BioawareError(f"{path}: node '{name}': metadata refractory_period is not a number") from None
        if math.isnan(pop.refractory) or pop.refractory < 0:
            raise BioawareError(f"{path}: node '{name}': refractory_period must be ≥ 0 s")
    return pop


def _walk(start: str, seed: dict[float, sp.csr_matrix], shape, nodes, node_types, succ, populations, path,
          through=()) -> list[tuple[str, dict[float, sp.csr_matrix], tuple]]:
    """Follow weight-like nodes from `start`'s successors: (population reached, delay → matrix, nodes passed)."""
    reached = []
    for nxt in succ[start]:
        kind = node_types[nxt]
        if nxt in populations:
            reached.append((nxt, seed, through))
            continue
        if nxt in through:
            raise BioawareError(f"{path}: the loop through '{nxt}' has no neuron in it (an algebraic loop)")
        if kind == "Delay":
            terms = _delayed(seed, nodes[nxt], nxt, path)
            out_shape = shape
        elif kind == "PassThrough":
            terms, out_shape = seed, shape
        else:
            matrix, out_shape, _ = node_map(nodes[nxt], shape, nxt, path)
            terms = {d: (matrix @ m).tocsr() for d, m in seed.items()}
        reached += _walk(nxt, terms, out_shape, nodes, node_types, succ, populations, path, (*through, nxt))
    return reached


def _delayed(terms, node, name, path) -> dict[float, sp.csr_matrix]:
    delay = np.asarray(node.delay, dtype=np.float64).reshape(-1)
    n = next(iter(terms.values())).shape[0]
    if delay.size not in (1, n):
        raise BioawareError(f"{path}: shape mismatch at '{name}': {delay.size} delays for {n} channels")
    if not np.all(np.isfinite(delay)) or np.any(delay < 0):
        raise BioawareError(f"{path}: node '{name}' has a negative or non-finite delay")
    delay = np.broadcast_to(delay, (n,))
    out: dict[float, sp.csr_matrix] = {}
    for d, m in terms.items():
        for value in np.unique(delay):
            rows = sp.diags((delay == value).astype(np.float64))
            part = (rows @ m).tocsr()
            part.eliminate_zeros()
            key = float(d + value)
            out[key] = (out[key] + part).tocsr() if key in out else part
    return out


def _pathways_from(name, nodes, node_types, succ, populations, path) -> list[Pathway]:
    n = populations[name].size
    seed = {0.0: sp.identity(n, format="csr")}
    merged: dict[str, Pathway] = {}
    for target, terms, through in _walk(name, seed, populations[name].shape, nodes, node_types, succ,
                                        populations, path):
        tsize = populations[target].size
        for m in terms.values():
            if m.shape != (tsize, n):
                raise BioawareError(f"{path}: shape mismatch at '{target}': {m.shape[0]} values arrive from "
                                    f"'{name}' for a node of {tsize}")
        if target in merged:  # two routes from one source: their inputs add
            old = merged[target]
            for d, m in terms.items():
                old.terms[d] = (old.terms[d] + m).tocsr() if d in old.terms else m
            old.through = (*old.through, *through)
        else:
            merged[target] = Pathway(name, target, dict(terms), tuple(through))
    return list(merged.values())


def _spread_bias(name, nodes, node_types, succ, shapes, populations, pred, path) -> None:
    """Add the bias of weight node `name`, mapped through the linear nodes after it, to the populations it reaches."""
    in_shape = next((shapes[s] for s in pred[name] if s in shapes), None)
    if in_shape is None:
        raise BioawareError(f"{path}: cannot tell the input size of '{name}'")
    _, out_shape, bias = node_map(nodes[name], in_shape, name, path)
    seed = {0.0: sp.csr_matrix(bias.reshape(-1, 1))}
    for target, terms, _ in _walk(name, seed, out_shape, nodes, node_types, succ, populations, path, (name,)):
        pop = populations[target]
        current = np.asarray(sum(m.toarray() for m in terms.values())).reshape(-1)
        if current.size != pop.size:
            raise BioawareError(f"{path}: shape mismatch at '{target}': bias of {current.size} from '{name}'")
        pop.bias = current if pop.bias is None else pop.bias + current
