"""A small independent CNN used only to judge generated images (MNIST digits or Fashion-MNIST items), trained
once and cached in a run dir."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from bioaware.core.log import info
from bioaware.evaluation.fitting import cached_model, fit, load_cached

CACHE_NAME = "quality_classifier.pt"


class DigitClassifier(nn.Module):
    """conv(32)-pool-conv(64)-pool-fc(128)-fc(10) on 28×28 images in [0, 1]; `features` is the 128-d layer."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU())
        self.head = nn.Linear(128, 10)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer features [N, 128] of flattened images [N, 784]."""
        return self.body(images.reshape(-1, 1, 28, 28))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def train_digit_classifier(train_x: torch.Tensor, train_y: torch.Tensor, epochs: int = 2, seed: int = 0,
                           batch_size: int = 128) -> DigitClassifier:
    """Adam 1e-3, `epochs` passes over the given labelled images."""
    torch.manual_seed(seed)
    model = DigitClassifier()
    return fit(model, lambda index: nn.functional.cross_entropy(model(train_x[index]), train_y[index]),
               len(train_x), epochs, seed, "quality classifier", batch_size)


@torch.no_grad()
def batched(fn, x: torch.Tensor, size: int = 1000) -> torch.Tensor:
    """fn applied to `x` in chunks of `size` rows, concatenated."""
    return torch.cat([fn(x[k:k + size]) for k in range(0, len(x), size)])


def accuracy(model: DigitClassifier, x: torch.Tensor, y: torch.Tensor) -> float:
    return float(batched(lambda chunk: model(chunk).argmax(1), x).eq(y).float().mean())


def saved_digit_classifier(run_path: Path) -> DigitClassifier | None:
    """The run's judging classifier as its test metrics left it in `run_path`, or None when there is none yet."""
    path = Path(run_path) / CACHE_NAME
    return load_cached(path, DigitClassifier())[0] if path.is_file() else None


def cached_digit_classifier(run_path: Path, data, seed: int = 0) -> tuple[DigitClassifier, float]:
    """The run's judging classifier and its test accuracy: loaded from `run_path/quality_classifier.pt`,
    or trained on `data`'s training images (all ten classes; MNIST or Fashion-MNIST) and saved there first."""

    def train():
        model = train_digit_classifier(data.train_x, data.train_y, seed=seed)
        test_accuracy = accuracy(model, data.test_x, data.test_y)
        info(f"quality classifier: test accuracy {test_accuracy:.4f}")
        return model, {"test_accuracy": test_accuracy}

    model, scores = cached_model(Path(run_path) / CACHE_NAME, DigitClassifier(), train,
                                 "the independent classifier that judges samples")
    return model, float(scores["test_accuracy"])
