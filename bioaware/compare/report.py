"""`bioaware compare`: one trained run, the same input spikes, the discrete-time model vs Brian2.

Brian2 runs the exported layer specs at Δt ∈ factors × the training step with its standard
schedule (exact continuous-time dynamics up to one simulation step of transmission per layer),
plus once at the training step with the training update order ("matched"), which must
reproduce the discrete model exactly. Everything lands in runs/<name>/compare/.
"""

from __future__ import annotations

import html
import json
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from bioaware.brian.network import simulate
from bioaware.brian.sharded import simulate_on_cluster
from bioaware.check.conformance import check_graph
from bioaware.agreement.figures import membrane_overlay, raster_overlay
from bioaware.core.page import html_page, html_table
from bioaware.agreement.rate_model import layer_agreement, reconstruction_mse, trained_reference
from bioaware.core.timebase import TRAINING_DT
from bioaware.families.export import exported_graph, trained_test_spikes
from bioaware.interchange.from_nir import graph_to_layers, read_graph
from bioaware.interchange.nir_graph import parse_graph
from bioaware.core.log import info
from bioaware.core.figures import reconstruction_grid
from bioaware.core.rundir import RunDir, atomic_write_text


def compare_run(run_dir: Path, images: int = 20, factors: tuple[float, ...] = (1.0, 0.1, 0.01),
                device: str = "runtime", seed: int = 0, judge: Callable[[np.ndarray], dict] | None = None,
                cluster: str | None = None, data=None) -> dict:
    """Compare and write report.json, report.html and figures; returns the report. `judge`, when given, scores the
    output spike counts [T, images, 784] of the trained model and of every Brian2 run (e.g. recognisability);
    with `cluster` every Brian2 run splits the images over its workers (`bioaware.brian.sharded`); `data` is the
    run's data when the caller has loaded it already."""
    task, x_img, spikes = trained_test_spikes(run_dir, images, seed, data)
    with torch.no_grad():
        out = task.model(spikes)
    steps = spikes.shape[0]
    reference = trained_reference(out)
    path = exported_graph(Path(run_dir))  # the file is the contract: compare what was exported
    graph = read_graph(path)
    layers, _ = graph_to_layers(graph, path)
    x = spikes.numpy()
    rows, brian_counts, traces = [], {}, {}
    # membrane traces of the output neurons of image 0 that the trained model drives hardest
    watched = [int(n) for n in np.argsort(-out.out_z[:, 0].sum(0).numpy())[:3]]
    for label, factor, order in [("matched", 1.0, "matched")] + [(f"exact dt={f:g}·Δt", f, "exact") for f in factors]:
        start = time.perf_counter()
        if cluster:
            run = simulate_on_cluster(layers, TRAINING_DT, x, TRAINING_DT * factor, cluster, order=order,
                                      device=device, record_v={"reconstruction": watched})
        else:
            run = simulate(layers, TRAINING_DT, x, TRAINING_DT * factor, order=order, device=device,
                           record_v={"reconstruction": watched})
        traces[label] = run.traces["reconstruction"]
        seconds = time.perf_counter() - start
        counts = {name: run.counts(name, steps, TRAINING_DT) for name in reference}
        brian_counts[label] = counts
        row = {"simulation": label, "dt_ms": TRAINING_DT * factor * 1e3, "order": order, "seconds": seconds,
               "mse": reconstruction_mse(x_img, counts)}
        row.update({name: layer_agreement(ref, counts[name], "spikes_brian2") for name, ref in reference.items()})
        row.update(judge(counts["reconstruction"]) if judge else {})
        rows.append(row)
        info(f"{label}: output corr {row['reconstruction']['count_correlation']:.4f}, "
             f"matched {row['reconstruction']['matched_within_1_step']:.4f}, MSE {row['mse']:.4f} ({seconds:.1f} s)")
    trained_mse = reconstruction_mse(x_img, reference)
    report = {"run": Path(run_dir).name, "images": len(x_img), "device": device, "training_dt_ms": TRAINING_DT * 1e3,
              "steps": steps, "layers": list(reference), "trained_model_mse": trained_mse, "brian2": rows}
    if judge:
        report["trained_model"] = judge(reference["reconstruction"])
    for row in rows:
        row["mse_delta"] = row["mse"] - trained_mse
    out_dir = RunDir(Path(run_dir) / "compare").path
    finest = rows[-1]["simulation"]
    raster_overlay([reference["reconstruction"][:, 0], brian_counts[finest]["reconstruction"][:, 0],
                    brian_counts[rows[1]["simulation"]]["reconstruction"][:, 0]],
                   ["trained (discrete)", finest, rows[1]["simulation"]], out_dir / "raster_output.png")
    membrane_overlay(out.out_v[:, 0, watched].numpy(), [traces[rows[1]["simulation"]], traces[finest]],
                     [rows[1]["simulation"], finest], TRAINING_DT, layers[-1].v_th, out_dir / "membrane_output.png")
    grid = {"image": x_img.numpy(), "trained Σt": out.out_z.sum(0).numpy()}
    grid.update({f"{r['simulation']} Σt": brian_counts[r["simulation"]]["reconstruction"].sum(0) for r in rows[1:]})
    reconstruction_grid(grid, out_dir / "images.png", title=f"{report['run']}: test images")
    # the same graph and the first image's spikes through every installed NIR importer (compare/check/)
    report["check"] = {name: {node: row.get("count_correlation") for node, row in entry["nodes"].items()}
                       for name, entry in check_graph(graph, parse_graph(graph, str(path)), x[:, 0], TRAINING_DT,
                                                      out_dir / "check", spikes="dirac")["frameworks"].items()}
    atomic_write_text(out_dir / "report.json", json.dumps(report, indent=2) + "\n")
    atomic_write_text(out_dir / "report.html", _html(report))
    return report


def _html(report: dict) -> str:
    judged = [key for key in report.get("trained_model", {}) if isinstance(report["trained_model"][key], float)]
    header = ["simulation", "dt (ms)", "layer", "spikes trained / Brian2", "count corr.", "matched ±1 step",
              "van Rossum", "MSE (Δ)"] + [f"{key} (trained)" for key in judged]
    rows = []
    for row in report["brian2"]:
        for layer in report["layers"]:
            r = row[layer]
            rows.append([html.escape(row["simulation"]), f"{row['dt_ms']:g}", layer,
                         f"{r['spikes_trained']} / {r['spikes_brian2']}", f"{r['count_correlation']:.4f}",
                         f"{r['matched_within_1_step']:.4f}", f"{r['van_rossum']:.4f}",
                         f"{row['mse']:.4f} ({row['mse_delta']:+.4f})"]
                        + [f"{row[key]:.3f} ({report['trained_model'][key]:.3f})" for key in judged])
    return html_page(f"bioaware compare: {report['run']}",
                     f"<h1>{html.escape(report['run'])}: trained model vs Brian2</h1>"
                     f"<p>{report['images']} test images, {report['steps']} steps of {report['training_dt_ms']:g} ms, "
                     f"Brian2 device {report['device']}. Trained (discrete-time) model MSE "
                     f"{report['trained_model_mse']:.4f}. 'matched' runs Brian2 at the training step with the "
                     "training update order and must agree exactly; "
                     "'exact' runs use Brian2's standard schedule (one simulation step of transmission per layer).</p>"
                     f"{html_table(header, rows)}"
                     "<p>The exported graph through the other frameworks' NIR importers, first image: "
                     "<a href='check/check.html'>check/check.html</a>.</p>"
                     "<h2>Reconstructions</h2><img src='images.png'><h2>Output raster, first image</h2>"
                     "<img src='raster_output.png'><h2>Output membrane (before reset), first image</h2>"
                     "<img src='membrane_output.png'><p>Neuromorphic targets (<code>bioaware deploy</code>): "
                     "<a href='targets.html'>targets.html</a></p>")
