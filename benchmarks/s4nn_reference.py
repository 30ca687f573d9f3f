"""A trained TTFS classifier next to S4NN's own published 784-400-10 weights, both through bioaware's
forward pass and decision rule on the same MNIST test images (accuracy, decision time, spikes).

S4NN's weights (`weights_pretrained.npy` in github.com/SRKH/S4NN) are a pickle of two CuPy arrays with
its classes in the order 4 1 0 7 9 2 3 5 8 6; they load here without CuPy.

    python benchmarks/s4nn_reference.py runs/ttfs_classifier_mnist --s4nn weights_pretrained.npy
"""

from __future__ import annotations

import argparse
import pickle
import sys
import types
from pathlib import Path

import numpy as np
import torch

from bioaware.train.ttfs_classifier import accuracy_table, decide, summarise

S4NN_CLASS_ORDER = [4, 1, 0, 7, 9, 2, 3, 5, 8, 6]  # S4NN's output neuron k stands for digit S4NN_CLASS_ORDER[k]


def load_s4nn_weights(path: Path) -> list[torch.Tensor]:
    """S4NN's pickled CuPy weights → [hidden 400×784, output 10×400] float64, output rows in digit order 0…9."""
    for name in ("cupy", "cupy.core", "cupy.core.core"):  # the pickle rebuilds arrays through cupy.core.core.array
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["cupy.core.core"].array = lambda a, *_: np.asarray(a)
    try:
        hidden, output = np.load(path, allow_pickle=True)
    except (OSError, ValueError, pickle.UnpicklingError) as e:
        raise SystemExit(f"{path}: not S4NN's weights file ({e}); download weights_pretrained.npy from github.com/SRKH/S4NN")
    output = np.asarray(output).reshape(10, -1)[np.argsort(S4NN_CLASS_ORDER)]
    return [torch.tensor(np.asarray(hidden).reshape(len(hidden), -1)), torch.tensor(output)]


def main() -> None:
    from bioaware.config import DataSection
    from bioaware.data.datasets import load_images
    from bioaware.interchange.export import load_trained
    from bioaware.models.ttfs_net import TTFSNetwork

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path, help="trained TTFS classifier run (bioaware train runs/ttfs_classifier_mnist.toml)")
    ap.add_argument("--s4nn", type=Path, required=True, help="S4NN's weights_pretrained.npy")
    args = ap.parse_args()

    task, config = load_trained(args.run)
    data = load_images(DataSection(**config["data"]))
    reference = TTFSNetwork([784, 400, 10], [100.0, 100.0], [5.0, 48.0], task.tt.steps).double()
    with torch.no_grad():
        for w, loaded in zip(reference.weights, load_s4nn_weights(args.s4nn)):
            w.copy_(loaded)
    results = {"bioaware (this run)": task.test_metrics(data, 500, 0, None)}
    with torch.no_grad():
        in_times = task.encode(data.test_x).double()
        hidden, output = reference(in_times)
        results["S4NN's published weights"] = summarise(decide(in_times, hidden, output, reference.weights[1], task.tt.steps),
                                                        data.test_y, task.tt.steps)
    print(accuracy_table(results))
    ours, theirs = (r["accuracy"] for r in results.values())
    print(f"\naccuracy ratio bioaware / S4NN weights: {ours / theirs:.4f} on {len(data.test_y)} test images")


if __name__ == "__main__":
    main()
