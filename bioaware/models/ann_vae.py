"""The FSVAE's ANN baseline: the same convolutional encoder and decoder with batch norm and ReLU, a Gaussian
latent of the same width (reparameterised), and a tanh image in [−1, 1]."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn


class AnnVAEOutput(NamedTuple):
    image: torch.Tensor  # [B, 1, 32, 32] in [−1, 1]
    mean: torch.Tensor  # [B, C]
    log_var: torch.Tensor  # [B, C]


def _block(layer: nn.Module, channels: int) -> nn.Sequential:
    return nn.Sequential(layer, nn.BatchNorm2d(channels), nn.ReLU())


class AnnVAE(nn.Module):
    def __init__(self, channels: tuple[int, ...] = (32, 64, 128, 256), latent: int = 128, in_channels: int = 1,
                 size: int = 32):
        super().__init__()
        widths, back = (in_channels, *channels), channels[::-1]
        self.side, self.latent = size // 2 ** len(channels), latent
        flat = channels[-1] * self.side ** 2
        self.encoder = nn.Sequential(*(_block(nn.Conv2d(a, b, 3, 2, 1, bias=False), b)
                                       for a, b in zip(widths[:-1], widths[1:])), nn.Flatten())
        self.to_latent = nn.Linear(flat, 2 * latent)
        self.from_latent = nn.Sequential(nn.Linear(latent, flat), nn.ReLU())
        self.decoder = nn.Sequential(*(_block(nn.ConvTranspose2d(a, b, 3, 2, 1, output_padding=1, bias=False), b)
                                       for a, b in zip(back, (*back[1:], back[-1]))),
                                     nn.Conv2d(back[-1], in_channels, 3, 1, 1), nn.Tanh())

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.from_latent(z).reshape(len(z), -1, self.side, self.side))

    def forward(self, images: torch.Tensor, generator: torch.Generator | None = None) -> AnnVAEOutput:
        mean, log_var = self.to_latent(self.encoder(images)).chunk(2, dim=1)
        noise = torch.randn(mean.shape, generator=generator).to(mean.device)
        return AnnVAEOutput(self.decode(mean + noise * (0.5 * log_var).exp()), mean, log_var)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        device = self.to_latent.weight.device
        return self.decode(torch.randn(n, self.latent, generator=generator).to(device))
