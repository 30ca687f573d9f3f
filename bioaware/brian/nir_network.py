"""Any NIR graph → one Brian2 network: a NeuronGroup per neuron node, Synapses per pathway.

Populations come from `bioaware.interchange.nir_graph` and become groups through the neuron
registry (`bioaware.brian.neurons`), with every NIR parameter a per-neuron variable; each pathway
becomes a Synapses object (`<target>_post += w`, one synaptic delay per distinct NIR delay), so
recurrent edges are just Synapses into the same or an earlier group. Input nodes are
SpikeGeneratorGroups fed with the user's spike times, or constant analog values (`currents`: the
direct input of models that see the same image at every step), which become constant input currents of
the populations the Input feeds. Brian2's standard schedule applies
(threshold → synapses → reset): a spike reaches its targets one simulation step later, which
converges to the continuous-time network as dt → 0.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bioaware.brian.devices import builds_after_run, on_genn, use_device
from bioaware.brian.equations import equation_text
from bioaware.brian.device_envs import run_in_environment, runs_here
from bioaware.brian.neurons import NEURONS, solver
from bioaware.core.errors import BioawareError
from bioaware.interchange.nir_graph import ParsedGraph, Population, parse_graph, read_nir
from bioaware.interchange.spike_convention import SpikeConvention, convention_of
from bioaware.interchange.spike_input import trains_to_raster

DEFAULT_DT = 1e-4  # s: at most this, and at most τ_min / 100


@dataclass
class SpikeTrains:
    """Spikes of one Input node: flat channel index (C-order over its shape) and time in s."""

    channels: np.ndarray
    times: np.ndarray


@dataclass
class GraphRun:
    """What a simulation of a NIR graph produced, keyed by the names in the file."""

    spikes: dict[str, tuple[np.ndarray, np.ndarray]]  # node → (neuron index, time in s)
    traces: dict[str, tuple[np.ndarray, np.ndarray]]  # node → (t in s, v [neurons, steps])
    sizes: dict[str, int]
    dt: float
    duration: float
    convention: str
    run_seconds: float
    copies: int = 1  # spike index b·size + k is neuron k of copy b

    def counts(self, name: str) -> np.ndarray:
        """Spikes per neuron of node `name` (all copies, flat)."""
        index, _ = self.spikes[name]
        return np.bincount(index, minlength=self.copies * self.sizes[name]).astype(float)

    def raster(self, name: str, step: float, steps: int) -> np.ndarray:
        """Spikes of `name` binned into `steps` bins of `step` s: array [steps, neurons]."""
        index, t = self.spikes[name]
        return trains_to_raster(index, t, self.copies * self.sizes[name], step, steps)


@dataclass
class BrianGraph:
    """A ready Brian2 network of a NIR graph: groups, synapses and monitors by the file's node names."""

    network: object
    parsed: ParsedGraph
    groups: dict[str, object]
    spike_monitors: dict[str, object] = field(default_factory=dict)
    state_monitors: dict[str, object] = field(default_factory=dict)
    dt: float = DEFAULT_DT
    convention: SpikeConvention = SpikeConvention()
    copies: int = 1


def default_dt(parsed: ParsedGraph, convention: SpikeConvention) -> float:
    """0.1 ms or τ_min/100, whichever is smaller; a whole fraction of the spike pulse under step:<dt>."""
    dt = min(DEFAULT_DT, parsed.time_constants().min(initial=np.inf) / 100)
    if convention.step:
        dt = convention.step / math.ceil(convention.step / dt - 1e-9)
    return dt


def refuse_continuous_edges(parsed: ParsedGraph) -> None:
    """Refuse, by name, what the builder cannot route: continuous values out of non-spiking nodes."""
    for p in parsed.pathways:
        src, dst = parsed.populations[p.source], parsed.populations[p.target]
        if not src.spiking and dst.kind != "Output":
            raise BioawareError(f"{parsed.path}: node '{src.name}' ({src.kind}) feeds '{dst.name}': a non-spiking "
                                "node's output is a continuous value, which the Brian2 builder routes only to an "
                                "Output; end the graph at it or make it spiking")


def network_from_nir(graph, inputs: dict[str, SpikeTrains], *, dt: float | None = None, spikes: str | None = None,
                     record: tuple[str, ...] | dict[str, list[int]] = (), device: str | None = None,
                     copies: int = 1, window: float | None = None, order: str = "exact",
                     record_when: str = "start", currents: dict[str, np.ndarray] | None = None) -> BrianGraph:
    """A Brian2 network of `graph` (a NIR graph, or the path of a .nir file) driven by `inputs`.

    `spikes` is the spike convention ('dirac' or 'step:<dt>'; from the graph's metadata when None),
    `dt` the simulation step in s (default: `default_dt`). `record` names nodes whose membrane v is
    recorded every step (a dict gives the neurons of the first copy); non-spiking nodes that feed an
    Output always are. `record_when` is Brian2's slot: "start" gives v(t) at its own time t; "resets"
    gives v after this step's update and input, before reset (what a discrete-time model's loss sees).
    `device` selects a Brian2 device first (see `bioaware.brian.devices`); otherwise the current one is used.
    `currents` gives Inputs constant values instead of spikes: Input name → [copies, size] (or [size]).

    Many inputs in one build: `copies` independent copies of the network (channel c of copy b of an
    Input is b·size + c; spikes come back with the same flat index), and `window` (s): every state is
    set back to rest at each multiple of it, so that consecutive windows are independent trials.
    `order = "matched"` runs every pathway within the step of its source's spike, in topological order
    (decay, input, threshold, reset: the discrete-time update of bioaware's training); "exact" is
    Brian2's standard schedule (a spike arrives one step later; converges to continuous time as dt → 0).
    """
    import brian2 as b2

    path = str(graph) if isinstance(graph, (str, Path)) else "<graph>"
    parsed = graph if isinstance(graph, ParsedGraph) else parse_graph(read_nir(graph) if path != "<graph>" else graph,
                                                                       path)
    refuse_continuous_edges(parsed)
    convention = convention_of(parsed.metadata, spikes, parsed.path)
    dt = float(dt) if dt else default_dt(parsed, convention)
    if not (math.isfinite(dt) and dt > 0):
        raise BioawareError(f"--dt must be a positive number of seconds, got {dt}")
    if order not in ("exact", "matched"):
        raise BioawareError(f"order must be 'exact' or 'matched', got {order!r}")
    if int(copies) < 1:
        raise BioawareError(f"copies must be ≥ 1, got {copies}")
    depth = _depths(parsed) if order == "matched" else {}
    if device:
        use_device(device)
    currents = currents or {}
    unknown = (set(inputs) | set(currents)) - set(parsed.inputs)
    if unknown:
        raise BioawareError(f"{parsed.path}: input given for {sorted(unknown)}, but the graph's Input nodes are "
                            f"{parsed.inputs}")
    neurons = [n for n, p in parsed.populations.items() if p.kind in NEURONS and p.kind != "Threshold"]
    for name in record:
        if name not in neurons:
            raise BioawareError(f"--record: '{name}' is not a neuron node of {parsed.path} (neuron nodes: {neurons})")
    empty = SpikeTrains(np.zeros(0, int), np.zeros(0))
    steps = {name: _input_steps(parsed.populations[name], inputs.get(name, empty), dt, copies)
             for name in parsed.inputs if name not in currents}
    constant = _constant_currents(parsed, currents, int(copies))
    for pop in parsed.populations.values():
        if pop.kind in NEURONS and 0 < pop.refractory < math.inf and solver(pop.kind, pop.params)[0] == "alpha_synapse":
            raise BioawareError(f"{parsed.path}: node '{pop.name}': CubaLIF with τ_syn = τ_mem has no refractory "
                                "period in Brian2's exact solver; drop refractory_period from its metadata")
    if on_genn():
        _refuse_on_genn(parsed, order, convention, dt)
    # every check is done: only now Brian2 objects are made (one that is made and dropped warns)
    b2.defaultclock.dt = dt * b2.second  # one clock for every object and monitor (GeNN allows no other)
    groups: dict[str, object] = {}
    built = BrianGraph(None, parsed, groups, dt=dt, convention=convention, copies=int(copies))
    objects = []
    for name, pop in parsed.populations.items():
        if pop.kind == "Input" and name in currents:
            continue
        if pop.kind == "Input":
            channels, step = steps[name]
            groups[name] = b2.SpikeGeneratorGroup(copies * pop.size, channels, step * dt * b2.second,
                                                  name=pop.ident)
        elif pop.kind != "Output":
            groups[name] = _group(b2, pop, dt, convention, copies, constant.get(name))
            if window:
                objects.append(_window_reset(b2, groups[name], pop, window))
            if name in depth and pop.spiking:
                groups[name].thresholder["spike"].order = 2 * depth[name]
    for p in parsed.pathways:
        if parsed.populations[p.target].kind != "Output" and p.source not in currents:
            syn = _synapses(b2, parsed, p, groups, dt, convention, copies)
            if syn is not None and p.target in depth:
                syn.pre.when, syn.pre.order = "thresholds", 2 * depth[p.target] - 1
            objects += [syn] if syn is not None else []
    watched = {n: (list(record[n]) if isinstance(record, dict) else True) for n in record}
    for p in parsed.pathways:
        if parsed.populations[p.target].kind == "Output" and not parsed.populations[p.source].spiking:
            watched.setdefault(p.source, list(range(parsed.populations[p.source].size)))
    for name, pop in parsed.populations.items():
        if name not in groups:
            continue
        if pop.spiking and pop.kind != "Input":  # the input's spikes are the caller's own
            built.spike_monitors[name] = b2.SpikeMonitor(groups[name], name=f"{pop.ident}_spikes")
        if name in watched:
            built.state_monitors[name] = b2.StateMonitor(groups[name], "v", record=watched[name], when=record_when,
                                                         order=-1, name=f"{pop.ident}_v")
    built.network = b2.Network(*groups.values(), *objects, *built.spike_monitors.values(),
                               *built.state_monitors.values())
    return built


def _refuse_on_genn(parsed: ParsedGraph, order: str, convention: SpikeConvention, dt: float) -> None:
    """What brian2genn cannot run, refused by name: its own schedule (no matched order), one clock, one delay per
    pathway."""
    if order == "matched":
        raise BioawareError(f"{parsed.path}: GeNN runs its own schedule (a spike reaches its targets one step later): "
                            "order 'matched' needs cpp_standalone or runtime")
    for pop in parsed.populations.values():
        if pop.kind == "Threshold" and not math.isclose(convention.step or dt, dt):
            raise BioawareError(f"{parsed.path}: node '{pop.name}' (Threshold) needs a clock of its own "
                                f"({convention}), which GeNN does not allow; use --dt {convention.step:g} or another "
                                "device")
    for p in parsed.pathways:
        if len(p.terms) > 1:
            raise BioawareError(f"{parsed.path}: '{p.source}' → '{p.target}' has {len(p.terms)} different delays; "
                                "GeNN allows one per pathway: use cpp_standalone")


def _depths(parsed: ParsedGraph) -> dict[str, int]:
    """Longest path (in pathways) from an Input to every population; matched order needs a DAG."""
    if parsed.cycles():
        raise BioawareError(f"{parsed.path}: matched order runs feed-forward graphs; this one has cycles "
                            f"({parsed.cycles()}): use order 'exact'")
    depth = {name: 0 for name in parsed.inputs}
    changed = True
    while changed:
        changed = False
        for p in parsed.pathways:
            if p.source in depth and depth.get(p.target, -1) < depth[p.source] + 1:
                depth[p.target] = depth[p.source] + 1
                changed = True
    return depth


def _constant_currents(parsed: ParsedGraph, currents: dict[str, np.ndarray], copies: int) -> dict[str, np.ndarray]:
    """Population → the constant input current [copies·size] that analog Inputs give it through their pathways."""
    out: dict[str, np.ndarray] = {}
    for name, values in currents.items():
        size = parsed.populations[name].size
        values = np.asarray(values, dtype=np.float64).reshape(-1, size) if np.size(values) % size == 0 else None
        if values is None or len(values) not in (1, copies) or not np.all(np.isfinite(values)):
            raise BioawareError(f"currents for '{name}': need {size} finite values per copy ({copies} copies)")
        values = np.broadcast_to(values, (copies, size))
        for p in [q for q in parsed.pathways if q.source == name]:
            target = parsed.populations[p.target]
            if set(p.terms) != {0.0} or target.kind not in ("LIF", "LI", "IF", "I"):
                raise BioawareError(f"{parsed.path}: analog input '{name}' must feed LIF, LI, IF or I nodes without "
                                    f"delay; it feeds '{target.name}' ({target.kind})")
            current = (p.terms[0.0] @ values.T).T.reshape(-1)
            out[p.target] = out[p.target] + current if p.target in out else current
    return out


def _window_reset(b2, group, pop: Population, window: float):
    """At each window start: v and I at rest, no refractory period or single spike carried over."""
    fresh = ["v = 0"] + (["I = 0"] if "I" in group.variables else []) + \
        (["spiked = 0"] if "spiked" in group.variables else []) + \
        (["lastspike = -1e9 * second", "not_refractory = True"] if "lastspike" in group.variables else []) + \
        (["x = 0"] if "x" in group.variables else [])
    return group.run_regularly("\n".join(fresh), dt=window * b2.second, when="start", name=f"{pop.ident}_window")


def _input_steps(pop: Population, trains: SpikeTrains, dt: float, copies: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(channels, simulation step) of an Input's spikes (channels over all copies), checked."""
    channels = np.asarray(trains.channels, dtype=int).reshape(-1)
    times = np.asarray(trains.times, dtype=float).reshape(-1)
    if channels.size != times.size:
        raise BioawareError(f"input for '{pop.name}': {channels.size} channels but {times.size} times")
    if channels.size and (channels.min() < 0 or channels.max() >= copies * pop.size):
        raise BioawareError(f"input for '{pop.name}': channel {int(channels.max())} outside its "
                            f"{copies * pop.size} channels")
    if times.size and (not np.all(np.isfinite(times)) or times.min() < 0):
        raise BioawareError(f"input for '{pop.name}': spike times must be finite and ≥ 0 s")
    step = np.round(times / dt).astype(np.int64)
    key = np.sort(channels * (step.max(initial=0) + 1) + step)
    if np.any(key[1:] == key[:-1]):
        raise BioawareError(f"input for '{pop.name}': a channel spikes twice within one simulation step of "
                            f"{dt * 1e3:g} ms; choose a smaller --dt")
    return channels, step


def _group(b2, pop: Population, dt: float, convention: SpikeConvention, copies: int = 1,
           constant: np.ndarray | None = None):
    model = NEURONS[pop.kind]
    file, method = solver(pop.kind, pop.params)
    kwargs = dict(method=method, name=pop.ident)
    if pop.kind == "Threshold":
        width = convention.step or dt  # a pulse lasts one step of the spike convention
        if not math.isclose(width, dt):
            kwargs["dt"] = width * b2.second
        kwargs.update(threshold="x + i_bias > v_th", reset="")
        from brian2.utils.logger import BrianLogger

        # its input pathways run on their sources' finer clock on purpose: say nothing about it
        BrianLogger.suppress_name("synapses_dt_mismatch")
    equations = equation_text(file)
    if model.threshold and pop.kind != "Threshold":
        kwargs["threshold"] = f"v {pop.threshold_test} v_th"
        kwargs["reset"] = {"subtract": "v = v - v_th", "to_value": "v = v_reset", "none": ""}[pop.reset]
        if math.isinf(pop.refractory):  # spikes at most once: a flag, not a clamp (which alpha PSPs cannot have)
            equations += "\nspiked : 1"
            kwargs["threshold"] += " and spiked == 0"
            kwargs["reset"] += "\nspiked = 1" if kwargs["reset"] else "spiked = 1"
            if file != "alpha_synapse":
                kwargs["refractory"] = 0 * b2.second
        elif file != "alpha_synapse":  # (refused with a refractory period before any group is made)
            kwargs["refractory"] = pop.refractory * b2.second
    group = b2.NeuronGroup(copies * pop.size, equations, **kwargs)
    variables = model.variables(pop.params)
    if file == "alpha_synapse":  # one time constant for both
        variables["tau"] = variables.pop("tau_mem")
        del variables["tau_syn"]
    def assign(var: str, values: np.ndarray, seconds: bool = False) -> None:
        """One value for the layer where all neurons share it (a fill, not an array, in standalone code);
        every copy has the same parameters."""
        value = values[0] if np.all(values == values[0]) else np.tile(values, copies)
        setattr(group, var, value * b2.second if seconds else value)

    for var, (values, seconds) in variables.items():
        assign(var, values, seconds)
    if model.threshold:
        assign("v_th", pop.params[model.threshold])
    if pop.v_reset is not None and "v_reset" in group.variables:
        assign("v_reset", pop.v_reset)
    if constant is not None:  # analog inputs: a current of its own per copy, plus the bias
        group.i_bias = constant + (0.0 if pop.bias is None else np.tile(pop.bias, copies))
    elif pop.bias is not None:
        assign("i_bias", pop.bias)
    if pop.kind == "Threshold":  # the input of a step counts only in that step
        group.run_regularly("x = 0", when="before_synapses", name=f"{pop.ident}_clear")
    return group


def _synapses(b2, parsed: ParsedGraph, pathway, groups, dt: float, convention: SpikeConvention, copies: int = 1):
    """One Synapses object for a pathway: `<target var>_post += w`, block-diagonal over copies.

    A dense pathway without delays lets Brian2 generate its connectivity (`connect(j=...)`), which stays
    fast for millions of synapses; others get explicit index arrays of their non-zero weights."""
    target, source = parsed.populations[pathway.target], parsed.populations[pathway.source]
    model = NEURONS[target.kind]
    jump = model.jump(target.params)
    if target.kind == "Threshold":
        jump = jump / (convention.step or dt)
    n_pre, n_post = source.size, target.size
    syn_args = dict(model="w : 1", on_pre=f"{model.target}_post += w",
                    name=f"{source.ident}_to_{target.ident}"[:200])
    terms = list(pathway.terms.items())
    if len(terms) == 1 and terms[0][0] == 0 and terms[0][1].nnz > 0.5 * n_pre * n_post and not on_genn():
        dense = terms[0][1].toarray() * convention.charge * jump[:, None]
        syn = b2.Synapses(groups[pathway.source], groups[pathway.target], **syn_args)
        syn.connect(j=f"k + (i // {n_pre}) * {n_post} for k in range({n_post})")
        syn.w = np.tile(dense.T, (copies, 1)).ravel()  # presynaptic-neuron-major, copy by copy
        return syn
    pre, post, weight, delay = [], [], [], []
    for d, matrix in terms:
        coo = matrix.tocoo()
        pre.append(coo.col)
        post.append(coo.row)
        weight.append(coo.data * convention.charge * jump[coo.row])
        delay.append(np.full(coo.nnz, d))
    pre, post, weight, delay = (np.concatenate(a) for a in (pre, post, weight, delay))
    keep = weight != 0
    if not keep.any():
        return None
    offsets = np.arange(copies)[:, None]
    delays = np.unique(delay[keep])
    if len(delays) == 1 and delays[0] > 0:  # one delay for the whole pathway (the only kind GeNN takes)
        syn_args["delay"] = delays[0] * b2.second
    syn = b2.Synapses(groups[pathway.source], groups[pathway.target], **syn_args)
    syn.connect(i=(pre[keep] + offsets * n_pre).ravel(), j=(post[keep] + offsets * n_post).ravel())
    syn.w = np.tile(weight[keep], copies)
    if len(delays) > 1:
        syn.delay = np.tile(delay[keep], copies) * b2.second
    return syn


def simulate_graph(graph, inputs: dict[str, SpikeTrains], duration: float, *, dt: float | None = None,
                   spikes: str | None = None, record: tuple[str, ...] | dict[str, list[int]] = (),
                   device: str = "runtime", build_dir: Path | None = None, threads: int = 0, copies: int = 1,
                   window: float | None = None, order: str = "exact", record_when: str = "start",
                   currents: dict[str, np.ndarray] | None = None) -> GraphRun:
    """Build `graph` on `device`, run it for `duration` s and collect spikes and traces by node name
    (arguments as `network_from_nir`; `threads`: OpenMP threads of cpp_standalone)."""
    if not (math.isfinite(duration) and duration > 0):
        raise BioawareError(f"--duration must be a positive number of seconds, got {duration}")
    if not runs_here(device):
        options = dict(dt=dt, spikes=spikes, record=record, copies=copies, window=window, order=order,
                       record_when=record_when)
        return _run_elsewhere(device, graph, inputs, duration, options, currents)
    import brian2 as b2

    with tempfile.TemporaryDirectory(prefix="bioaware-brian-") as tmp:
        folder = Path(build_dir or tmp)
        use_device(device, folder if device not in ("runtime", "cython") else None, threads)
        built = network_from_nir(graph, inputs, dt=dt, spikes=spikes, record=record, copies=copies, window=window,
                                 order=order, record_when=record_when, currents=currents)
        start = time.perf_counter()
        built.network.run(duration * b2.second)  # runtime devices run here, genn builds and runs here
        seconds = time.perf_counter() - start
        if builds_after_run(device):
            b2.device.build(directory=str(folder), compile=True, run=True)
            seconds = float(b2.device._last_run_time)
        return _collect(built, duration, seconds)  # monitors read the build folder: before it goes


def _run_elsewhere(device: str, graph, inputs: dict[str, SpikeTrains], duration: float, options: dict,
                   currents: dict[str, np.ndarray] | None) -> GraphRun:
    """`simulate_graph` on a device with an environment of its own (`device_envs`), which reads the graph from a
    file (a graph object is written to a temporary one)."""
    import nir

    if isinstance(graph, nir.NIRGraph):
        with tempfile.TemporaryDirectory(prefix="bioaware-graph-") as tmp:
            nir.write(Path(tmp) / "graph.nir", graph)
            return _run_elsewhere(device, Path(tmp) / "graph.nir", inputs, duration, options, currents)
    path = Path(graph if isinstance(graph, (str, Path)) else getattr(graph, "path", ""))
    if not path.is_file():
        raise BioawareError(f"device {device} runs in its own environment, which reads the graph from its .nir file: "
                            "pass the file's path or the nir graph")
    arrays = {f"in.{n}.{part}": np.asarray(getattr(t, part)) for n, t in inputs.items()
              for part in ("channels", "times")}
    arrays |= {f"current.{n}": np.asarray(v) for n, v in (currents or {}).items()}
    meta, out = run_in_environment(device, path, arrays, duration, options)
    spikes = {n: (out[f"spikes.{n}.index"], out[f"spikes.{n}.times"]) for n in meta["spikes"]}
    traces = {n: (out[f"traces.{n}.t"], out[f"traces.{n}.v"]) for n in meta["traces"]}
    return GraphRun(spikes, traces, meta["sizes"], meta["dt"], meta["duration"], meta["convention"],
                    meta["run_seconds"], meta["copies"])


def _collect(built: BrianGraph, duration: float, seconds: float) -> GraphRun:
    import brian2 as b2

    pops = built.parsed.populations
    spikes = {name: (np.asarray(m.i[:], dtype=int), np.asarray(m.t[:] / b2.second))
              for name, m in built.spike_monitors.items()}
    traces = {name: (np.asarray(m.t[:] / b2.second), np.asarray(m.v[:])) for name, m in built.state_monitors.items()}
    sizes = {name: p.size for name, p in pops.items()}
    for name, pop in pops.items():  # an Output shows what feeds it
        if pop.kind == "Output":
            source = built.parsed.sources_of(name)[0].source
            if source in spikes:
                spikes[name] = spikes[source]
            elif source in traces:
                traces[name] = traces[source]
    return GraphRun(spikes, traces, sizes, built.dt, duration, str(built.convention), seconds, built.copies)


def describe_graph(parsed: ParsedGraph) -> list[str]:
    """Lines saying what every node of a parsed graph is and what it becomes in Brian2."""
    lines = []
    for name, pop in parsed.populations.items():
        shape = "×".join(str(s) for s in pop.shape)
        if pop.kind == "Input":
            what = f"SpikeGeneratorGroup of {pop.size} (your spike times)"
        elif pop.kind == "Output":
            what = "records " + ", ".join(f"'{p.source}'" for p in parsed.sources_of(name))
        else:
            file, method = solver(pop.kind, pop.params)
            what = f"NeuronGroup of {pop.size}, equations/{file}.eqs ({method})"
            if NEURONS[pop.kind].threshold and pop.kind != "Threshold":
                reset = {"subtract": "v ← v − v_th", "to_value": "v ← v_reset", "none": "no reset"}[pop.reset]
                what += f", spike when v {pop.threshold_test} v_th, {reset}"
            if pop.refractory:
                what += f", refractory {pop.refractory * 1e3:g} ms"
            taus = {k: v for k, v in pop.params.items() if k.startswith("tau")}
            for k, v in taus.items():
                what += f", {k} {_span(v * 1e3)} ms"
            if pop.bias is not None and np.any(pop.bias):
                what += f", bias current {_span(pop.bias)}"
        lines.append(f"  {name} [{pop.kind} {shape}] → {what}")
    for p in parsed.pathways:
        if parsed.populations[p.target].kind == "Output":
            continue
        delays = sorted(p.terms)
        via = " → ".join(f"'{n}'" for n in p.through) or "direct edge"
        delay = f", delays {', '.join(f'{d * 1e3:g}' for d in delays)} ms" if any(delays) else ""
        lines.append(f"  '{p.source}' → '{p.target}' via {via}: Synapses, {p.synapses} connections{delay}")
    return lines


def _span(values: np.ndarray) -> str:
    lo, hi = float(np.min(values)), float(np.max(values))
    return f"{lo:.4g}" if np.isclose(lo, hi) else f"{lo:.4g} … {hi:.4g}"
