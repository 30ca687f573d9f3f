"""`bioaware deploy`: a run's NIR graph through a target toolchain, measured against Brian2 and the trained model.

Every target gets the same test images' input spikes as `bioaware compare`. The reference
simulation is Brian2 at the training step with the training update order (which reproduces the
trained model exactly); each target run is one more column: spikes per layer, spike-count
correlation and spikes matched within one step against Brian2, and the reconstruction MSE.
Results land in runs/<name>/compare/targets/<target>.json and runs/<name>/compare/targets.html.
"""

from __future__ import annotations

import html
import importlib
import json
import time
from pathlib import Path

import torch

from bioaware.brian.network import simulate
from bioaware.core.page import html_page
from bioaware.agreement.rate_model import layer_agreement, reconstruction_mse, trained_reference
from bioaware.core.errors import BioawareError
from bioaware.core.timebase import TRAINING_DT
from bioaware.families.export import exported_graph, trained_test_spikes
from bioaware.interchange.from_nir import graph_to_layers, read_graph
from bioaware.core.log import info
from bioaware.targets import TARGETS
from bioaware.targets.base import Target, TargetColumn
from bioaware.targets.limits import raise_if_any
from bioaware.core.rundir import RunDir, atomic_write_text, ensure_writable



def target_module(target: str) -> Target:
    if target not in TARGETS:
        raise BioawareError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    return importlib.import_module(f"bioaware.targets.{target}")


def deploy_run(run_dir: Path, target: str, images: int = 20, seed: int = 0,
               export_root: Path = Path("export")) -> dict:
    """Check limits, convert, run and compare; returns the report written to compare/targets/<target>.json."""
    module = target_module(target)
    module.ready()
    for folder in (Path(run_dir) / "compare" / "targets", export_root):
        ensure_writable(folder)
    nir_path = exported_graph(Path(run_dir), export_root)
    graph = read_graph(nir_path)
    raise_if_any(module.check_limits(graph), TARGETS[target][0], nir_path)
    layers, _ = graph_to_layers(graph, nir_path)
    task, x_img, spikes = trained_test_spikes(run_dir, images, seed)
    with torch.no_grad():
        reference = trained_reference(task.model(spikes))
    x = spikes.numpy()
    steps = x.shape[0]
    start = time.perf_counter()
    brian = simulate(layers, TRAINING_DT, x, TRAINING_DT, order="matched")
    brian_counts = {name: brian.counts(name, steps, TRAINING_DT) for name in reference}
    columns = [TargetColumn("Brian2 (matched Δt)", brian_counts, time.perf_counter() - start)]
    columns += module.deploy(graph, layers, x, Path(run_dir) / "compare" / "targets" / target)
    brian_mse = reconstruction_mse(x_img, brian_counts)
    rows = []
    for column in columns:
        mse = reconstruction_mse(x_img, column.counts)
        row = {"simulation": column.label, "seconds": column.seconds, "mse": mse,
               "mse_rel_change_vs_brian2": (mse - brian_mse) / brian_mse, **column.details}
        for name, ref in brian_counts.items():
            row[name] = {"vs_brian2": layer_agreement(ref, column.counts[name], "spikes_target"),
                         "vs_trained": layer_agreement(reference[name], column.counts[name], "spikes_target")}
        rows.append(row)
        info(f"{column.label}: output corr vs Brian2 {row['reconstruction']['vs_brian2']['count_correlation']:.4f}, "
             f"matched {row['reconstruction']['vs_brian2']['matched_within_1_step']:.4f}, MSE {mse:.4f}")
    report = {"run": Path(run_dir).name, "target": target, "toolchain": TARGETS[target][0], "nir": str(nir_path),
              "images": len(x_img), "steps": steps, "training_dt_ms": TRAINING_DT * 1e3,
              "trained_model_mse": reconstruction_mse(x_img, reference), "columns": rows}
    out = RunDir(Path(run_dir) / "compare").path
    atomic_write_text(out / "targets" / f"{target}.json", json.dumps(report, indent=2, default=float) + "\n")
    atomic_write_text(out / "targets.html", targets_html(out / "targets"))
    return report


def targets_html(folder: Path) -> str:
    """One page with a table per deployed target (every compare/targets/*.json)."""
    sections = []
    for path in sorted(folder.glob("*.json")):
        report = json.loads(path.read_text())
        body = []
        for row in report["columns"]:
            for layer in ("hidden", "reconstruction"):
                b, t = row[layer]["vs_brian2"], row[layer]["vs_trained"]
                body.append(f"<tr><td>{html.escape(row['simulation'])}</td><td>{layer}</td>"
                            f"<td>{b['spikes_trained']} / {b['spikes_target']}</td>"
                            f"<td>{b['count_correlation']:.4f}</td>"
                            f"<td>{b['matched_within_1_step']:.4f}</td><td>{t['count_correlation']:.4f}</td>"
                            f"<td>{row['mse']:.4f} ({100 * row['mse_rel_change_vs_brian2']:+.1f} %)</td></tr>")
        sections.append(f"<h2>{html.escape(report['toolchain'])}</h2><p>{report['images']} test images, NIR graph "
                        f"{html.escape(report['nir'])}; trained model MSE {report['trained_model_mse']:.4f}.</p>"
                        "<table><tr><th>simulation</th><th>layer</th><th>spikes Brian2 / target</th>"
                        "<th>count corr. vs Brian2</th><th>matched ±1 step</th><th>count corr. vs trained</th>"
                        f"<th>MSE (vs Brian2)</th></tr>{''.join(body)}</table>")
    return html_page("bioaware deploy", "<h1>Neuromorphic targets vs Brian2</h1>" + "".join(sections))
