"""Rate-coded LIF spiking autoencoder (Roy, Panda & Roy 2019): 784-H-784, no biases."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from bioaware.core.layers import DenseSpikingLayer
from bioaware.models.functional.lif import LIFParameters, lif_scan, lif_step


class AutoencoderSpikes(NamedTuple):
    hidden_z: torch.Tensor  # hidden spikes [T, B, H]
    out_z: torch.Tensor  # output spikes [T, B, 784]
    out_v: torch.Tensor  # output membrane before reset [T, B, 784], threshold units

    def by_layer(self) -> dict[str, torch.Tensor]:
        """Spikes of every layer, by its name in the exported graph."""
        return {"hidden": self.hidden_z, "reconstruction": self.out_z}


class RoyAutoencoder(nn.Module):
    """Two fully connected LIF layers driven by input spikes; the output membrane is trained."""

    def __init__(self, n_in: int = 784, hidden: int = 196, p: LIFParameters = LIFParameters()):
        super().__init__()
        self.p = p
        self.encoder = nn.Linear(n_in, hidden, bias=False)
        self.decoder = nn.Linear(hidden, n_in, bias=False)

    def forward(self, x: torch.Tensor) -> AutoencoderSpikes:
        """Whole window at once, layer by layer: x is [T, B, 784] spikes (one matmul per layer)."""
        hidden_z, _ = lif_scan(self.encoder(x), self.p)
        out_z, out_v = lif_scan(self.decoder(hidden_z), self.p)
        return AutoencoderSpikes(hidden_z, out_z, out_v)

    def step(self, x_t: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None):
        """One time step for online use: returns (AutoencoderSpikes of that step, new state (v_hidden, v_out))."""
        if state is None:
            state = (x_t.new_zeros(x_t.shape[0], self.encoder.out_features),
                     x_t.new_zeros(x_t.shape[0], self.decoder.out_features))
        hidden_z, _, v_hidden = lif_step(self.encoder(x_t), state[0], self.p)
        out_z, out_v, v_out = lif_step(self.decoder(hidden_z), state[1], self.p)
        return AutoencoderSpikes(hidden_z, out_z, out_v), (v_hidden, v_out)

    def layer_specs(self) -> list[DenseSpikingLayer]:
        """The two layers as framework-free specs (weights as float64 numpy arrays)."""
        return [DenseSpikingLayer(name, layer.weight.detach().double().numpy(), self.p.leak, self.p.v_th)
                for name, layer in (("hidden", self.encoder), ("reconstruction", self.decoder))]

    @classmethod
    def from_layer_specs(cls, layers: list[DenseSpikingLayer], slope: float = 5.0) -> "RoyAutoencoder":
        """Rebuild from two specs (e.g. read from NIR); both layers must share leak and threshold."""
        if len(layers) != 2 or any(layer.tau_syn or layer.readout for layer in layers):
            raise ValueError("RoyAutoencoder needs two LIF/IF layers (no synaptic current, no readout)")
        hidden, output = layers
        if (hidden.leak, hidden.v_th) != (output.leak, output.v_th):
            raise ValueError("RoyAutoencoder needs two layers with one leak and one threshold")
        model = cls(hidden.weight.shape[1], hidden.size, LIFParameters(hidden.leak, hidden.v_th, slope))
        with torch.no_grad():
            model.encoder.weight.copy_(torch.from_numpy(hidden.weight))
            model.decoder.weight.copy_(torch.from_numpy(output.weight))
        return model
