"""`bioaware compare` for FSVAE runs: the trained model beside its four exported graphs, encoder and decoder in Brian2.

Brian2 runs the encoder graph (the test image as a constant current), the host samples the latent spikes z from
the encoder's x^E with the trained posterior (the random one-of-k pick cannot be a graph node), and Brian2 runs
the decoder graph on z. The reference is the same chain of layer specs in float64 discrete time
(`models.discrete_reference`), with the same posterior draws; at the training step in the training update
order ("matched") Brian2 must reproduce it exactly; finer steps use Brian2's standard schedule. Prior samples
(z drawn on the host from the trained prior) go through both decoders as well.
"""

from __future__ import annotations

import html
import json
import resource
import time
from pathlib import Path

import numpy as np
import torch

from bioaware.agreement.figures import raster_overlay
from bioaware.agreement.rate_model import layer_agreement
from bioaware.brian.nir_network import SpikeTrains, simulate_graph
from bioaware.core.figures import reconstruction_grid
from bioaware.core.log import info
from bioaware.core.page import html_page, html_table
from bioaware.core.rundir import RunDir, atomic_write_text
from bioaware.core.timebase import TRAINING_DT
from bioaware.families.export import exported_graph, load_trained
from bioaware.interchange.nir_graph import ParsedGraph, parse_graph, read_nir
from bioaware.models.discrete_reference import run_layers
from bioaware.models.fsvae_layers import decoder_layers, encoder_layers
from bioaware.train.fsvae import GREY, to_model_scale, to_pixels


def _spike_trains(z: np.ndarray, dt: float) -> SpikeTrains:
    """Spikes [T, B, C] as one Input's trains: channel b·C + c at t·dt."""
    t, b, c = np.nonzero(z)
    return SpikeTrains(b * z.shape[2] + c, t * dt)


def _peak_memory_mb() -> float:
    """Peak resident memory so far of this process or of a finished child (a cpp_standalone binary), MB."""
    return max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


def _brian(parsed: ParsedGraph, steps: int, batch: int, factor: float, device: str, *, currents=None,
           spikes=None) -> dict:
    """Spikes [T, B, N] of every layer and the readout's last membrane [B, N] of one Brian2 run of a graph."""
    order = "matched" if factor == 1.0 else "exact"
    readout = [n for n, p in parsed.populations.items() if p.kind == "LI"]
    inputs = {} if spikes is None else {"input": _spike_trains(spikes, TRAINING_DT)}
    start = time.perf_counter()
    run = simulate_graph(parsed, inputs, steps * TRAINING_DT, dt=TRAINING_DT * factor, order=order, device=device,
                         copies=batch, record=tuple(readout), record_when="resets",
                         currents=None if currents is None else {"input": currents})
    seconds = time.perf_counter() - start
    out = {name: run.raster(name, TRAINING_DT, steps).reshape(steps, batch, -1) for name in run.spikes
           if parsed.populations[name].kind != "Output"}
    for name in readout:
        out[name] = run.traces[name][1][:, -1].reshape(batch, -1)
    synapses = sum(p.synapses for p in parsed.pathways) * batch
    return {"layers": out, "seconds": seconds, "simulated_seconds": run.run_seconds, "synapses": synapses}


def compare_fsvae(run_dir: Path, images: int = 8, factors: tuple[float, ...] = (1.0, 0.1), device: str = "runtime",
                  seed: int = 0) -> dict:
    """Compare and write report.json, report.html and figures in runs/<name>/compare/; returns the report."""
    from bioaware.core.config import DataSection
    from bioaware.data.datasets import load_images

    task, config = load_trained(run_dir)
    model = task.model.eval()
    steps = model.p.steps
    data = load_images(DataSection(**config["data"]))
    x01 = data.test_x[:images]
    shape = task.shape
    x = to_model_scale(x01, shape)
    paths = {name: exported_graph(Path(run_dir), name=f"{name}.nir") for name in ("encoder", "decoder")}
    graphs = {name: parse_graph(read_nir(path), str(path)) for name, path in paths.items()}  # parsed once
    enc_specs, dec_specs = encoder_layers(model), decoder_layers(model)
    flat = x.reshape(len(x), -1).double().numpy()
    with torch.no_grad():
        trained = model(x, torch.Generator().manual_seed(seed))
        prior_z = model.prior_latent(images, torch.Generator().manual_seed(seed + 1))
        prior_images = model.decode(prior_z)

    def posterior(x_e: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            z, _, _ = model.latent(torch.from_numpy(x_e).float(), torch.Generator().manual_seed(seed))
        return z.numpy().astype(np.float64)

    def decoded(layers: dict) -> np.ndarray:
        return np.tanh(layers["readout"][-1] if layers["readout"].ndim == 3 else layers["readout"])

    reference_enc = run_layers(enc_specs, np.broadcast_to(flat, (steps, *flat.shape)))
    reference_z = posterior(reference_enc["latent"])
    reference_dec = run_layers(dec_specs, reference_z)
    reference_prior = run_layers(dec_specs, prior_z.numpy().astype(np.float64))
    mse = lambda a: float(((a - flat) ** 2).mean())  # noqa: E731  on [−1, 1]
    report = {"run": Path(run_dir).name, "images": images, "device": device, "steps": steps,
              "training_dt_ms": TRAINING_DT * 1e3,
              "trained_model_mse_pm1": mse(trained.image.reshape(images, -1).double().numpy()),
              "reference_mse_pm1": mse(decoded(reference_dec)), "brian2": []}
    pixels = lambda a: to_pixels(torch.as_tensor(a).reshape(x.shape), shape).numpy()  # noqa: E731  [−1, 1] → [0, 1]
    grid = {"image": x01.numpy(), "trained": pixels(trained.image)}
    samples = {"trained decoder": pixels(prior_images)}
    for factor in factors:
        label = "matched" if factor == 1.0 else f"exact dt={factor:g}·Δt"
        enc = _brian(graphs["encoder"], steps, images, factor, device, currents=flat)
        z = posterior(enc["layers"]["latent"])
        dec = _brian(graphs["decoder"], steps, images, factor, device, spikes=z)
        prior = _brian(graphs["decoder"], steps, images, factor, device, spikes=prior_z.numpy())
        image, sample = decoded(dec["layers"]), decoded(prior["layers"])
        row = {"simulation": label, "dt_ms": TRAINING_DT * factor * 1e3, "mse_pm1": mse(image),
               "image_rmse_vs_reference": float(np.sqrt(((image - decoded(reference_dec)) ** 2).mean())),
               "sample_rmse_vs_reference": float(np.sqrt(((sample - decoded(reference_prior)) ** 2).mean())),
               "z_identical_fraction": float((z == reference_z).mean()),
               "seconds": {"encoder": enc["seconds"], "decoder": dec["seconds"], "prior_decoder": prior["seconds"]},
               "synapses": {"encoder": enc["synapses"], "decoder": dec["synapses"]},
               "peak_memory_mb": _peak_memory_mb(),
               "layers": {}}
        for name, ref in reference_enc.items():
            row["layers"][f"encoder.{name}"] = layer_agreement(ref, enc["layers"][name], "spikes_brian2")
        for name, ref in reference_dec.items():
            if name != "readout":
                row["layers"][f"decoder.{name}"] = layer_agreement(ref, dec["layers"][name], "spikes_brian2")
        report["brian2"].append(row)
        grid[f"Brian2 {label}"], samples[f"Brian2 {label}"] = pixels(image), pixels(sample)
        if factor == 1.0:
            matched_z = z
        info(f"{label}: MSE [-1,1] {row['mse_pm1']:.4f} (reference {report['reference_mse_pm1']:.4f}), z identical "
             f"{row['z_identical_fraction']:.4f}, image RMSE vs reference {row['image_rmse_vs_reference']:.2e}")
    if shape == GREY:
        _frechet_deltas(report, grid, samples, Path(run_dir), data, seed)
    out_dir = RunDir(Path(run_dir) / "compare").path
    reconstruction_grid(grid, out_dir / "images.png", f"{report['run']}: test images, trained model and Brian2",
                        shape)
    reconstruction_grid(samples, out_dir / "samples.png", f"{report['run']}: prior samples through both decoders",
                        shape)
    raster_overlay([reference_z[:, 0], matched_z[:, 0], prior_z[:, 0].numpy()],
                   ["posterior z (reference)", "posterior z (Brian2 encoder)", "a prior sample's z"],
                   out_dir / "latent_raster.png")
    atomic_write_text(out_dir / "report.json", json.dumps(report, indent=2) + "\n")
    atomic_write_text(out_dir / "report.html", _html(report))
    return report


def _frechet_deltas(report: dict, grid: dict, samples: dict, run_dir: Path, data, seed: int) -> None:
    """Each set of reconstructions and prior samples judged against all test images by the run's two judging
    networks (classifier features, autoencoder codes): the Fréchet distances of the trained model's sets in
    `report`, each Brian2 row's and its difference from the trained one's. With a few images these distances
    carry a large small-sample bias: compare the rows with each other, not with the 5,000-sample figures."""
    from bioaware.evaluation.digit_classifier import batched, cached_digit_classifier
    from bioaware.evaluation.image_autoencoder import cached_image_autoencoder
    from bioaware.evaluation.sample_quality import frechet_distance

    judges = {"classifier": cached_digit_classifier(run_dir, data, seed)[0],
              "autoencoder": cached_image_autoencoder(run_dir, data, seed)[0]}
    real = {name: batched(judge.features, data.test_x).double().numpy() for name, judge in judges.items()}

    def distances(images: np.ndarray) -> dict:
        return {name: frechet_distance(batched(judge.features, torch.as_tensor(images).float()).double().numpy(),
                                       real[name]) for name, judge in judges.items()}

    report["frechet_reconstructions"] = distances(grid["trained"])
    report["frechet_samples"] = distances(samples["trained decoder"])
    for row in report["brian2"]:
        for kind, images in (("reconstructions", grid[f"Brian2 {row['simulation']}"]),
                             ("samples", samples[f"Brian2 {row['simulation']}"])):
            fd = distances(images)
            row[f"frechet_{kind}"] = fd
            row[f"frechet_{kind}_delta"] = {n: fd[n] - report[f"frechet_{kind}"][n] for n in fd}


def _deltas(row: dict) -> str:
    if "frechet_samples_delta" not in row:
        return "not judged (colour images)"
    deltas = [row[f"frechet_{kind}_delta"] for kind in ("reconstructions", "samples")]
    return ", ".join(f"{d['classifier']:+.2f} / {d['autoencoder']:+.2f}" for d in deltas)


def _html(report: dict) -> str:
    header = ["simulation", "dt (ms)", "layer", "spikes reference / Brian2", "count corr.", "matched ±1 step"]
    rows, summary = [], []
    for row in report["brian2"]:
        for name, r in row["layers"].items():
            rows.append([html.escape(row["simulation"]), f"{row['dt_ms']:g}", html.escape(name),
                         f"{r['spikes_trained']} / {r['spikes_brian2']}", f"{r['count_correlation']:.4f}",
                         f"{r['matched_within_1_step']:.4f}"])
        s = row["seconds"]
        summary.append([html.escape(row["simulation"]), f"{row['mse_pm1']:.4f}", f"{row['z_identical_fraction']:.4f}",
                        f"{row['image_rmse_vs_reference']:.2e}", f"{row['sample_rmse_vs_reference']:.2e}",
                        f"{row['synapses']['encoder']:,} / {row['synapses']['decoder']:,}",
                        f"{s['encoder']:.1f} / {s['decoder']:.1f}", f"{row['peak_memory_mb']:.0f}", _deltas(row)])
    return html_page(f"bioaware compare: {report['run']}",
                     f"<h1>{html.escape(report['run'])}: FSVAE vs Brian2</h1>"
                     f"<p>{report['images']} test images, {report['steps']} steps of {report['training_dt_ms']:g} ms, "
                     f"Brian2 device {report['device']}. MSE on [−1, 1]: trained model "
                     f"{report['trained_model_mse_pm1']:.4f}, float64 reference {report['reference_mse_pm1']:.4f}. "
                     "The latent sampler (one of k spikes per channel, at random) runs on the host between the "
                     "encoder and decoder graphs, with the same draws for every row.</p>"
                     + html_table(["simulation", "MSE [−1, 1]", "z identical", "image RMSE vs ref.",
                                   "prior-sample RMSE vs ref.", "synapses enc. / dec.", "build+run s enc. / dec.",
                                   "peak MB", "Δ Fréchet distance vs trained: reconstructions, samples "
                                   "(classifier / autoencoder)"], summary)
                     + html_table(header, rows)
                     + "<h2>Reconstructions</h2><img src='images.png' alt='reconstructions'>"
                     "<h2>Prior samples</h2><img src='samples.png' alt='prior samples'>"
                     "<h2>Latent spikes, first image</h2><img src='latent_raster.png' alt='latent raster'>")
