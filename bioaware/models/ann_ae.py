"""Same-size ANN autoencoder baseline: ReLU (or sigmoid) hidden layer, sigmoid output in [0, 1]."""

from __future__ import annotations

import torch
from torch import nn


class AnnAutoencoder(nn.Module):
    def __init__(self, n_in: int = 784, hidden: int = 196, activation: str = "relu"):
        super().__init__()
        self.encoder = nn.Linear(n_in, hidden)
        self.decoder = nn.Linear(hidden, n_in)
        self.activation = {"relu": torch.relu, "sigmoid": torch.sigmoid}[activation]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images [B, 784] in [0, 1] → reconstructions [B, 784] in [0, 1]."""
        return torch.sigmoid(self.decoder(self.activation(self.encoder(x))))
