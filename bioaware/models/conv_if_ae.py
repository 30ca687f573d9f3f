"""Fully convolutional IF spiking autoencoder (Speck-valid): stride-1 convolutions, no leak, no bias.

1×28×28 input spikes → conv (1→c₁) → … → conv (→c_k, the channel bottleneck, layer 'hidden') → … →
conv (→1), every convolution followed by IF neurons (leak 0, reset to 0). The output layer
('reconstruction') is trained on its membrane with the foundation's masked loss, like the LIF
autoencoder; the same pure LIF functions run it (α = 0).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from bioaware.core.layers import ConvGeometry, DenseSpikingLayer
from bioaware.interchange.linear_maps import conv_matrix
from bioaware.models.functional.lif import LIFParameters, lif_scan
from bioaware.models.roy_ae import AutoencoderSpikes

IMAGE = (1, 28, 28)


class ConvIFAutoencoder(nn.Module):
    """`channels` of the hidden convolutions, e.g. (8, 2, 8): the smallest is the bottleneck ('hidden')."""

    def __init__(self, channels: tuple[int, ...] = (8, 2, 8), kernel: int = 3, p: LIFParameters = LIFParameters(0.0)):
        super().__init__()
        if kernel % 2 == 0:
            raise ValueError(f"kernel size must be odd (same-size stride-1 convolutions), got {kernel}")
        self.p, self.kernel = p, kernel
        widths = (IMAGE[0], *channels, IMAGE[0])
        self.convs = nn.ModuleList(nn.Conv2d(a, b, kernel, padding=kernel // 2, bias=False)
                                   for a, b in zip(widths, widths[1:]))
        self.bottleneck = int(np.argmin(channels))  # index of the 'hidden' layer's convolution

    def names(self) -> list[str]:
        return [("hidden" if k == self.bottleneck else "reconstruction" if k == len(self.convs) - 1 else f"conv{k}")
                for k in range(len(self.convs))]

    def forward(self, x: torch.Tensor) -> AutoencoderSpikes:
        """x: [T, B, 784] input spikes; every layer runs over the whole window before the next."""
        steps, batch = x.shape[:2]
        z, hidden_z = x.reshape(steps * batch, *IMAGE), None
        for k, conv in enumerate(self.convs):
            current = conv(z)
            shape = current.shape
            z, v = lif_scan(current.reshape(steps, batch, -1), self.p)
            if k == self.bottleneck:
                hidden_z = z
            z = z.reshape(shape)
        return AutoencoderSpikes(hidden_z, z.reshape(steps, batch, -1), v)

    def layer_specs(self) -> list[DenseSpikingLayer]:
        """One spec per convolution: its sparse [out, in] matrix over flattened (C, H, W) maps, and its geometry."""
        specs, shape = [], IMAGE
        for name, conv in zip(self.names(), self.convs):
            kernel = conv.weight.detach().double().numpy()
            geometry = ConvGeometry(kernel, shape, padding=self.kernel // 2)
            specs.append(DenseSpikingLayer(name, conv_matrix(geometry), self.p.leak, self.p.v_th, conv=geometry))
            shape = (kernel.shape[0], *shape[1:])
        return specs
