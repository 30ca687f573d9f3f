"""Spoken-digit clips paired with digit images: the audio → image task's data (features, labels, paired images),
split at random or by held-out speaker.

Dataset A pairs every clip with one fixed image of its digit; dataset B with a random training image of its digit
(Roy et al. 2019, section 3.2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from bioaware.core.config import AudioSection, DataSection
from bioaware.core.errors import BioawareError
from bioaware.core.log import info
from bioaware.data.audio_features import Filterbank
from bioaware.data.datasets import ImageData, load_images
from bioaware.data.spoken_digits import Clip, read_recordings, write_tone_digits


@dataclass
class AudioImageData:
    """Clip features [N, channels · frames] in [0, 1] (`train_x`, `test_x`), spoken digits (`train_y`, `test_y`), the
    image paired with each clip ([N, 784] in [0, 1]), speakers and files, and the image set the pairs came from."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    train_images: torch.Tensor
    test_images: torch.Tensor
    images: ImageData
    source: str
    filterbank: Filterbank
    train_speakers: list = field(default_factory=list)
    test_speakers: list = field(default_factory=list)
    test_paths: list = field(default_factory=list)
    shape: tuple = (1, 28, 28)


def filterbank(audio: AudioSection) -> Filterbank:
    return Filterbank(audio.channels, audio.frames, audio.seconds)


def split_clips(clips: list[Clip], split: str, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, test indices): `random` holds out `test_fraction` of the clips at random (seeded);
    `speaker:<name>` holds out every clip of that speaker."""
    if split == "random":
        order = np.random.default_rng(seed).permutation(len(clips))
        n_test = max(1, int(round(test_fraction * len(clips))))
        return np.sort(order[n_test:]), np.sort(order[:n_test])
    speaker = split.split(":", 1)[1]
    speakers = sorted({c.speaker for c in clips})
    if speaker not in speakers:
        raise BioawareError(f"audio.split = {split!r}: no clips of speaker {speaker!r}; the speakers are "
                            f"{', '.join(speakers)}")
    held = np.array([c.speaker == speaker for c in clips])
    return np.flatnonzero(~held), np.flatnonzero(held)


def pair_images(labels: np.ndarray, images: ImageData, pairing: str, rng: np.random.Generator) -> np.ndarray:
    """An index into `images.train_x` per label: `fixed`, the same image for every clip of a digit (one image per
    digit, drawn once); `random`, an image of the clip's digit drawn for each clip."""
    pools = {d: np.flatnonzero(images.train_y.numpy() == d) for d in range(10)}
    missing = [d for d in set(labels.tolist()) if not len(pools[d])]
    if missing:
        raise BioawareError(f"{images.source}: no training image of digit(s) {missing} to pair with the clips")
    if pairing == "fixed":
        chosen = {d: int(rng.choice(pool)) for d, pool in pools.items() if len(pool)}
        return np.array([chosen[int(d)] for d in labels], dtype=np.int64)
    return np.array([int(rng.choice(pools[int(d)])) for d in labels], dtype=np.int64)


def clips_root(data: DataSection, audio: AudioSection, seed: int) -> Path:
    """The folder of the recordings: data.root for fsdd (or, when it holds none, an offline copy:
    `$BIOAWARE_OFFLINE_DATA/fsdd` or `../shared/data/fsdd`); for tone_digits, data.root/tone_digits, generated
    there first when missing."""
    root = Path(data.root).expanduser()
    if data.dataset == "tone_digits":
        folder = root / "tone_digits"
        marker = folder / f"generated-{audio.tone_clips}-seed{seed}"
        if not marker.is_file():
            info(f"writing generated tone digits to {folder} ({audio.tone_clips} clips per digit and speaker)")
            write_tone_digits(folder, audio.tone_clips, seed=seed)
            marker.write_text("tone digits written by bioaware.data.spoken_digits.write_tone_digits\n")
        return folder
    if not (root / "recordings").is_dir():
        for base in (os.environ.get("BIOAWARE_OFFLINE_DATA"), Path.cwd().parent / "shared" / "data"):
            if base and (Path(base) / "fsdd" / "recordings").is_dir():
                info(f"data.root '{root}' has no recordings/; using the offline copy in {Path(base) / 'fsdd'}")
                return Path(base) / "fsdd"
    return root


def load_audio_pairs(data: DataSection, audio: AudioSection, seed: int) -> AudioImageData:
    """Clips → features, split, each paired with an image of its digit (seeded), limited by data.train_limit and
    data.test_limit."""
    root = clips_root(data, audio, seed)
    clips = read_recordings(root)
    images = load_images(DataSection(dataset=audio.images))
    train, test = split_clips(clips, audio.split, audio.test_fraction, seed)
    if data.train_limit:
        train = train[:data.train_limit]
    if data.test_limit:
        test = test[:data.test_limit]
    bank = filterbank(audio)
    features = torch.from_numpy(bank.features([c.waveform for c in clips]))
    labels = np.array([c.digit for c in clips])
    paired = images.train_x[pair_images(labels, images, audio.pairing, np.random.default_rng(seed + 11))]
    what = "generated tone digits" if data.dataset == "tone_digits" else "spoken digits"
    source = f"{len(clips)} {what} in {root}, split {audio.split}, pairing {audio.pairing} with {images.source}"
    info(f"data: {source} ({len(train)} train, {len(test)} test clips)")
    tensor = torch.from_numpy
    return AudioImageData(
        features[train], tensor(labels[train]), features[test], tensor(labels[test]), paired[train], paired[test],
        images, source, bank, [clips[i].speaker for i in train], [clips[i].speaker for i in test],
        [clips[i].path for i in test])
