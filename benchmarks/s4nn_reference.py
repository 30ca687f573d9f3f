"""A trained TTFS classifier next to S4NN's own published 784-400-10 weights, both through bioaware's
forward pass and decision rule on the same MNIST test images (accuracy, decision time, spikes).

S4NN's weights (`weights_pretrained.npy` in github.com/SRKH/S4NN) are a pickle of two CuPy arrays with
its classes in the order 4 1 0 7 9 2 3 5 8 6; they load here without CuPy.

    python benchmarks/s4nn_reference.py runs/ttfs_classifier_mnist --s4nn weights_pretrained.npy
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
import numpy.lib.format as npy_format
import torch

from bioaware.evaluation.ttfs_accuracy import accuracy_table

S4NN_CLASS_ORDER = [4, 1, 0, 7, 9, 2, 3, 5, 8, 6]  # S4NN's output neuron k stands for digit S4NN_CLASS_ORDER[k]
S4NN_THRESHOLDS = (100.0, 100.0)  # hidden, output


class _CupyFreeUnpickler(pickle.Unpickler):
    """Unpickles arrays saved from CuPy as numpy arrays (their pickle rebuilds them through cupy.core.core.array)."""

    def find_class(self, module: str, name: str):
        if module.startswith("cupy"):
            return lambda a, *_: np.asarray(a)
        return super().find_class(module, name)


def load_s4nn_weights(path: Path) -> list[torch.Tensor]:
    """S4NN's pickled CuPy weights → [hidden 400×784, output 10×400] float64, output rows in digit order 0…9."""
    try:
        with open(path, "rb") as f:
            if npy_format.read_magic(f) == (1, 0):
                npy_format.read_array_header_1_0(f)
            else:
                npy_format.read_array_header_2_0(f)
            hidden, output = _CupyFreeUnpickler(f).load()
    except (OSError, ValueError, pickle.UnpicklingError) as e:
        raise SystemExit(f"{path}: not S4NN's weights file ({e}); "
                         "download weights_pretrained.npy from github.com/SRKH/S4NN")
    output = np.asarray(output).reshape(10, -1)[np.argsort(S4NN_CLASS_ORDER)]
    return [torch.tensor(np.asarray(hidden).reshape(len(hidden), -1)), torch.tensor(output)]


def main() -> None:
    from bioaware.core.config import DataSection
    from bioaware.data.datasets import load_images
    from bioaware.families.export import load_trained

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path,
                    help="trained TTFS classifier run (bioaware train runs/ttfs_classifier_mnist.toml)")
    ap.add_argument("--s4nn", type=Path, required=True, help="S4NN's weights_pretrained.npy")
    args = ap.parse_args()

    task, config = load_trained(args.run)
    data = load_images(DataSection(**config["data"]))
    weights = load_s4nn_weights(args.s4nn)
    if [tuple(w.shape) for w in weights] != [tuple(w.shape) for w in task.model.weights]:
        raise SystemExit(f"{args.run}: a 784-{task.model.weights[0].shape[0]}-10 run; S4NN's weights are 784-400-10")
    results = {"bioaware (this run)": task.test_metrics(data, 500, 0, None)}
    # the same task, decision rule and batching with S4NN's weights (float64, as S4NN computes) and thresholds
    task.model.double()
    task.model.thresholds = list(S4NN_THRESHOLDS)
    with torch.no_grad():
        for w, loaded in zip(task.model.weights, weights):
            w.copy_(loaded)
    results["S4NN's published weights"] = task.test_metrics(data, 500, 0, None)
    print(accuracy_table(results))
    ours, theirs = (r["accuracy"] for r in results.values())
    print(f"\naccuracy ratio bioaware / S4NN weights: {ours / theirs:.4f} on {len(data.test_y)} test images")


if __name__ == "__main__":
    main()
