"""`bioaware analyse` for temporal-coding runs: what the hidden spike times encode, and how the network spikes.

Embeddings: RBF-SVM digit accuracy on hidden spike times vs on the (same, possibly noisy) raw pixels,
a t-SNE map of the codes, and decoded interpolations between four test digits' codes. Dynamics:
histograms of hidden, output and pulse spike times, weight histograms of regular neurons vs pulses.
Everything lands in runs/<name>/analysis/ (analysis.json and PNGs).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from bioaware.agreement.figures import plt
from bioaware.data.encoders import add_noise, latency_decode
from bioaware.families.export import load_trained
from bioaware.core.log import info
from bioaware.core.figures import save_figure
from bioaware.core.rundir import RunDir, atomic_write_text


def hidden_codes(task, images: torch.Tensor, noise: float, seed: int,
                 horizon: float) -> tuple[np.ndarray, torch.Tensor]:
    """Hidden spike times [n, H] (silent or later than `horizon` → `horizon`) and the inputs that produced them."""
    noisy = add_noise(images, noise, torch.Generator().manual_seed(seed))
    codes = []
    with torch.no_grad():
        for start in range(0, len(images), 500):
            codes.append(task.model.encoder(task.encode(noisy[start:start + 500])).clamp(max=horizon))
    return torch.cat(codes).numpy(), noisy


def svm_accuracy(train_x, train_y, test_x, test_y) -> float:
    """Test accuracy of an RBF-kernel SVM (scikit-learn defaults) on features in [0, 1]."""
    from sklearn.svm import SVC

    model = SVC(kernel="rbf").fit(train_x, train_y)
    return float((model.predict(test_x) == test_y).mean())


def analyse_run(run_dir: Path, n_train: int = 5000, n_test: int = 2000, seed: int = 0) -> dict:
    from bioaware.core.config import DataSection
    from bioaware.data.datasets import load_images

    task, config = load_trained(run_dir)
    tc, noise = config["temporal"], config["train"]["noise"]
    data = load_images(DataSection(**config["data"]))
    horizon = tc["latency"] + 2.0
    pick = lambda n, size: torch.randperm(size, generator=torch.Generator().manual_seed(seed))[:n]  # noqa: E731
    tr, te = pick(n_train, len(data.train_x)), pick(n_test, len(data.test_x))  # random: some sets are sorted by digit
    train_codes, train_in = hidden_codes(task, data.train_x[tr], noise, seed + 5, horizon)
    test_codes, test_in = hidden_codes(task, data.test_x[te], noise, seed + 6, horizon)
    ytr, yte = data.train_y[tr].numpy(), data.test_y[te].numpy()
    result = {"run": Path(run_dir).name, "hidden": task.model.encoder.weight.shape[0], "noise": noise,
              "latency": tc["latency"], "n_train": n_train, "n_test": n_test,
              "svm_hidden_times": svm_accuracy(train_codes / horizon, ytr, test_codes / horizon, yte),
              "svm_pixels": svm_accuracy(train_in.numpy(), ytr, test_in.numpy(), yte)}
    info(f"{result['run']}: SVM accuracy on hidden spike times {result['svm_hidden_times']:.4f}, "
         f"on pixels {result['svm_pixels']:.4f}")
    out = RunDir(Path(run_dir) / "analysis").path
    _tsne(test_codes[:1000], yte[:1000], out / "tsne.png", seed)
    _interpolation(task, test_codes, yte, tc, out / "interpolation.png")
    result.update(_dynamics(task, test_in[:500], tc, out))
    atomic_write_text(out / "analysis.json", json.dumps(result, indent=2) + "\n")
    return result


def _tsne(codes, labels, path: Path, seed: int) -> None:
    from sklearn.manifold import TSNE

    xy = TSNE(n_components=2, random_state=seed, init="pca", perplexity=30).fit_transform(codes)
    fig, ax = plt.subplots(figsize=(6, 5))
    points = ax.scatter(xy[:, 0], xy[:, 1], c=labels, cmap="tab10", s=4)
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set(title="t-SNE of hidden spike times", xticks=[], yticks=[])
    save_figure(fig, path)


def _interpolation(task, codes, labels, tc, path: Path, n: int = 7) -> None:
    """Bilinear interpolation in spike-time space between the first test images of digits 0, 1, 2 and 3."""
    corners = [codes[np.flatnonzero(labels == d)[0]] for d in range(4)]
    u = np.linspace(0, 1, n)
    grid = np.array([[(1 - a) * ((1 - b) * corners[0] + b * corners[1]) + a * ((1 - b) * corners[2] + b * corners[3])
                      for b in u] for a in u]).reshape(n * n, -1)
    with torch.no_grad():
        times = task.model.decoder(torch.from_numpy(grid).float())
    pixels = latency_decode(times, tc["latency"], tc["invert"]).numpy().reshape(n, n, 28, 28)
    fig, axes = plt.subplots(n, n, figsize=(n, n))
    for i in range(n):
        for j in range(n):
            axes[i][j].imshow(pixels[i, j], cmap="gray", vmin=0, vmax=1)
            axes[i][j].axis("off")
    fig.suptitle("decoded interpolation of hidden spike times between test digits 0, 1, 2, 3", fontsize=8)
    save_figure(fig, path)


def _dynamics(task, inputs, tc, out: Path) -> dict:
    with torch.no_grad():
        spikes = task.model(task.encode(inputs))
    limit = tc["latency"] + 3.0
    series = {"hidden": spikes.hidden.numpy().ravel(), "output": spikes.output.numpy().ravel(),
              "pulses": torch.cat([p.detach() for p in task.model.pulse_parameters()]).numpy()}
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for name, t in series.items():
        ax.hist(t[t < limit], bins=80, range=(min(0.0, t.min()), limit), alpha=0.6, label=name, density=True)
    ax.axvline(tc["latency"], ls=":", color="gray")
    ax.set(xlabel="spike time (units)", ylabel="density", title=f"spike times (latency {tc['latency']:g})")
    ax.legend(fontsize=8)
    save_figure(fig, out / "spike_times_hist.png")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    stats = {}
    for ax, (name, layer) in zip(axes, (("hidden", task.model.encoder), ("reconstruction", task.model.decoder))):
        w = layer.weight.detach().numpy()
        regular, pulse = w[:, :layer.n_in].ravel(), w[:, layer.n_in:].ravel()
        ax.hist(regular, bins=80, alpha=0.6, density=True, label="regular")
        ax.hist(pulse, bins=40, alpha=0.6, density=True, label="pulses")
        ax.set(title=name, xlabel="weight")
        ax.legend(fontsize=8)
        stats[f"{name}_weight_mean_regular"] = float(regular.mean())
        stats[f"{name}_weight_mean_pulses"] = float(pulse.mean())
    save_figure(fig, out / "weights_hist.png")
    silent = lambda t: float((t >= tc["no_spike_time"]).mean())  # noqa: E731
    return {**stats, "hidden_silent_fraction": silent(series["hidden"]),
            "output_silent_fraction": silent(series["output"]),
            "pulse_times": series["pulses"].round(4).tolist()}
