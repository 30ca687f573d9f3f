"""Same-size ANN autoencoder baseline: sigmoid hidden layer, sigmoid output in [0, 1]."""

from __future__ import annotations

import torch
from torch import nn


class AnnAutoencoder(nn.Module):
    def __init__(self, n_in: int = 784, hidden: int = 196):
        super().__init__()
        self.encoder = nn.Linear(n_in, hidden)
        self.decoder = nn.Linear(hidden, n_in)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images [B, 784] in [0, 1] → reconstructions [B, 784] in [0, 1]."""
        return torch.sigmoid(self.decoder(torch.sigmoid(self.encoder(x))))
