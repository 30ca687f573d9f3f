"""Any NIR graph → one Brian2 network: a NeuronGroup per neuron node, Synapses per pathway.

Populations come from `bioaware.interchange.nir_graph` and become groups through the neuron
registry (`bioaware.brian.neurons`), with every NIR parameter a per-neuron variable; each pathway
becomes a Synapses object (`<target>_post += w`, one synaptic delay per distinct NIR delay), so
recurrent edges are just Synapses into the same or an earlier group. Input nodes are
SpikeGeneratorGroups fed with the user's spike times. Brian2's standard schedule applies
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

from bioaware.brian.devices import use_device
from bioaware.brian.equations import equation_text
from bioaware.brian.neurons import NEURONS, solver
from bioaware.errors import BioawareError
from bioaware.interchange.nir_graph import ParsedGraph, Population, parse_graph, read_nir
from bioaware.interchange.spike_convention import SpikeConvention, convention_of

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

    def counts(self, name: str) -> np.ndarray:
        """Spikes per neuron of node `name`."""
        index, _ = self.spikes[name]
        return np.bincount(index, minlength=self.sizes[name]).astype(float)

    def raster(self, name: str, step: float, steps: int) -> np.ndarray:
        """Spikes of `name` binned into `steps` bins of `step` s: array [steps, neurons]."""
        index, t = self.spikes[name]
        b = np.floor(t / step + 1e-9).astype(int)
        keep = b < steps
        out = np.zeros((steps, self.sizes[name]))
        np.add.at(out, (b[keep], index[keep]), 1.0)
        return out


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


def default_dt(parsed: ParsedGraph, convention: SpikeConvention) -> float:
    """0.1 ms or τ_min/100, whichever is smaller; a whole fraction of the spike pulse under step:<dt>."""
    taus = [float(np.min(v)) for p in parsed.populations.values() for k, v in p.params.items() if k.startswith("tau")]
    dt = min([DEFAULT_DT] + [t / 100 for t in taus])
    if convention.step:
        dt = convention.step / math.ceil(convention.step / dt - 1e-9)
    return dt


def sources_and_targets(parsed: ParsedGraph) -> None:
    """Refuse, by name, what the builder cannot route: continuous values out of non-spiking nodes."""
    for p in parsed.pathways:
        src, dst = parsed.populations[p.source], parsed.populations[p.target]
        if not src.spiking and dst.kind != "Output":
            raise BioawareError(f"{parsed.path}: node '{src.name}' ({src.kind}) feeds '{dst.name}': a non-spiking "
                                "node's output is a continuous value, which the Brian2 builder routes only to an "
                                "Output; end the graph at it or make it spiking")


def network_from_nir(graph, inputs: dict[str, SpikeTrains], *, dt: float | None = None, spikes: str | None = None,
                     record: tuple[str, ...] = (), device: str | None = None) -> BrianGraph:
    """A Brian2 network of `graph` (a NIR graph, or the path of a .nir file) driven by `inputs`.

    `spikes` is the spike convention ('dirac' or 'step:<dt>'; from the graph's metadata when None),
    `dt` the simulation step in s (default: `default_dt`), `record` node names whose membrane v is
    recorded every step (non-spiking nodes that feed an Output always are). `device` selects a
    Brian2 device first (see `bioaware.brian.devices`); otherwise the current one is used.
    """
    import brian2 as b2

    path = str(graph) if isinstance(graph, (str, Path)) else "<graph>"
    parsed = graph if isinstance(graph, ParsedGraph) else parse_graph(read_nir(graph) if path != "<graph>" else graph,
                                                                       path)
    sources_and_targets(parsed)
    convention = convention_of(parsed.metadata, spikes, parsed.path)
    dt = float(dt) if dt else default_dt(parsed, convention)
    if not (math.isfinite(dt) and dt > 0):
        raise BioawareError(f"--dt must be a positive number of seconds, got {dt}")
    if device:
        use_device(device)
    unknown = set(inputs) - set(parsed.inputs)
    if unknown:
        raise BioawareError(f"{parsed.path}: input given for {sorted(unknown)}, but the graph's Input nodes are "
                            f"{parsed.inputs}")
    neurons = [n for n, p in parsed.populations.items() if p.kind in NEURONS and p.kind != "Threshold"]
    for name in record:
        if name not in neurons:
            raise BioawareError(f"--record: '{name}' is not a neuron node of {parsed.path} (neuron nodes: {neurons})")
    empty = SpikeTrains(np.zeros(0, int), np.zeros(0))
    steps = {name: _input_steps(parsed.populations[name], inputs.get(name, empty), dt) for name in parsed.inputs}
    for pop in parsed.populations.values():
        if pop.kind in NEURONS and 0 < pop.refractory < math.inf and solver(pop.kind, pop.params)[0] == "alpha_synapse":
            raise BioawareError(f"{parsed.path}: node '{pop.name}': CubaLIF with τ_syn = τ_mem has no refractory "
                                "period in Brian2's exact solver; drop refractory_period from its metadata")
    # every check is done: only now Brian2 objects are made (one that is made and dropped warns)
    groups: dict[str, object] = {}
    built = BrianGraph(None, parsed, groups, dt=dt, convention=convention)
    for name, pop in parsed.populations.items():
        if pop.kind == "Input":
            channels, step = steps[name]
            groups[name] = b2.SpikeGeneratorGroup(pop.size, channels, step * dt * b2.second, dt=dt * b2.second,
                                                  name=pop.ident)
        elif pop.kind != "Output":
            groups[name] = _group(b2, pop, dt, convention)
    synapses = [_synapses(b2, parsed, p, groups, dt, convention) for p in parsed.pathways
                if parsed.populations[p.target].kind != "Output"]
    watched = set(record) | {p.source for p in parsed.pathways
                             if parsed.populations[p.target].kind == "Output" and not parsed.populations[p.source].spiking}
    for name, pop in parsed.populations.items():
        if name not in groups:
            continue
        if pop.spiking:
            built.spike_monitors[name] = b2.SpikeMonitor(groups[name], name=f"{pop.ident}_spikes")
        if name in watched:
            built.state_monitors[name] = b2.StateMonitor(groups[name], "v", record=True, name=f"{pop.ident}_v")
    built.network = b2.Network(*groups.values(), *[s for s in synapses if s is not None],
                               *built.spike_monitors.values(), *built.state_monitors.values())
    return built


def _input_steps(pop: Population, trains: SpikeTrains, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """(channels, simulation step) of an Input's spikes, checked."""
    channels = np.asarray(trains.channels, dtype=int).reshape(-1)
    times = np.asarray(trains.times, dtype=float).reshape(-1)
    if channels.size != times.size:
        raise BioawareError(f"input for '{pop.name}': {channels.size} channels but {times.size} times")
    if channels.size and (channels.min() < 0 or channels.max() >= pop.size):
        raise BioawareError(f"input for '{pop.name}': channel {int(channels.max())} outside its {pop.size} channels")
    if times.size and (not np.all(np.isfinite(times)) or times.min() < 0):
        raise BioawareError(f"input for '{pop.name}': spike times must be finite and ≥ 0 s")
    step = np.round(times / dt).astype(np.int64)
    if np.unique(channels * (step.max(initial=0) + 1) + step).size != channels.size:
        raise BioawareError(f"input for '{pop.name}': a channel spikes twice within one simulation step of "
                            f"{dt * 1e3:g} ms; choose a smaller --dt")
    return channels, step


def _group(b2, pop: Population, dt: float, convention: SpikeConvention):
    model = NEURONS[pop.kind]
    file, method = solver(pop.kind, pop.params)
    kwargs = dict(method=method, name=pop.ident, dt=dt * b2.second)
    if pop.kind == "Threshold":
        width = convention.step or dt  # a pulse lasts one step of the spike convention
        kwargs["dt"] = width * b2.second
        kwargs.update(threshold="x + i_bias > v_th")
    equations = equation_text(file)
    if model.threshold and pop.kind != "Threshold":
        kwargs["threshold"] = f"v {pop.threshold_test} v_th"
        kwargs["reset"] = "v = v - v_th" if pop.reset == "subtract" else "v = v_reset"
        if math.isinf(pop.refractory):  # spikes at most once: a flag, not a clamp (which alpha PSPs cannot have)
            equations += "\nspiked : 1"
            kwargs["threshold"] += " and spiked == 0"
            kwargs["reset"] += "\nspiked = 1"
            if file != "alpha_synapse":
                kwargs["refractory"] = 0 * b2.second
        elif file != "alpha_synapse":  # (refused with a refractory period before any group is made)
            kwargs["refractory"] = pop.refractory * b2.second
    group = b2.NeuronGroup(pop.size, equations, **kwargs)
    variables = model.variables(pop.params)
    if file == "alpha_synapse":  # one time constant for both
        variables["tau"] = variables.pop("tau_mem")
        del variables["tau_syn"]
    for var, (values, seconds) in variables.items():
        setattr(group, var, values * b2.second if seconds else values)
    if model.threshold:
        group.v_th = pop.params[model.threshold]
    if pop.v_reset is not None and "v_reset" in group.variables:
        group.v_reset = pop.v_reset
    if pop.bias is not None:
        group.i_bias = pop.bias
    if pop.kind == "Threshold":  # the input of a step counts only in that step
        group.run_regularly("x = 0", when="before_synapses", name=f"{pop.ident}_clear")
    return group


def _synapses(b2, parsed: ParsedGraph, pathway, groups, dt: float, convention: SpikeConvention):
    target = parsed.populations[pathway.target]
    model = NEURONS[target.kind]
    jump = model.jump(target.params)
    if target.kind == "Threshold":
        jump = jump / (convention.step or dt)
    pre, post, weight, delay = [], [], [], []
    for d, matrix in pathway.terms.items():
        coo = matrix.tocoo()
        pre.append(coo.col)
        post.append(coo.row)
        weight.append(coo.data * convention.charge * jump[coo.row])
        delay.append(np.full(coo.nnz, d))
    pre, post, weight, delay = (np.concatenate(a) for a in (pre, post, weight, delay))
    keep = weight != 0
    if not keep.any():
        return None
    source = parsed.populations[pathway.source]
    syn = b2.Synapses(groups[pathway.source], groups[pathway.target], model="w : 1",
                      on_pre=f"{model.target}_post += w", dt=dt * b2.second,
                      name=f"{source.ident}_to_{target.ident}"[:200])
    syn.connect(i=pre[keep], j=post[keep])
    syn.w = weight[keep]
    if np.any(delay[keep] > 0):
        syn.delay = delay[keep] * b2.second
    return syn


def simulate_graph(graph, inputs: dict[str, SpikeTrains], duration: float, *, dt: float | None = None,
                   spikes: str | None = None, record: tuple[str, ...] = (), device: str = "runtime",
                   build_dir: Path | None = None) -> GraphRun:
    """Build `graph` on `device`, run it for `duration` s and collect spikes and traces by node name."""
    if not (math.isfinite(duration) and duration > 0):
        raise BioawareError(f"--duration must be a positive number of seconds, got {duration}")
    built = network_from_nir(graph, inputs, dt=dt, spikes=spikes, record=record, device=device)
    import brian2 as b2

    start = time.perf_counter()
    built.network.run(duration * b2.second)
    seconds = time.perf_counter() - start
    if device not in ("runtime", "cython"):
        with tempfile.TemporaryDirectory(prefix="bioaware-brian-") as tmp:
            b2.device.build(directory=str(build_dir or tmp), compile=True, run=True)
            seconds = float(b2.device._last_run_time)
            return _collect(built, duration, seconds)
    return _collect(built, duration, seconds)


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
    return GraphRun(spikes, traces, sizes, built.dt, duration, str(built.convention), seconds)


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
                reset = "v ← v − v_th" if pop.reset == "subtract" else "v ← v_reset"
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
