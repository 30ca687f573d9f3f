"""The Fully Spiking VAE (Kamata, Mukuta & Harada 2022): convolutional LIF encoder, autoregressive Bernoulli
latent spikes (posterior and prior spiking MLPs), transposed-convolution LIF decoder with a membrane readout.

Images enter as 32×32 in [−1, 1], the same analog image at each of T steps. Feed-forward layers compute their
input for the whole window in one convolution or matmul (the first one once per image), then tdBN and the LIF
neuron in one pass on the CPU; the latent sampler runs step by step (z[t] depends on z[t−1]).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from bioaware.models.functional.fsvae import (bernoulli_pick, firing_probability, lif_multiplicative_reset, lif_step,
                                              readout_weights)
from bioaware.models.functional.normalized_scan import batch_statistics, normalized_lif


SCHEDULED_FROM = 5  # scheduled sampling replaces the prior's teacher-forced inputs only after this many steps


class FSVAEParameters(NamedTuple):
    steps: int = 16  # T
    latent: int = 128  # C, latent channels
    k: int = 20  # Bernoulli outputs per latent channel
    tau: float = 0.25  # membrane kept per step
    v_th: float = 0.2  # threshold
    readout_decay: float = 0.8  # weight decay^(T−1−t) of step t in the output image
    surrogate_centre: float = 0.0  # membrane value at the middle of the rectangular surrogate (width 1)


class TDBatchNorm(nn.BatchNorm2d):
    """Threshold-dependent batch norm (Zheng et al. 2021): statistics over batch, space and time; the normalised
    current times α·V_th, then times the learned γ (initially 1), plus the learned β. The fixed factor α·V_th
    (`gain`) stays outside γ, as in the authors' code, so that an optimiser step on γ is relative to it."""

    def __init__(self, channels: int, v_th: float, alpha: float = 1.0):
        super().__init__(channels)
        self.register_buffer("gain", torch.tensor(alpha * v_th))

    @property
    def scale(self) -> torch.Tensor:
        """α·V_th·γ per channel: what multiplies the normalised current."""
        return self.gain * self.weight

    def _count_batch(self) -> float:
        """Count a training batch; the momentum of the running statistics for it (BatchNorm2d's rule)."""
        self.num_batches_tracked.add_(1)
        return self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [T, B, C, …]
        steps, batch = x.shape[:2]
        flat = x.flatten(0, 1) if x.dim() == 5 else x.reshape(steps * batch, x.shape[2], 1, 1)
        momentum = self._count_batch() if self.training else 0.0
        return F.batch_norm(flat, self.running_mean, self.running_var, self.scale, self.bias, self.training,
                            momentum, self.eps).reshape(x.shape)

    def statistics(self, currents: torch.Tensor, repeats: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, 1/σ) per channel of currents [T, B, C, S], each counted `repeats` times: in training the batch's
        own (the running statistics updated as BatchNorm2d updates them), in evaluation the running ones."""
        if not self.training:
            return self.running_mean, torch.rsqrt(self.running_var + self.eps)
        mean, var = batch_statistics(currents)
        with torch.no_grad():
            momentum = self._count_batch()
            n = repeats * currents.numel() // currents.shape[2]
            self.running_mean.mul_(1 - momentum).add_(mean, alpha=momentum)
            self.running_var.mul_(1 - momentum).add_(var * n / (n - 1), alpha=momentum)
        return mean, torch.rsqrt(var + self.eps)


def normalized_spikes(currents: torch.Tensor, norm: TDBatchNorm, steps: int, p: FSVAEParameters) -> torch.Tensor:
    """Spikes [steps, B, C, …] of tdBN → LIF on currents [T_c, B, C, …] (T_c = 1: the same at every step). On the
    CPU one fused pass (`normalized_lif`); elsewhere tdBN, then the LIF scan, as torch operations."""
    if currents.device.type != "cpu":
        return lif_multiplicative_reset(norm(currents.expand(steps, *currents.shape[1:])), p.tau, p.v_th,
                                        centre=p.surrogate_centre)
    flat = currents.reshape(*currents.shape[:3], -1)
    mean, invstd = norm.statistics(flat, steps // flat.shape[0])
    spikes = normalized_lif(flat, norm.scale, norm.bias, mean, invstd, steps, p.tau, p.v_th,
                            centre=p.surrogate_centre, batch_stats=norm.training)
    return spikes.reshape(steps, *currents.shape[1:])


class SpikingLayer(nn.Module):
    """A layer (conv, transposed conv or linear) → tdBN (scale α·V_th) → LIF: over the whole window at once, or
    one step at a time (`step`; in training the step's batch gives the statistics)."""

    def __init__(self, layer: nn.Module, channels: int, p: FSVAEParameters, alpha: float = 1.0):
        super().__init__()
        self.layer, self.norm, self.p = layer, TDBatchNorm(channels, p.v_th, alpha), p

    def step(self, x: torch.Tensor, state: tuple | None) -> tuple[torch.Tensor, tuple]:
        """(spikes [B, …], new state) for the input [B, …] of one step."""
        return lif_step(self.norm(self.layer(x).unsqueeze(0))[0], state, self.p.tau, self.p.v_th,
                        centre=self.p.surrogate_centre)

    def forward(self, x: torch.Tensor, steps: int = 0) -> torch.Tensor:
        """Spikes [T, B, …] for inputs [T, B, …], or for one input [B, …] held for `steps` steps (computed once)."""
        if steps:
            current = self.layer(x).unsqueeze(0)
        else:
            current = self.layer(x.flatten(0, 1))
            current = current.reshape(*x.shape[:2], *current.shape[1:])
        return normalized_spikes(current, self.norm, steps or len(current), self.p)


class SpikingMLP(nn.Module):
    """The posterior's or the prior's spiking MLP: three Linear → tdBN (α = 2) → LIF layers."""

    def __init__(self, sizes: list[int], p: FSVAEParameters):
        super().__init__()
        self.layers = nn.ModuleList(SpikingLayer(nn.Linear(a, b), b, p, alpha=2.0)
                                    for a, b in zip(sizes[:-1], sizes[1:]))

    def step(self, x: torch.Tensor, state: list | None) -> tuple[torch.Tensor, list]:
        """(output spikes [B, out], new state) for the input [B, in] of one step."""
        state = state or [None] * len(self.layers)
        new = []
        for layer, s in zip(self.layers, state):
            x, s = layer.step(x, s)
            new.append(s)
        return x, new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Output spikes [T, B, out] for inputs [T, B, in] known in advance (tdBN over the whole window)."""
        for layer in self.layers:
            x = layer(x)
        return x


class FSVAEOutput(NamedTuple):
    image: torch.Tensor  # reconstruction [B, 1, 32, 32] in [−1, 1]
    q: torch.Tensor  # posterior firing probabilities [T, B, C]
    p: torch.Tensor  # prior firing probabilities [T, B, C] (teacher-forced by the posterior's samples)
    z: torch.Tensor  # latent spikes [T, B, C]


class FSVAE(nn.Module):
    def __init__(self, channels: tuple[int, ...] = (32, 64, 128, 256), p: FSVAEParameters = FSVAEParameters(),
                 in_channels: int = 1, size: int = 32):
        super().__init__()
        self.p, self.size = p, size
        widths = (in_channels, *channels)
        self.encoder = nn.ModuleList(SpikingLayer(nn.Conv2d(a, b, 3, 2, 1, bias=False), b, p)
                                     for a, b in zip(widths[:-1], widths[1:]))
        self.side = size // 2 ** len(channels)
        flat = channels[-1] * self.side ** 2
        self.to_latent = SpikingLayer(nn.Linear(flat, p.latent, bias=False), p.latent, p)
        c = p.latent
        self.posterior = SpikingMLP([2 * c, 2 * c, 4 * c, p.k * c], p)
        self.prior = SpikingMLP([c, 2 * c, 4 * c, p.k * c], p)
        self.from_latent = SpikingLayer(nn.Linear(c, flat, bias=False), flat, p)
        back = channels[::-1]
        self.decoder = nn.ModuleList(SpikingLayer(nn.ConvTranspose2d(a, b, 3, 2, 1, output_padding=1, bias=False), b, p)
                                     for a, b in zip(back, (*back[1:], back[-1])))
        self.readout = nn.Conv2d(back[-1], in_channels, 3, 1, 1)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Latent-input spikes x^E [T, B, C] of images [B, 1, 32, 32] in [−1, 1]."""
        x = self.encoder[0](images, self.p.steps)  # the same image at every step: its convolution once
        for layer in self.encoder[1:]:
            x = layer(x)
        return self.to_latent(x.flatten(2))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Image [B, 1, 32, 32] in [−1, 1] from latent spikes [T, B, C]."""
        x = self.from_latent(z)
        x = x.reshape(*x.shape[:2], -1, self.side, self.side)
        for layer in self.decoder:
            x = layer(x)
        # The readout is linear, so its membrane Σ_t decay^(T−1−t)·readout(x[t]) is the readout of the weighted sum
        # (bias counted Σ_t decay^(T−1−t) times): one convolution per image instead of one per step.
        weights = readout_weights(x.shape[0], self.p.readout_decay, x)
        membrane = F.conv2d(torch.tensordot(weights, x, dims=1), self.readout.weight, self.readout.bias * weights.sum(),
                            padding=self.readout.padding)
        return torch.tanh(membrane)

    def forward(self, images: torch.Tensor, generator: torch.Generator | None = None,
                scheduled: float = 0.0) -> FSVAEOutput:
        z, q, p = self.latent(self.encode(images), generator, scheduled)
        return FSVAEOutput(self.decode(z), q, p, z)

    def latent(self, x_e: torch.Tensor, generator: torch.Generator | None = None, scheduled: float = 0.0
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(latent spikes z, posterior and prior firing probabilities), each [T, B, C], from x^E [T, B, C]: the
        posterior samples z step by step; the prior sees the posterior's samples before each step (teacher
        forcing), from step SCHEDULED_FROM on replaced with probability `scheduled` by its own guess."""
        z_prev, state, zs, qs = torch.zeros_like(x_e[0]), None, [], []
        for x_t in x_e:
            out, state = self.posterior.step(torch.cat([x_t, z_prev], 1), state)
            z_prev, q_t = bernoulli_pick(out, self.p.k, generator)
            zs.append(z_prev)
            qs.append(q_t)
        z = torch.stack(zs)
        prior_out = self.prior(self.prior_inputs(z.detach(), scheduled, generator))
        p = firing_probability(prior_out.flatten(0, 1), self.p.k).reshape(z.shape)
        return z, torch.stack(qs), p

    def prior_inputs(self, z: torch.Tensor, scheduled: float, generator: torch.Generator | None) -> torch.Tensor:
        """The prior's inputs [T, B, C] for the posterior's samples z: 0, then z[t − 1]; with `scheduled` > 0 each
        step from SCHEDULED_FROM + 1 on has, with that probability, the prior's own guess instead (firing
        probability > 0.5, the prior run step by step on its inputs so far, with its running statistics)."""
        inputs = [torch.zeros_like(z[0])]
        if not scheduled:
            return torch.stack(inputs + list(z[:-1]))
        training = self.prior.training
        self.prior.eval()
        state = None
        with torch.no_grad():
            for t in range(len(z) - 1):
                out, state = self.prior.step(inputs[-1], state)
                draw = float(torch.rand(1, generator=generator))
                own = t >= SCHEDULED_FROM and draw < scheduled
                inputs.append((firing_probability(out, self.p.k) > 0.5).to(z.dtype) if own else z[t])
        self.prior.train(training)
        return torch.stack(inputs)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images [n, 1, 32, 32] in [−1, 1] from the prior, sampled autoregressively."""
        return self.decode(self.prior_latent(n, generator))

    @torch.no_grad()
    def prior_latent(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Latent spikes z [T, n, C] drawn from the prior, step by step."""
        device = self.readout.weight.device
        z_prev, state, zs = torch.zeros(n, self.p.latent, device=device), None, []
        for _ in range(self.p.steps):
            out, state = self.prior.step(z_prev, state)
            z_prev, _ = bernoulli_pick(out, self.p.k, generator)
            zs.append(z_prev)
        return torch.stack(zs)
