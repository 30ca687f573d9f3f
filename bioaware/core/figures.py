"""Figures of a run (PNG): reconstruction grid and loss curves."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from bioaware.core.rundir import atomic_write  # noqa: E402


def save_figure(fig, path: Path) -> None:
    with warnings.catch_warnings():  # labels in scripts the font lacks (node names are the user's) still draw
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)


def reconstruction_grid(rows: dict[str, np.ndarray], path: Path, title: str = "",
                        shape: tuple[int, int, int] = (1, 28, 28)) -> None:
    """One row of images per entry of `rows` (label → array [n, C·H·W] in [0, 1], C = 1 grey or 3 colour),
    same columns."""
    n = min(len(v) for v in rows.values())
    fig, axes = plt.subplots(len(rows), n, figsize=(1.1 * n, 1.2 * len(rows)), squeeze=False)
    for r, (label, images) in enumerate(rows.items()):
        for c in range(n):
            ax = axes[r][c]
            image = np.asarray(images[c]).reshape(shape)
            ax.imshow(image[0] if shape[0] == 1 else np.clip(image.transpose(1, 2, 0), 0.0, 1.0), cmap="gray")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r][0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    save_figure(fig, path)


def _panel_per_phase(metrics: list[dict], kind: str, width: float, path: Path, draw) -> None:
    """One panel per phase that logged rows of `kind`, drawn by draw(axis, phase, its rows); saved to `path`."""
    phases = list(dict.fromkeys(r["phase"] for r in metrics if r.get("kind") == kind))
    if not phases:
        return
    fig, axes = plt.subplots(1, len(phases), figsize=(width * len(phases), 3), squeeze=False)
    for ax, phase in zip(axes[0], phases):
        draw(ax, phase, [r for r in metrics if r.get("phase") == phase and r.get("kind") == kind])
    fig.tight_layout()
    save_figure(fig, path)


def loss_curves(metrics: list[dict], path: Path) -> None:
    """Training loss per batch for every phase of the run (one panel each, moving average of 20)."""
    def draw(ax, phase: str, rows: list[dict]) -> None:
        steps = np.array([r["step"] for r in rows])
        loss = np.array([r["loss"] for r in rows])
        ax.plot(steps, loss, alpha=0.3, lw=0.8)
        if len(loss) >= 20:
            ax.plot(steps[19:], np.convolve(loss, np.ones(20) / 20, mode="valid"), lw=1.5)
        ax.set(title=phase, xlabel="batch", ylabel="loss")
        ax.set_yscale("log")

    _panel_per_phase(metrics, "train", 4.0, path, draw)


def test_curves(metrics: list[dict], path: Path, columns: int = 4) -> list[str]:
    """Test metrics against the batch of the checkpoint they measured (rows `bioaware evaluate` logged and the
    final test), one panel per metric, one line per phase; drawn once some phase was tested at two batches.
    Values that are the same in every row (test-set sizes, sample counts) get no panel. Returns the metrics drawn."""
    latest = {(r["phase"], r["step"]): r for r in metrics if r.get("kind") in ("evaluate", "test") and "step" in r}
    if len({phase for phase, _ in latest}) == len(latest):
        return []
    values: dict[str, set] = {}
    for r in latest.values():
        for k, v in r.items():
            if k != "step" and isinstance(v, (int, float)) and not isinstance(v, bool):
                values.setdefault(k, set()).add(v)
    names = [k for k, seen in values.items() if len(seen) > 1]
    if not names:
        return []
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, min(columns, len(names)), figsize=(3.2 * min(columns, len(names)), 2.6 * rows),
                             squeeze=False)
    for ax, name in zip(axes.flat, names):
        for phase in dict.fromkeys(phase for phase, _ in latest):
            points = sorted((step, r[name]) for (p, step), r in latest.items() if p == phase and name in r)
            if points:
                ax.plot(*zip(*points), "o-", ms=3, label=phase)
        ax.set(title=name, xlabel="batch")
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)
    return names


# What a phase's model-selection checks plot: the left axis's field and label, the right axis's fields (solid,
# dashed), label and limits (None: fitted). GANs check sample quality; TTFS classifiers, decisions on held-out images.
SELECTION_PLOTS = (("frechet_train", "Fréchet distance (training images)", ("recognised", "variety"),
                    "recognised (p ≥ 0.9), variety (dashed)", (-0.02, 1.02)),
                   ("decision_time_held", "mean decision (steps, held-out)", ("accuracy_held",),
                    "accuracy (held-out images)", None))


def selection_curves(metrics: list[dict], path: Path) -> None:
    """Model-selection checks per phase (`SELECTION_PLOTS`) per batch, the kept model circled."""
    def draw(ax, phase: str, rows: list[dict]) -> None:
        left, left_label, right, right_label, right_limits = next(p for p in SELECTION_PLOTS if p[0] in rows[0])
        steps = np.array([r["step"] for r in rows])
        ax.plot(steps, [r[left] for r in rows], color="tab:blue")
        ax.set(title=phase, xlabel="batch")
        ax.set_ylabel(left_label, color="tab:blue")
        other = ax.twinx()
        for field, style in zip(right, ("-", "--")):
            other.plot(steps, [r[field] for r in rows], color="tab:orange", ls=style)
        other.set_ylabel(right_label, color="tab:orange")
        other.set_ylim(right_limits)
        for kept in (r for r in metrics if r.get("phase") == phase and r.get("kind") == "kept"):
            ax.plot([kept["step"]], [next(r[left] for r in rows if r["step"] == kept["step"])],
                    "o", mfc="none", mec="black", ms=10)

    _panel_per_phase(metrics, "select", 4.5, path, draw)


def mse_bars(labels: list[str], mse: list[float], paper: list[float | None], path: Path) -> None:
    """Horizontal bars of test MSE per (run, model); the paper's figure for that row as a black tick."""
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(labels) + 1.2))
    y = np.arange(len(labels))
    ax.barh(y, mse, color="tab:blue")
    for yi, p in zip(y, paper):
        if p is not None:
            ax.plot([p, p], [yi - 0.4, yi + 0.4], color="black", lw=2)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("test MSE (standardised image vs output)   | = paper, Table 1")
    save_figure(fig, path)


def per_digit_bars(per_digit: dict, path: Path, title: str = "") -> None:
    """Accuracy, mean decision time and spikes to decision per digit (dict digit → metrics), three panels."""
    digits = sorted(per_digit, key=int)
    panels = (("accuracy", "test accuracy"), ("decision_time", "decision time (steps)"),
              ("spikes_to_decision", "spikes to decision"))
    fig, axes = plt.subplots(1, 3, figsize=(12, 3))
    for ax, (key, label) in zip(axes, panels):
        values = [per_digit[d][key] for d in digits]
        ax.bar(digits, values, color="tab:blue")
        ax.set_xlabel("digit")
        ax.set_ylabel(label)
        if key == "accuracy":
            ax.set_ylim(min(values) - 0.05, 1.0)
    if title:
        fig.suptitle(title, fontsize=9)
    save_figure(fig, path)


def filter_grid(weights: np.ndarray, path: Path, title: str = "") -> None:
    """Input weights [n, 784] of n neurons as 28×28 images (8 per row, each on its own colour scale)."""
    rows = -(-len(weights) // 8)
    fig, axes = plt.subplots(rows, 8, figsize=(8, rows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k < len(weights):
            ax.imshow(weights[k].reshape(28, 28), cmap="viridis")
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=9)
    save_figure(fig, path)


def accuracy_against_time(points: dict[str, tuple[float, float]], references: dict[str, tuple[float, float]],
                          target: tuple[float, float], path: Path, title: str = "",
                          lenient: dict[str, float] | None = None, series: str = "this run",
                          xlabel: str = "mean decision time (steps, first output spike)") -> None:
    """Accuracy against mean decision time (steps): `points` (label → (time, accuracy)) as a labelled series, the
    same points' `lenient` accuracies (label → accuracy by another measure) as open circles, `references`
    (published points) as stars, and the region at most target[0] steps and at least target[1]; `series` names the
    points, `xlabel` the time axis."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    times, accuracies = zip(*points.values())
    ax.plot(times, [100 * a for a in accuracies], "o", color="tab:blue", label=series)
    if lenient:
        ax.plot(times, [100 * lenient[label] for label in points], "o", mfc="none", color="tab:blue",
                label=f"{series}, ties counted as right (S4NN's measure)")
        accuracies = accuracies + tuple(lenient.values())
    for label, (t, a) in points.items():
        ax.annotate(label, (t, 100 * a), fontsize=6, xytext=(3, 3), textcoords="offset points")
    for (label, (t, a)), colour in zip(references.items(), ("tab:red", "tab:green", "tab:purple")):
        ax.plot([t], [100 * a], "*", markersize=12, color=colour, label=label)
    low = min(min(accuracies), *(a for _, a in references.values()), target[1]) * 100 - 0.3
    high = max(max(accuracies), *(a for _, a in references.values()), target[1]) * 100 + 0.3
    ax.fill_between([0, target[0]], 100 * target[1], high, color="tab:green", alpha=0.12,
                    label=f"target: ≥ {100 * target[1]:.1f} % at ≤ {target[0]:g} steps")
    ax.set_xlim(0, max(max(times), *(t for t, _ in references.values())) * 1.15)
    ax.set_ylim(low, high)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title, fontsize=9)
    save_figure(fig, path)


def speech_to_image_columns(columns: list[dict], path: Path, title: str = "") -> None:
    """One column per clip, top to bottom: its spectrogram ("spectrogram" [channels, frames] in [0, 1]), the target
    hidden spike code ("target code" [T_h, N], optional), the code the model produced ("code" [T, N]) and the image
    ("image" [784] in [0, 1]); each column titled by its "label"."""
    rows = [key for key in ("spectrogram", "target code", "code", "image") if any(key in c for c in columns)]
    fig, axes = plt.subplots(len(rows), len(columns), figsize=(1.6 * len(columns), 1.5 * len(rows)), squeeze=False)
    for c, column in enumerate(columns):
        for r, key in enumerate(rows):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            if key not in column:
                ax.axis("off")
                continue
            value = np.asarray(column[key])
            if key == "image":
                ax.imshow(value.reshape(28, 28), cmap="gray")
            else:  # spectrogram: channels × frames; codes: neurons × steps
                ax.imshow(value if key == "spectrogram" else value.T, aspect="auto", origin="lower",
                          cmap="magma" if key == "spectrogram" else "gray_r", interpolation="nearest")
            if c == 0:
                ax.set_ylabel(key, fontsize=8)
        axes[0][c].set_title(str(column.get("label", "")), fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)


def digit_png(image: np.ndarray, path: Path, scale: int = 8) -> None:
    """A 28 × 28 image in [0, 1] as a grey PNG, each pixel `scale` × `scale`."""
    big = np.kron(np.asarray(image, dtype=np.float64).reshape(28, 28), np.ones((scale, scale)))
    atomic_write(path, lambda tmp: plt.imsave(tmp, big, cmap="gray", vmin=0.0, vmax=1.0, format="png"))
