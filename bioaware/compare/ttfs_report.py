"""`bioaware compare` for single-spike IF runs (TTFS classifier, Spiking-GAN): the trained discrete model vs
Brian2 running the exported NIR graphs, on the same input spike times, at several simulation steps.

Per layer: neurons whose spiking agrees, spikes at exactly the same time, and mean |Δt| after removing
the known discretisation delay (a neuron of layer k = 0, 1, … fires (k + 1)·(1 − sim_dt/dt) steps earlier in a finer
simulation, see `bioaware.brian.ttfs`); then the task measure under Brian2: classifier accuracy,
decision time and spikes, or the generator's sample quality and the discriminator's verdicts.
Written to runs/<name>/compare/ (report.json, report.html, spike_times.png, samples.png for GANs).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import torch

from bioaware.brian.ttfs import simulate_ttfs, undelayed
from bioaware.agreement.figures import plt
from bioaware.core.page import html_page
from bioaware.core.timebase import TRAINING_DT
from bioaware.families.export import exported_graph, load_trained
from bioaware.families.single_spike import ttfs_networks
from bioaware.interchange.from_nir import graph_to_layers, read_graph
from bioaware.core.log import info
from bioaware.core.figures import reconstruction_grid, save_figure
from bioaware.core.rundir import RunDir, atomic_write_text


def layer_agreement(reference: np.ndarray, brian: np.ndarray, steps: int, delay: float) -> dict:
    """Spike times [N, size] (T = silent) of one layer: trained model vs Brian2 with its `delay` (steps) undone."""
    a, b = reference < steps, brian < steps
    both = a & b
    diff = np.abs(reference[both] - brian[both])
    return {"spiking_reference": int(a.sum()), "spiking_brian2": int(b.sum()), "same_spiking": float((a == b).mean()),
            "same_time": float((diff < 1e-6).mean()) if diff.size else float("nan"),
            "mean_abs_dt_steps": float(diff.mean()) if diff.size else float("nan"),
            "delay_removed_steps": delay}


def run_network(name: str, net, in_times: torch.Tensor, nir_path: Path, steps: int, factors, device: str):
    """(reference times per layer, {factor: Brian2 times per layer, delay undone}, {factor: agreement rows})."""
    with torch.no_grad():
        reference = dict(zip(net.names, (t.double().cpu().numpy() for t in net(in_times))))
    layers, _ = graph_to_layers(read_graph(nir_path), nir_path)
    brian, rows = {}, {}
    for factor in factors:
        info(f"Brian2: {name}, {len(in_times)} inputs, sim_dt = {factor} × dt")
        raw = simulate_ttfs(layers, in_times.cpu().numpy(), steps, TRAINING_DT, factor * TRAINING_DT, device)
        brian[factor] = undelayed(raw, net.names, steps, factor)
        rows[factor] = {layer: layer_agreement(reference[layer], brian[factor][layer], steps, (k + 1) * (1 - factor))
                        for k, layer in enumerate(net.names)}  # delays: see `undelayed`
    return reference, brian, rows


def compare_ttfs(run_dir: Path, images: int = 100, factors: tuple[float, ...] = (1.0, 0.1), device: str = "runtime",
                 seed: int = 0) -> dict:
    from bioaware.core.config import DataSection
    from bioaware.data.datasets import load_images

    task, config = load_trained(run_dir)
    steps = config["ttfs"]["steps"]
    data = load_images(DataSection(**config["data"]))
    images = min(images, len(data.test_x))  # what is recorded is what ran
    folder = exported_graph(Path(run_dir), name=f"{next(iter(ttfs_networks(task)))}.nir").parent
    out = RunDir(run_dir).path / "compare"
    out.mkdir(exist_ok=True)
    report: dict = {"run": Path(run_dir).name, "images": images, "factors": list(factors), "device": device}
    nets = ttfs_networks(task)
    scatter = {}
    if "model" in nets:
        from bioaware.train.ttfs_classifier import decide, summarise

        x, y = data.test_x[:images], data.test_y[:images]
        in_times = task.encode(x)
        reference, brian, rows = run_network("classifier", task.model, in_times, folder / "model.nir", steps, factors,
                                             device)
        w_out = task.model.weights[1].detach().cpu()
        verdict = lambda times: summarise(decide(in_times.cpu(), torch.from_numpy(times["hidden"]).float(),  # noqa: E731
                                                 torch.from_numpy(times["classes"]).float(), w_out, steps), y, steps)
        report["layers"] = {str(f): r for f, r in rows.items()}
        report["task"] = {"trained": verdict(reference), **{f"brian2 sim_dt={f}": verdict(brian[f]) for f in factors}}
        scatter = {"hidden": (reference["hidden"], brian[factors[-1]]["hidden"]),
                   "classes": (reference["classes"], brian[factors[-1]]["classes"])}
    else:
        from bioaware.evaluation.digit_classifier import cached_digit_classifier
        from bioaware.evaluation.sample_quality import sample_quality
        from bioaware.models.functional.ttfs import ttfs_decode, ttfs_encode

        digit, intended = config["ttfs"]["digit"], task.intended(images)  # conditional: one digit per sample
        noise = task.noise_times(images, torch.Generator().manual_seed(seed + 5), task.asked(images))
        g_ref, g_brian, g_rows = run_network("generator", task.generator, noise, folder / "generator.nir", steps,
                                             factors, device)
        real = data.test_x if digit < 0 else data.test_x[data.test_y == digit]
        judge, _ = cached_digit_classifier(run_dir, data, config["run"]["seed"])
        samples = {"trained": ttfs_decode(torch.from_numpy(g_ref["g_output"]).float(), steps),
                   **{f"brian2 sim_dt={f}": ttfs_decode(torch.from_numpy(g_brian[f]["g_output"]).float(), steps)
                      for f in factors}}
        report["task"] = {k: sample_quality(judge, s, real[:5000], intended) for k, s in samples.items()}
        d_in = task.with_labels(ttfs_encode(real[:images], steps), data.test_y[:images] if task.conditional else None)
        d_ref, d_brian, d_rows = run_network("discriminator", task.discriminator, d_in, folder / "discriminator.nir",
                                             steps, factors, device)
        called_real = lambda t: float((t["d_output"][:, 0] < t["d_output"][:, 1]).mean())  # noqa: E731
        report["discriminator_on_real"] = {"trained": called_real(d_ref),
                                           **{f"brian2 sim_dt={f}": called_real(d_brian[f]) for f in factors}}
        report["layers"] = {str(f): {**g_rows[f], **d_rows[f]} for f in factors}
        scatter = {"g_output": (g_ref["g_output"], g_brian[factors[-1]]["g_output"]),
                   "d_hidden": (d_ref["d_hidden"], d_brian[factors[-1]]["d_hidden"])}
        reconstruction_grid({k: s[:10].numpy() for k, s in samples.items()}, out / "samples.png",
                            f"{report['run']}: generator samples, same noise")
    _scatter(scatter, steps, factors[-1], out / "spike_times.png")
    RunDir(run_dir).write_json("compare/report.json", report)
    atomic_write_text(out / "report.html", _html(report))
    return report


def _scatter(pairs: dict[str, tuple[np.ndarray, np.ndarray]], steps: int, factor: float, path: Path) -> None:
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.5 * len(pairs), 4), squeeze=False)
    for ax, (name, (ref, brian)) in zip(axes[0], pairs.items()):
        both = (ref < steps) & (brian < steps)
        ax.scatter(ref[both], brian[both], s=4, alpha=0.3)
        ax.plot([0, steps], [0, steps], "k--", lw=0.8)
        ax.set(title=f"{name} ({both.sum()} spikes in both)", xlabel="trained model (steps)",
               ylabel=f"Brian2, sim_dt = {factor}·dt (steps)")
    save_figure(fig, path)


def _html(report: dict) -> str:
    extra = "<p><img src='samples.png'></p>" if "discriminator_on_real" in report else ""
    return html_page(f"bioaware compare: {report['run']}",
                     f"<h1>{html.escape(report['run'])}: trained single-spike IF model vs Brian2</h1>"
                     f"<p><img src='spike_times.png'></p>{extra}<pre>{html.escape(json.dumps(report, indent=1))}</pre>")
