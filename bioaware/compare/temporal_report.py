"""`bioaware compare` for temporal-coding models: the closed-form (trained) spike times vs Brian2's exact
dynamics of the exported alpha-PSP network, on the same test inputs, at several simulation steps.

Per layer: neurons whose spiking (before the horizon) agrees, mean |Δt| and the fraction within one
simulation step over neurons that spike in both; and the reconstruction's pixel MSE. Written to
runs/<name>/compare/ (report.json, report.html, spike_times.png, membrane_output.png, images.png).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import torch

from bioaware.brian.temporal import simulate_alpha
from bioaware.agreement.figures import plt
from bioaware.core.page import html_page, html_table
from bioaware.data.encoders import add_noise, latency_decode
from bioaware.core.timebase import TIME_UNIT
from bioaware.families.export import exported_graph, load_trained
from bioaware.interchange.from_nir import read_graph
from bioaware.interchange.temporal_nir import temporal_from_nir
from bioaware.core.log import info
from bioaware.models.functional.alpha_spike import alpha_potential
from bioaware.core.figures import reconstruction_grid, save_figure
from bioaware.core.rundir import RunDir, atomic_write_text


def time_agreement(reference: np.ndarray, other: np.ndarray, step: float) -> dict:
    """Spike times [images, N] (inf: none) of one layer compared."""
    a, b = np.isfinite(reference), np.isfinite(other)
    both = a & b
    diff = np.abs(reference[both] - other[both])
    return {"spiking_reference": int(a.sum()), "spiking_brian2": int(b.sum()),
            "same_spiking": float((a == b).mean()),
            "mean_abs_dt": float(diff.mean()) if diff.size else float("nan"),
            "within_1_step": float((diff <= step + 1e-9).mean()) if diff.size else float("nan")}


def compare_temporal(run_dir: Path, images: int = 100, steps: tuple[float, ...] = (0.01, 0.001),
                     device: str = "runtime", seed: int = 0) -> dict:
    from bioaware.core.config import DataSection
    from bioaware.data.datasets import load_images

    task, config = load_trained(run_dir)
    tc = config["temporal"]
    x_img = load_images(DataSection(**config["data"])).test_x[:images]
    noisy = add_noise(x_img, config["train"]["noise"], torch.Generator().manual_seed(seed + 3))
    inputs = task.encode(noisy)
    with torch.no_grad():
        out = task.model(inputs)
    horizon = tc["latency"] + 3.0
    clip = lambda t: np.where(t < horizon, t, np.inf)  # noqa: E731  beyond the horizon counts as silent
    reference = {"hidden": clip(out.hidden.double().numpy()), "reconstruction": clip(out.output.double().numpy())}
    x = np.where(inputs.numpy() < tc["no_spike_time"], inputs.double().numpy(), np.inf)
    decode = lambda t: latency_decode(torch.from_numpy(np.minimum(t, 1e3)), tc["latency"], tc["invert"])  # noqa: E731
    pixel_mse = lambda t: float((decode(t).float() - x_img).pow(2).mean())  # noqa: E731
    path = exported_graph(Path(run_dir))  # the file is the contract: compare what was exported
    layers, _ = temporal_from_nir(read_graph(path))
    watched = [int(n) for n in np.argsort(reference["reconstruction"][0])[:3]]
    rows, runs = [], {}
    for step in steps:
        run = simulate_alpha(layers, TIME_UNIT, x, horizon, step, device, record_v={"reconstruction": watched})
        runs[step] = run
        row = {"sim_dt_units": step, "sim_dt_ms": step * TIME_UNIT * 1e3, "seconds": run.run_seconds,
               "pixel_mse": pixel_mse(run.times["reconstruction"]),
               **{name: time_agreement(ref, run.times[name], step) for name, ref in reference.items()}}
        rows.append(row)
        info(f"Brian2 dt = {step:g} units: output same spiking {row['reconstruction']['same_spiking']:.4f}, "
             f"mean |Δt| {row['reconstruction']['mean_abs_dt']:.4f}, pixel MSE {row['pixel_mse']:.4f}")
    report = {"run": Path(run_dir).name, "images": len(x_img), "device": device, "time_unit_ms": TIME_UNIT * 1e3,
              "horizon_units": horizon, "trained_pixel_mse": pixel_mse(reference["reconstruction"]), "brian2": rows}
    out_dir = RunDir(Path(run_dir) / "compare").path
    finest = runs[steps[-1]]
    _scatter(reference, finest.times, steps[-1], out_dir / "spike_times.png")
    _membrane(out.hidden[:1], layers[-1], watched, finest.traces["reconstruction"], reference["reconstruction"][0],
              out_dir / "membrane_output.png")
    grid = {"image": x_img.numpy(), "input": noisy.numpy(), "trained": decode(reference["reconstruction"]).numpy()}
    grid.update({f"Brian2 dt={s:g}": decode(runs[s].times["reconstruction"]).numpy() for s in steps})
    reconstruction_grid(grid, out_dir / "images.png", title=f"{report['run']}: test images")
    atomic_write_text(out_dir / "report.json", json.dumps(report, indent=2) + "\n")
    atomic_write_text(out_dir / "report.html", _html(report))
    return report


def _scatter(reference: dict, brian: dict, step: float, path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    for ax, name in zip(axes, ("hidden", "reconstruction")):
        both = np.isfinite(reference[name]) & np.isfinite(brian[name])
        ax.plot(reference[name][both], brian[name][both], ".", ms=2, alpha=0.4)
        lo, hi = np.nanmin(reference[name][both]), np.nanmax(reference[name][both])
        ax.plot([lo, hi], [lo, hi], "k:", lw=0.8)
        ax.set(title=f"{name}: {both.sum()} spikes", xlabel="closed form (trained) t", ylabel=f"Brian2 t (dt={step:g})")
    save_figure(fig, path)


def _membrane(hidden_times, layer, watched, trace, output_times, path: Path) -> None:
    """Output membrane of image 0: Brian2 (line) vs the closed-form alpha potential from the same hidden spikes."""
    t, v = trace
    weight = np.concatenate([layer.weight, layer.pulse_weight], axis=1)[watched]
    times = torch.cat([hidden_times.double(), torch.from_numpy(layer.pulse_times)[None]], dim=1)
    grid = torch.from_numpy(t)
    closed = alpha_potential(grid, times, torch.from_numpy(weight), layer.decay)[0].numpy()
    fig, axes = plt.subplots(len(watched), 1, figsize=(8, 1.6 * len(watched)), sharex=True, squeeze=False)
    for k, ax in enumerate(axes[:, 0]):
        before = t <= output_times[watched[k]]
        ax.plot(t, v[k], color="tab:red", lw=0.8, label="Brian2")
        ax.plot(t[before], closed[k][before], "k:", lw=1.2, label="closed form (until its spike)")
        ax.axhline(layer.v_th, ls=":", color="gray", lw=0.8)
        ax.set_ylabel("v")
    axes[0, 0].legend(fontsize=7)
    axes[-1, 0].set_xlabel("time (units)")
    save_figure(fig, path)


def _html(report: dict) -> str:
    header = ["dt (units)", "layer", "spiking trained / Brian2", "same spiking", "mean |Δt|", "within 1 step",
              "pixel MSE"]
    rows = []
    for row in report["brian2"]:
        for layer in ("hidden", "reconstruction"):
            r = row[layer]
            rows.append([f"{row['sim_dt_units']:g}", layer, f"{r['spiking_reference']} / {r['spiking_brian2']}",
                         f"{r['same_spiking']:.4f}", f"{r['mean_abs_dt']:.5f}", f"{r['within_1_step']:.4f}",
                         f"{row['pixel_mse']:.4f}"])
    return html_page(f"bioaware compare: {report['run']}",
                     f"<h1>{html.escape(report['run'])}: closed-form spike times vs Brian2</h1>"
                     f"<p>{report['images']} test images; one time unit = {report['time_unit_ms']:g} ms; spikes after "
                     f"{report['horizon_units']:g} units count as none. Trained (closed form) pixel MSE "
                     f"{report['trained_pixel_mse']:.4f}.</p>{html_table(header, rows)}"
                     "<h2>Spike times</h2><img src='spike_times.png'><h2>Reconstructions</h2><img src='images.png'>"
                     "<h2>Output membrane, first image</h2><img src='membrane_output.png'>")
