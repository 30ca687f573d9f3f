"""Spoken digits as waveforms: the Free Spoken Digit Dataset's layout, and generated tone digits in the same layout.

FSDD (CC BY-SA 4.0, https://github.com/Jakobovski/free-spoken-digit-dataset) keeps one mono 8 kHz wav file per
clip in `recordings/{digit}_{speaker}_{index}.wav`. The generated tone digits are not speech: each digit is three
harmonic tones of its own pitches, and each "speaker" shifts the pitch, stretches the timing and adds noise, so
that the whole audio → image chain runs offline on clips that are honestly synthetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bioaware.core.errors import BioawareError

SAMPLE_RATE = 8000  # Hz, FSDD's rate
CLIP_NAME = re.compile(r"^(\d)_([A-Za-z0-9-]+)_(\d+)\.wav$")
FSDD_HINT = ("get the Free Spoken Digit Dataset with "
             "`git clone https://github.com/Jakobovski/free-spoken-digit-dataset` (or its release archive) and set "
             "data.root to the folder that holds recordings/")
TONE_SPEAKERS = {"alto": (1.0, 1.0), "bass": (0.92, 1.15), "tenor": (0.96, 0.9), "soprano": (1.08, 0.85)}
# (pitch factor, duration factor) per generated speaker


@dataclass
class Clip:
    """One recording: its waveform (float32 in [−1, 1] at `SAMPLE_RATE`), spoken digit, speaker and file."""

    waveform: np.ndarray
    digit: int
    speaker: str
    path: Path


def read_wav(path: Path) -> np.ndarray:
    """A mono wav file as float32 in [−1, 1] at `SAMPLE_RATE` (resampled by librosa when it has another rate)."""
    from scipy.io import wavfile

    try:
        rate, data = wavfile.read(path)
    except (ValueError, OSError) as exc:
        raise BioawareError(f"{path}: not a readable wav file ({exc}); replace or remove it") from None
    if data.ndim == 2:
        data = data.mean(1)
    if data.dtype == np.uint8:  # 8-bit wav is unsigned, centred on 128
        data = (data.astype(np.float32) - 128.0) / 128.0
    elif np.issubdtype(data.dtype, np.integer):
        data = data.astype(np.float32) / float(np.iinfo(data.dtype).max + 1)
    data = np.asarray(data, dtype=np.float32)
    if rate != SAMPLE_RATE:
        import librosa

        data = librosa.resample(data, orig_sr=rate, target_sr=SAMPLE_RATE)
    return data


def read_recordings(root: Path) -> list[Clip]:
    """Every `{digit}_{speaker}_{index}.wav` in `root/recordings` (or in `root` itself), sorted by name."""
    root = Path(root).expanduser()
    folder = root / "recordings" if (root / "recordings").is_dir() else root
    if not folder.is_dir():
        raise BioawareError(f"data.root '{root}' does not exist; {FSDD_HINT}")
    files = sorted(p for p in folder.iterdir() if CLIP_NAME.match(p.name))
    if not files:
        raise BioawareError(f"data.root '{root}' holds no {{digit}}_{{speaker}}_{{index}}.wav recordings; {FSDD_HINT}")
    clips = []
    for path in files:
        digit, speaker, _ = CLIP_NAME.match(path.name).groups()
        clips.append(Clip(read_wav(path), int(digit), speaker, path))
    return clips


def tone_digit(digit: int, pitch: float, stretch: float, rng: np.random.Generator) -> np.ndarray:
    """A synthetic spoken digit (float32, `SAMPLE_RATE`): three harmonic tones whose pitches are the digit's own
    (a quarter-octave scale from 250 Hz), scaled by the speaker's `pitch` (less than a quarter octave), each about
    0.15 s·`stretch` long, with jitter and background noise."""
    tones = []
    for k in range(3):
        f0 = 250.0 * 2.0 ** (((3 * digit + 7 * k) % 11) / 4.0) * pitch * rng.uniform(0.97, 1.03)
        seconds = 0.15 * stretch * rng.uniform(0.85, 1.15)
        t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
        wave = sum(np.sin(2 * np.pi * f0 * h * t) / h for h in (1, 2, 3) if f0 * h < SAMPLE_RATE / 2)
        tones.append(wave * np.hanning(len(t)))
    lead = np.zeros(int(rng.uniform(0.0, 0.1) * SAMPLE_RATE))
    clip = np.concatenate([lead] + tones)
    clip = 0.5 * clip / np.abs(clip).max() + 0.02 * rng.standard_normal(len(clip))
    return np.clip(clip, -1.0, 1.0).astype(np.float32)


def write_tone_digits(folder: Path, clips_per_digit: int = 5, speakers: tuple[str, ...] = tuple(TONE_SPEAKERS),
                      seed: int = 0) -> Path:
    """Write generated tone digits in FSDD's layout (`folder/recordings/{digit}_{speaker}_{index}.wav`, 16-bit
    PCM at 8 kHz): `clips_per_digit` clips of each digit by each speaker. Returns `folder`."""
    from scipy.io import wavfile

    recordings = Path(folder) / "recordings"
    recordings.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for speaker in speakers:
        pitch, stretch = TONE_SPEAKERS[speaker]
        for digit in range(10):
            for index in range(clips_per_digit):
                wave = tone_digit(digit, pitch, stretch, rng)
                path = recordings / f"{digit}_{speaker}_{index}.wav"
                tmp = path.with_suffix(".tmp")
                wavfile.write(tmp, SAMPLE_RATE, (wave * 32767).astype(np.int16))
                tmp.replace(path)
    return Path(folder)
