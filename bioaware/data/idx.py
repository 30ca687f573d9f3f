"""Reader for the IDX files of MNIST and Fashion-MNIST (plain or gzip)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from bioaware.core.errors import BioawareError

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def has_idx(folder: Path) -> bool:
    """True when `folder` holds all four IDX files (gzipped or not)."""
    return all(_find(folder, stem) for pair in SPLIT_FILES.values() for stem in pair)


def read_idx(path: Path) -> np.ndarray:
    """One IDX array (uint8 images or labels) from `path`."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise BioawareError(f"{path}: not an unsigned-byte IDX file; re-download it")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if array.size != int(np.prod(shape)):
        raise BioawareError(f"{path}: truncated IDX file ({array.size} of {int(np.prod(shape))} values); "
                            "re-download it")
    return array.reshape(shape)


def read_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 [N, 28, 28], labels uint8 [N]) of `split` ('train' or 'test')."""
    images, labels = (read_idx(_find(folder, stem)) for stem in SPLIT_FILES[split])
    if len(images) != len(labels):
        raise BioawareError(f"{folder}: {split} images and labels differ in length; re-download the dataset")
    return images, labels
