"""`bioaware check FILE.nir`: one graph and one input through Brian2 and every installed NIR importer.

Brian2 is the reference: it runs the file's continuous-time semantics at a fine dt. Each importer
(`norse.torch.from_nir`, snnTorch's `import_from_nir`, `sinabs.from_nir`; for chains of LIF/IF layers
also Lava's LIF in its own environment and bioaware's PyNN writer on PyNN's Brian2 backend, as the
Loihi and SpiNNaker targets run them) builds its own discrete-time model from the same file and runs
the same input raster step by step. Per spiking node: spike counts,
count correlation, spikes matched within one step, first-spike time error, and the known semantic
differences between that importer and the file that can explain a disagreement.
"""

from __future__ import annotations

import html
import importlib.util
import json
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from bioaware.brian.nir_network import SpikeTrains, simulate_graph
from bioaware.agreement.figures import node_rasters
from bioaware.core.page import html_page, html_table
from bioaware.agreement.spike_metrics import count_correlation, matched_fraction
from bioaware.core.errors import BioawareError
from bioaware.interchange.nir_graph import ParsedGraph
from bioaware.interchange.spike_convention import parse_convention
from bioaware.interchange.spike_input import raster_to_trains
from bioaware.core.rundir import atomic_write_text, git_commit, package_versions

AGREEMENT = 0.99  # count correlation above which a node agrees
DROPPED = "the imported model has no module for this node (dropped or renamed on import)"


def _module_key(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _output_of(by_key: dict[str, np.ndarray], node: str) -> np.ndarray | None:
    """A framework's output for `node`: its module's, else that of the module the node's nested graph became."""
    return by_key.get(_module_key(node), by_key.get(_module_key(node.split(".")[0])))


def hooked_run(model, raster: np.ndarray, shape: tuple, stateful: bool) -> dict[str, np.ndarray]:
    """Step a torch model through `raster` [T, n]; spikes [T, n] of every submodule, by module name."""
    import torch

    recorded: dict[str, list] = {}

    def keep(name):
        def hook(_module, _inputs, output):
            out = output[0] if isinstance(output, tuple) else output
            if isinstance(out, torch.Tensor):
                recorded.setdefault(name, []).append(out.detach().reshape(-1).numpy().copy())
        return hook

    hooks = [m.register_forward_hook(keep(name)) for name, m in model.named_modules() if name and "." not in name]
    state = None
    with torch.no_grad():
        for step in raster:
            x = torch.as_tensor(step, dtype=torch.float32).reshape(1, *shape)
            if stateful:
                _, state = model(x, state)
            else:
                model(x)
    for h in hooks:
        h.remove()
    return {name: np.stack(v) for name, v in recorded.items()}


def run_norse(graph, raster: np.ndarray, step: float, shape: tuple, charge: float) -> dict[str, np.ndarray]:
    import norse.torch as norse

    return hooked_run(norse.from_nir(graph, dt=step, ignore_warnings=True), raster, shape, True)


def run_snntorch(graph, raster: np.ndarray, step: float, shape: tuple, charge: float) -> dict[str, np.ndarray]:
    import contextlib
    import io

    from snntorch import utils
    from snntorch.import_nir import import_from_nir

    with contextlib.redirect_stdout(io.StringIO()):  # it prints its weight-scaling warnings
        model = import_from_nir(graph)
    utils.reset(model)
    return hooked_run(model, raster, shape, True)


def sequence_run(model, raster: np.ndarray, shape: tuple) -> dict[str, np.ndarray]:
    """Run a model that takes the whole sequence at once ([T, *shape], sinabs' squeezed layers); [T, n] per module."""
    import torch

    recorded = {}
    hooks = [module.register_forward_hook(lambda _m, _i, out, name=name: recorded.__setitem__(name, out))
             for name, module in model.named_modules() if name and "." not in name]
    with torch.no_grad():
        model(torch.as_tensor(raster, dtype=torch.float32).reshape(len(raster), *shape))
    for h in hooks:
        h.remove()
    return {name: out.reshape(len(raster), -1).numpy() for name, out in recorded.items() if torch.is_tensor(out)}


def run_sinabs(graph, raster: np.ndarray, step: float, shape: tuple, charge: float) -> dict[str, np.ndarray]:
    import sinabs

    return sequence_run(sinabs.from_nir(graph, batch_size=1).float(), raster, shape)


def _layer_specs(graph, step: float, charge: float):
    """bioaware's layer specs of a chain graph read at step `step`, a spike carrying `charge`."""
    import copy

    from bioaware.interchange.from_nir import graph_to_layers

    stepped = copy.copy(graph)
    stepped.metadata = {**(graph.metadata or {}), "dt": step}
    layers, _ = graph_to_layers(stepped, "<graph>")
    for layer in layers:
        layer.weight = layer.weight * charge
    return layers


def run_lava(graph, raster: np.ndarray, step: float, shape: tuple, charge: float) -> dict[str, np.ndarray]:
    """Lava's floating-point LIF (its own environment, as the Loihi target)."""
    from bioaware.targets.loihi import run_lava as lava

    counts, _, _ = lava(_layer_specs(graph, step, charge), raster[:, None, :], "floating_pt", window=len(raster))
    return {name: c[:, 0] for name, c in counts.items()}


def run_pynn(graph, raster: np.ndarray, step: float, shape: tuple, charge: float) -> dict[str, np.ndarray]:
    """bioaware's PyNN writer (IF_curr_delta) on PyNN's Brian2 backend, as the SpiNNaker target runs it."""
    import tempfile

    from bioaware.targets.spinnaker import pynn_counts, run_pynn as pynn, write_bundle

    layers = _layer_specs(graph, step, charge)
    with tempfile.TemporaryDirectory(prefix="bioaware-pynn-") as tmp:
        bundle = Path(tmp) / "bundle.npz"
        write_bundle(layers, raster[:, None, :], bundle, step)
        result = pynn("brian2", bundle, Path(tmp) / "run")
    return {name: c[:, 0] for name, c in pynn_counts(result, layers, len(raster), 1).items()}


def _pulse_reading(parsed: ParsedGraph, step: float, charge: float) -> list[str]:
    """Leaky neurons of discrete-time frameworks take a spike as a one-step pulse; a Dirac graph means more."""
    leaky = any(p.kind in ("LIF", "LI", "CubaLIF", "CubaLI") for p in parsed.populations.values())
    return [f"a spike is read as a one-step pulse (step:{step * 1e3:g}ms), the file means a Dirac: leaky neurons "
            f"get {step:g}× the charge"] if leaky and charge == 1.0 else []


def _differences_norse(parsed: ParsedGraph, step: float, charge: float) -> list[str]:
    kinds = {p.kind for p in parsed.populations.values()}
    out = _pulse_reading(parsed, step, charge)
    if kinds & {"LIF", "CubaLIF", "LI", "CubaLI"}:
        out.append("τ discretised by Euler (v += Δt/τ·(v_leak − v + I)), Brian2 integrates exactly")
    if any(p.kind in ("LIF", "LI", "CubaLIF", "CubaLI") and not np.allclose(p.params["r"], 1.0)
           for p in parsed.populations.values()):
        out.append("r of leaky neurons is ignored (taken as 1)")
    if any(p.reset == "subtract" for p in parsed.populations.values() if p.spiking and p.kind != "Input"):
        out.append("reset to v_reset = 0, the file says reset by subtraction (NIR 1.0)")
    if any(p.kind == "IF" and not np.allclose(p.params["r"] * charge, 1.0) for p in parsed.populations.values()):
        out.append("IF adds the input as given per step (r·charge of a spike taken as 1)")
    return out


def _differences_snntorch(parsed: ParsedGraph, step: float, charge: float) -> list[str]:
    kinds = {p.kind for p in parsed.populations.values()}
    out = _pulse_reading(parsed, step, charge)
    if kinds & {"LIF", "CubaLIF"}:
        out.append("τ discretised as β = 1 − Δt/τ with Δt fixed at 0.1 ms (Euler), Brian2 integrates exactly")
        if not math.isclose(step, 1e-4, rel_tol=1e-6):
            out.append(f"its Δt is 0.1 ms, the input steps are {step * 1e3:g} ms: the model runs at another speed")
    if any(p.reset == "subtract" for p in parsed.populations.values() if p.spiking and p.kind != "Input"):
        out.append("reset to zero, the file says reset by subtraction (NIR 1.0)")
    if "IF" in kinds:
        out.append("IF imported as a leaky neuron with β = 0.9")
    return out


def _differences_sinabs(parsed: ParsedGraph, step: float, charge: float) -> list[str]:
    kinds = {p.kind for p in parsed.populations.values()}
    out = ["membrane floored at −θ; several spikes per step when v ≥ 2θ"]
    if any(p.threshold_test == ">" for p in parsed.populations.values() if p.spiking and p.kind != "Input"):
        out.append("spikes when v ≥ θ, the file says v > θ")
    if any(p.reset != "subtract" for p in parsed.populations.values() if p.spiking and p.kind != "Input"):
        out.append("reset by subtraction, the file says reset to v_reset")
    if kinds & {"LIF", "LI"}:
        out.append("τ read as a number of steps, r and Δt ignored")
    if "IF" in kinds and any(not np.allclose(p.params["r"] * charge, 1.0) for p in parsed.populations.values()
                             if p.kind == "IF"):
        out.append("IF adds the input as given per step (r·charge of a spike taken as 1)")
    return out


@dataclass(frozen=True)
class Importer:
    """A framework's NIR importer: `run` gives spikes [T, n] per module; `differences` its known semantic gaps."""

    package: str
    run: Callable[..., dict[str, np.ndarray]]
    differences: Callable[[ParsedGraph, float, float], list[str]]  # (graph, step s, charge of a spike)


def _differences_chain(what: str) -> Callable[[ParsedGraph, float, float], list[str]]:
    def differences(parsed: ParsedGraph, step: float, charge: float) -> list[str]:
        out = [f"{what}: feed-forward chains of LIF/IF with one value per layer, no bias, reset to 0"]
        if any(p.reset == "subtract" for p in parsed.populations.values() if p.spiking and p.kind != "Input"):
            out.append("reset to 0, the file says reset by subtraction (NIR 1.0)")
        if any(p.threshold_test == ">" for p in parsed.populations.values() if p.spiking and p.kind != "Input"):
            out.append("spikes when v ≥ θ, the file says v > θ")
        return out
    return differences


IMPORTERS: dict[str, Importer] = {
    "norse": Importer("norse", run_norse, _differences_norse),
    "snntorch": Importer("snntorch", run_snntorch, _differences_snntorch),
    "sinabs": Importer("sinabs", run_sinabs, _differences_sinabs),
    "lava": Importer("numpy", run_lava, _differences_chain("Lava LIF (floating point, its own environment)")),
    "pynn": Importer("pyNN", run_pynn, _differences_chain("bioaware's PyNN writer (IF_curr_delta on PyNN's "
                                                          "Brian2 backend at the input's step, where input arriving "
                                                          "in the step a neuron fires is lost in its reset; its "
                                                          "one-step delay taken out)")),
}


def first_spike_error(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |first spike step of a − of b| over neurons that fire in both rasters [T, n] (nan if none)."""
    fa, fb = (np.where(r.any(0), r.argmax(0), -1) for r in (a > 0, b > 0))
    both = (fa >= 0) & (fb >= 0)
    return float(np.abs(fa[both] - fb[both]).mean()) if both.any() else math.nan


def node_row(reference: np.ndarray, other: np.ndarray) -> dict:
    """Agreement of one node: rasters [T, n] binned to the input's steps."""
    return {"spikes_brian2": int(reference.sum()), "spikes": int(other.sum()),
            "count_correlation": count_correlation(reference[:, None], other[:, None]),
            "matched_within_1_step": matched_fraction(reference[:, None], other[:, None], 1),
            "first_spike_error_steps": first_spike_error(reference, other)}


def trace_row(v: np.ndarray, other: np.ndarray, step: float, dt: float) -> dict:
    """Agreement of a non-spiking node: Brian2's v [n, samples] at the end of each step vs the framework's [T, n]."""
    index = np.clip(np.round(((np.arange(len(other)) + 1) * step - dt) / dt).astype(int), 0, v.shape[1] - 1)
    ours = v[:, index].T
    a, b = ours.ravel(), np.asarray(other, dtype=float).ravel()
    correlation = float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else math.nan
    scale = float(np.abs(a).max()) or 1.0
    return {"trace_correlation": correlation, "trace_rmse_relative": float(np.sqrt(np.mean((a - b) ** 2)) / scale)}


def check_graph(graph, parsed: ParsedGraph, raster: np.ndarray, step: float, out_dir: Path, *,
                spikes: str | None = None, dt: float | None = None, importers: tuple[str, ...] | None = None,
                originals: dict[str, Callable[[np.ndarray], dict[str, np.ndarray]]] | None = None) -> dict:
    """Brian2 (reference) and the importers (default: all) on `raster` [T, *input shape] with steps of `step` s.

    `originals` adds models that are not read from the file, e.g. the module a graph was exported from:
    label → function of the raster [T, n] giving spikes (or readout states) [T, size] by module name.
    """
    if len(parsed.inputs) != 1:
        raise BioawareError(f"{parsed.path}: check runs graphs with one Input node (this one has "
                            f"{len(parsed.inputs)})")
    node = parsed.inputs[0]
    shape = parsed.populations[node].shape
    steps = len(raster)
    flat = np.asarray(raster).reshape(steps, -1)
    inputs = {node: SpikeTrains(*raster_to_trains(flat, step))}
    run = simulate_graph(parsed, inputs, steps * step, dt=dt, spikes=spikes)
    watched = [n for n, p in parsed.populations.items() if p.spiking and p.kind != "Input"]
    readouts = [n for n in run.traces if parsed.populations[n].kind != "Output"]
    reference = {n: run.raster(n, step, steps) for n in watched}
    chosen = tuple(IMPORTERS) if importers is None else importers
    report = {"file": parsed.path, "steps": steps, "step_s": step, "brian2_dt_s": run.dt,
              "spike_convention": run.convention, "frameworks": {}, "versions": package_versions(),
              "git_commit": git_commit()}
    panels = {n: ([run.spikes[n]], ["Brian2 (reference)"]) for n in watched}
    charge = parse_convention(run.convention).charge
    runs = [(name, IMPORTERS[name].differences(parsed, step, charge), IMPORTERS[name].package,
             lambda name=name: IMPORTERS[name].run(graph, flat, step, shape, charge)) for name in chosen]
    runs += [(label, [], None, lambda fn=fn: fn(flat)) for label, fn in (originals or {}).items()]
    for name, differences, package, produce in runs:
        entry = {"nodes": {}, "differences": differences}
        report["frameworks"][name] = entry
        if package and importlib.util.find_spec(package) is None:
            entry["skipped"] = f"{package} is not installed"
            continue
        try:
            with warnings.catch_warnings():  # the frameworks' deprecation notices are not the user's business
                warnings.simplefilter("ignore")
                produced = produce()
        except Exception as exc:  # an importer that refuses the graph is a finding, not a crash
            entry["skipped"] = f"{name} could not import or run the graph: {type(exc).__name__}: {exc}"[:300]
            continue
        by_key = {_module_key(k): v for k, v in produced.items()}
        for n in watched:
            got = _output_of(by_key, n)
            if got is None or got.shape[1] != reference[n].shape[1]:
                entry["nodes"][n] = {"missing": DROPPED}
                continue
            got = np.clip(np.round(got), 0, None)
            row = node_row(reference[n], got)
            row["agrees"] = bool(row["count_correlation"] >= AGREEMENT)
            entry["nodes"][n] = row
            t, i = np.nonzero(got)
            panels[n][0].append((i, t * step))
            panels[n][1].append(name)
        for n in readouts:
            got = _output_of(by_key, n)
            v = run.traces[n][1]
            if got is None or got.shape[1] != v.shape[0]:
                entry["nodes"][n] = {"missing": DROPPED}
                continue
            row = trace_row(v, got, step, run.dt)
            row["agrees"] = bool(row["trace_correlation"] >= AGREEMENT)
            entry["nodes"][n] = row
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = {}
    for n, (trains, labels) in panels.items():
        figure = out_dir / f"raster_{_module_key(n)}.png"
        node_rasters([(n, trains, labels)], figure)
        figures[n] = figure.name
    report["figures"] = figures
    atomic_write_text(out_dir / "check.json", json.dumps(report, indent=1, default=float) + "\n")
    atomic_write_text(out_dir / "check.html", check_page(report))
    return report


def _fmt(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else \
        f"{value:.3f}" if isinstance(value, float) else str(value)


def check_page(report: dict) -> str:
    """The HTML page of a check: one table per framework, the raster overlays per node."""
    body = [f"<h1>NIR conformance: {html.escape(report['file'])}</h1>",
            f"<p>{report['steps']} input steps of {report['step_s'] * 1e3:g} ms; Brian2 (reference) at dt "
            f"{report['brian2_dt_s'] * 1e3:g} ms, spikes read as {html.escape(report['spike_convention'])}. "
            f"Spikes binned to the input's steps; a node agrees at count correlation ≥ {AGREEMENT}.</p>"]
    for name, entry in report["frameworks"].items():
        body.append(f"<h2>{html.escape(name)}</h2>")
        if "skipped" in entry:
            body.append(f"<p>skipped: {html.escape(entry['skipped'])}</p>")
        rows = []
        for node, row in entry["nodes"].items():
            if "missing" in row:
                rows.append([html.escape(node), "–", "–", "–", "–", "–", html.escape(row["missing"])])
                continue
            if "trace_correlation" in row:
                rows.append([html.escape(node), "v (readout)", "v", _fmt(row["trace_correlation"]),
                             f"RMSE {_fmt(row['trace_rmse_relative'])} of max |v|", "–",
                             "agrees" if row["agrees"] else "differs"])
                continue
            rows.append([html.escape(node), _fmt(row["spikes_brian2"]), _fmt(row["spikes"]),
                         _fmt(row["count_correlation"]), _fmt(row["matched_within_1_step"]),
                         _fmt(row["first_spike_error_steps"]), "agrees" if row["agrees"] else "differs"])
        if rows:
            body.append(html_table(["node", "spikes Brian2", f"spikes {html.escape(name)}", "count (trace) correlation",
                                    "matched ±1 step", "first-spike error (steps)", ""], rows))
        if entry["differences"]:
            body.append("<p>Known differences from the file's semantics that can explain a disagreement:</p><ul>" +
                        "".join(f"<li>{html.escape(d)}</li>" for d in entry["differences"]) + "</ul>")
    body.append("<h2>Rasters</h2>")
    body += [f"<p><img src='{html.escape(f)}' alt='raster of {html.escape(n)}'></p>"
             for n, f in report["figures"].items()]
    return html_page(f"NIR check {report['file']}", "\n".join(body))
