"""Temporal-coding spiking autoencoder (Comşa et al. 2022): alpha-PSP neurons that spike at most once,
784-H-784, with learnable synchronisation pulses feeding every non-input layer.

A pixel's value is its spike time; output pixel i should spike at latency + tᵢ. Spike times come from
the closed form of `functional.alpha_spike` with exact gradients; times are in the model's time unit.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from bioaware.models.functional.alpha_spike import alpha_spike_times


class AlphaParameters(NamedTuple):
    decay: float = 1.0  # K, 1/time unit: PSP kernel (t − tᵢ)·e^{−K(t − tᵢ)}
    v_th: float = 1.0  # threshold θ
    no_spike: float = 1000.0  # surrogate time of a neuron that never spikes
    clip: float = 100.0  # clip of every spike-time derivative
    penalty: float = 1e-3  # weight-gradient push on silent neurons


class TemporalSpikes(NamedTuple):
    hidden: torch.Tensor  # hidden spike times [B, H]
    output: torch.Tensor  # output spike times [B, 784]


class AlphaLayer(nn.Module):
    """Fully connected alpha neurons; inputs are the previous layer's spike times plus `pulses` learnable times.

    `weight` is [out, in + pulses] (pulse columns last). Modified Glorot initialisation: normal with
    σ = √(2 / (fan_in + fan_out)) and mean = multiplier·σ, separately for regular and pulse weights.
    Pulse times start evenly spread over [0, `pulse_span`] (the input interval is [0, 1]).
    """

    def __init__(self, n_in: int, n_out: int, pulses: int, p: AlphaParameters,
                 weight_mean: float = 0.0, pulse_weight_mean: float = 0.0, pulse_span: float = 1.0):
        super().__init__()
        self.p, self.n_in = p, n_in
        sigma = math.sqrt(2.0 / (n_in + pulses + n_out))
        weight = torch.randn(n_out, n_in + pulses) * sigma
        weight[:, :n_in] += weight_mean * sigma
        weight[:, n_in:] += pulse_weight_mean * sigma
        self.weight = nn.Parameter(weight)
        self.pulse_times = nn.Parameter(torch.linspace(0.0, pulse_span, pulses) if pulses > 1 else torch.zeros(pulses))

    def inputs(self, times: torch.Tensor) -> torch.Tensor:
        """Input spike times [B, in] joined by the pulse times → [B, in + pulses]."""
        return torch.cat([times, self.pulse_times.expand(times.shape[0], -1)], dim=1)

    def forward(self, times: torch.Tensor) -> torch.Tensor:
        p = self.p
        return alpha_spike_times(self.inputs(times), self.weight, p.decay, p.v_th, p.no_spike, p.clip, p.penalty)


class ComsaAutoencoder(nn.Module):
    """784 → H → 784 alpha neurons; `forward` maps input spike times to hidden and output spike times."""

    def __init__(self, n_in: int = 784, hidden: int = 32, pulses: int = 10, p: AlphaParameters = AlphaParameters(),
                 weight_mean: float = 0.0, pulse_weight_mean: float = 0.0, output_pulse_span: float = 1.0):
        super().__init__()
        self.p = p
        self.encoder = AlphaLayer(n_in, hidden, pulses, p, weight_mean, pulse_weight_mean)
        self.decoder = AlphaLayer(hidden, n_in, pulses, p, weight_mean, pulse_weight_mean, output_pulse_span)

    def forward(self, times: torch.Tensor) -> TemporalSpikes:
        hidden = self.encoder(times)
        return TemporalSpikes(hidden, self.decoder(hidden))

    def pulse_parameters(self) -> list[nn.Parameter]:
        return [self.encoder.pulse_times, self.decoder.pulse_times]

    def weight_parameters(self) -> list[nn.Parameter]:
        return [self.encoder.weight, self.decoder.weight]

    def layer_specs(self) -> list:
        """Both layers as framework-free specs ('hidden', 'reconstruction'; float64 numpy arrays)."""
        from bioaware.interchange.temporal_nir import AlphaLayerSpec

        specs = []
        for name, layer in (("hidden", self.encoder), ("reconstruction", self.decoder)):
            w = layer.weight.detach().double().numpy()
            specs.append(AlphaLayerSpec(name, w[:, :layer.n_in], w[:, layer.n_in:],
                                        layer.pulse_times.detach().double().numpy(), self.p.decay, self.p.v_th))
        return specs
