"""Cochlear-style spectrograms: a waveform → channels × frames of filterbank energy in [0, 1].

The filterbank is librosa's mel filterbank (triangular bands on the mel scale, as the cochlea's roughly
logarithmic frequency map); the energies are in dB below the clip's loudest bin, clipped at `floor_db` and
scaled to [0, 1], so that a rate encoder can turn each value into a spike probability.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from bioaware.data.spoken_digits import SAMPLE_RATE


@dataclass(frozen=True)
class Filterbank:
    """`channels` mel bands up to the Nyquist frequency, `frames` frames over a clip cropped or zero-padded to
    `seconds` (s); `floor_db`: the dynamic range kept below the loudest bin (dB)."""

    channels: int = 39
    frames: int = 64
    seconds: float = 1.0
    floor_db: float = 60.0

    @property
    def hop(self) -> int:
        """Samples between frames."""
        return max(1, int(round(self.seconds * SAMPLE_RATE / self.frames)))

    @property
    def size(self) -> int:
        return self.channels * self.frames

    def fixed_length(self, waveform: np.ndarray) -> np.ndarray:
        """The first `seconds` of the clip, zero-padded at the end when shorter."""
        n = int(round(self.seconds * SAMPLE_RATE))
        return np.pad(waveform[:n], (0, max(0, n - len(waveform))))

    @property
    def n_fft(self) -> int:
        return max(256, 2 * self.hop)

    @functools.cached_property
    def bands(self) -> np.ndarray:
        """The mel filterbank [channels, n_fft // 2 + 1] (librosa's, Slaney-normalised)."""
        import librosa

        return librosa.filters.mel(sr=SAMPLE_RATE, n_fft=self.n_fft, n_mels=self.channels, fmax=SAMPLE_RATE / 2)

    def spectrogram(self, waveform: np.ndarray) -> np.ndarray:
        """[channels, frames] float32 in [0, 1]: mel energy in dB relative to the clip's maximum, floored."""
        import librosa

        spectrum = np.abs(librosa.stft(self.fixed_length(waveform).astype(np.float32), n_fft=self.n_fft,
                                       hop_length=self.hop)) ** 2
        power = (self.bands @ spectrum)[:, :self.frames]
        db = librosa.power_to_db(power, ref=max(float(power.max()), 1e-10), top_db=self.floor_db)
        return ((db + self.floor_db) / self.floor_db).clip(0.0, 1.0).astype(np.float32)

    def features(self, waveforms: list[np.ndarray]) -> np.ndarray:
        """[clips, channels · frames]: each clip's spectrogram, flattened channel-major."""
        return np.stack([self.spectrogram(w).reshape(-1) for w in waveforms]) if waveforms \
            else np.zeros((0, self.size), np.float32)
