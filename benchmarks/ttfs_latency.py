"""Accuracy against decision time for a trained TTFS classifier run at lower thresholds than it was trained
with: every (hidden θ, output θ) pair in the grid, through the run's own forward pass and decision rule, on the
run's test images. Lower thresholds make the neurons fire on fewer input spikes, so decisions come sooner; the
table and a figure (accuracy against decision time, beside the papers' points and the project's target) show
what each step of latency costs in accuracy (the trained operating point is the first row).

    python benchmarks/ttfs_latency.py runs/ttfs_classifier_mnist --hidden 100 95 90 --output 100 80 60
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bioaware.evaluation.ttfs_accuracy import accuracy_table, latency_figure


def main() -> None:
    from bioaware.core.config import DataSection
    from bioaware.data.datasets import load_images
    from bioaware.families.export import load_trained

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path,
                    help="trained TTFS classifier run (bioaware train runs/ttfs_classifier_mnist.toml)")
    ap.add_argument("--hidden", type=float, nargs="+", default=[100.0, 95.0, 90.0], help="hidden-layer thresholds")
    ap.add_argument("--output", type=float, nargs="+", default=[100.0, 80.0, 60.0], help="output-layer thresholds")
    ap.add_argument("--figure", type=Path,
                    help="accuracy against decision time, PNG (default: RUN/figures/latency_accuracy.png)")
    args = ap.parse_args()

    task, config = load_trained(args.run)
    if config["model"]["kind"] != "ttfs_classifier":
        raise SystemExit(f"{args.run}: a {config['model']['kind']} run; this compares TTFS classifiers")
    data = load_images(DataSection(**config["data"]))
    trained = list(task.model.thresholds)
    results = {f"trained, θ {trained[0]:g} / {trained[1]:g}": task.test_metrics(data, 500, 0, None)}
    for hidden in args.hidden:
        for output in args.output:
            if [hidden, output] != trained:
                task.model.thresholds = [hidden, output]
                results[f"θ {hidden:g} / {output:g}"] = task.test_metrics(data, 500, 0, None)
    print(accuracy_table(results))
    figure = args.figure or args.run / "figures" / "latency_accuracy.png"
    latency_figure({k.replace("trained, ", ""): r for k, r in results.items()}, figure,
                   f"{args.run.name}: hidden / output θ at test time")
    print(f"figure: {figure}")


if __name__ == "__main__":
    main()
