"""The audiocoder (Roy, Panda & Roy 2019, section 3.2): spoken-digit spikes → a frozen autoencoder's hidden spike
code, which the autoencoder's own decoder layer turns into a digit image; and its ANN counterpart."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from bioaware.core.layers import DenseSpikingLayer
from bioaware.models.functional.lif import LIFParameters, lif_scan


class AudioToImageSpikes(NamedTuple):
    audio_z: torch.Tensor  # audiocoder hidden spikes [T, B, H]
    hidden_z: torch.Tensor  # the code: spikes of the autoencoder's hidden size [T, B, 196]
    hidden_v: torch.Tensor  # its membrane before reset [T, B, 196], threshold units
    out_z: torch.Tensor  # the decoder's spikes [T, B, 784]: the image is their sum over time
    out_v: torch.Tensor  # the decoder's membrane before reset [T, B, 784]

    def by_layer(self) -> dict[str, torch.Tensor]:
        """Spikes of every layer, by its name in the exported graph."""
        return {"audio_hidden": self.audio_z, "hidden": self.hidden_z, "reconstruction": self.out_z}


class AudioToImage(nn.Module):
    """Two trained LIF layers (features − H − code) and the frozen decoder layer of the autoencoder (code − 784)."""

    def __init__(self, n_in: int, hidden: int, decoder_weight: torch.Tensor, p: LIFParameters,
                 decoder_p: LIFParameters):
        super().__init__()
        self.p, self.decoder_p = p, decoder_p
        self.audio = nn.Linear(n_in, hidden, bias=False)
        self.code = nn.Linear(hidden, decoder_weight.shape[1], bias=False)
        self.decoder = nn.Linear(decoder_weight.shape[1], decoder_weight.shape[0], bias=False)
        with torch.no_grad():
            self.decoder.weight.copy_(decoder_weight)
        self.decoder.weight.requires_grad_(False)

    def trained_parameters(self) -> list[nn.Parameter]:
        return [self.audio.weight, self.code.weight]

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Input spikes [T, B, F] → (audiocoder hidden spikes, code spikes, code membrane), each [T, B, ·]."""
        audio_z, _ = lif_scan(self.audio(x), self.p)
        hidden_z, hidden_v = lif_scan(self.code(audio_z), self.p)
        return audio_z, hidden_z, hidden_v

    def forward(self, x: torch.Tensor) -> AudioToImageSpikes:
        audio_z, hidden_z, hidden_v = self.encode(x)
        out_z, out_v = lif_scan(self.decoder(hidden_z), self.decoder_p)
        return AudioToImageSpikes(audio_z, hidden_z, hidden_v, out_z, out_v)

    def layer_specs(self) -> list[DenseSpikingLayer]:
        """The three layers, audio to image, as framework-free specs (float64 weights)."""
        return [DenseSpikingLayer(name, layer.weight.detach().double().numpy(), p.leak, p.v_th)
                for name, layer, p in (("audio_hidden", self.audio, self.p), ("hidden", self.code, self.p),
                                       ("reconstruction", self.decoder, self.decoder_p))]


class AnnAudiocoder(nn.Module):
    """features − H (ReLU) − code (sigmoid, in [0, 1]): the ANN baseline, regressing an ANN autoencoder's code."""

    def __init__(self, n_in: int, hidden: int, n_code: int):
        super().__init__()
        self.audio = nn.Linear(n_in, hidden)
        self.code = nn.Linear(hidden, n_code)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.code(torch.relu(self.audio(x))))


def quantise(code: torch.Tensor, levels: int) -> torch.Tensor:
    """Values in [0, 1] rounded to `levels` evenly spaced levels (2^T_h: what T_h binary spikes can carry)."""
    return torch.round(code.clamp(0.0, 1.0) * (levels - 1)) / (levels - 1)
