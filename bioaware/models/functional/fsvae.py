"""Dynamics of the Fully Spiking VAE (Kamata, Mukuta & Harada 2022), as pure functions.

    u[t] = τ · u[t−1] · (1 − o[t−1]) + x[t]      (τ = 0.25: the fraction of the membrane kept per step)
    o[t] = Θ(u[t] − V_th)                        (V_th = 0.2; rectangular surrogate of width a, height 1/a)

Latent spikes: a channel's k Bernoulli outputs at step t give its firing probability (their mean); the sample
is one of the k, picked at random. PSP[t] = (1 − 1/τ_s) · PSP[t−1] + r[t] / τ_s filters the probabilities r
for the prior-matching loss. Tensors are time-major, [T, batch, …].
"""

from __future__ import annotations

import torch

from bioaware.models.functional.surrogate import rectangle_spike


def lif_step(current: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None, tau: float, v_th: float,
             width: float = 1.0) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """One step of :func:`lif_multiplicative_reset`: (spikes, new (u, o) state); `state` None starts at rest."""
    u, o = state if state is not None else (torch.zeros_like(current), torch.zeros_like(current))
    u = tau * u * (1.0 - o) + current
    o = rectangle_spike(u - v_th, width)
    return o, (u, o)


class _ResetScan(torch.autograd.Function):
    """All T steps of :func:`lif_step` in one autograd node: the same spikes and gradients (through the reset too:
    ∂u[t+1]/∂u[t] = τ·(1 − o[t]) − τ·u[t]·∂o[t]/∂u[t]), without a graph of T × 5 small operations."""

    @staticmethod
    def forward(ctx, currents: torch.Tensor, tau: float, v_th: float, width: float):
        u = torch.empty_like(currents)
        previous = torch.zeros_like(currents[0])
        for t in range(currents.shape[0]):
            torch.add(currents[t], previous, alpha=tau, out=u[t])
            previous = u[t].masked_fill(u[t] >= v_th, 0.0)
        ctx.save_for_backward(u)
        ctx.params = (tau, v_th, width)
        return (u >= v_th).to(currents.dtype)

    @staticmethod
    def backward(ctx, grad_o: torch.Tensor):
        (u,) = ctx.saved_tensors
        tau, v_th, width = ctx.params
        x = u - v_th
        slope = (x.abs() < width / 2).to(u.dtype).div_(width)  # the rectangular surrogate ∂o/∂u
        keep = (x < 0).to(u.dtype).mul_(tau)  # τ·(1 − o[t])
        grad = torch.empty_like(u)
        later = torch.zeros_like(u[0])  # ∂L/∂u[t+1]
        for t in range(u.shape[0] - 1, -1, -1):
            through_spike = grad_o[t] - tau * u[t] * later
            later = through_spike * slope[t] + keep[t] * later
            grad[t] = later
        return grad, None, None, None


def lif_multiplicative_reset(currents: torch.Tensor, tau: float, v_th: float, width: float = 1.0) -> torch.Tensor:
    """Spikes [T, …] of the FSVAE's LIF neuron driven by `currents` [T, …] (membrane reset by multiplication),
    as one fused autograd node."""
    return _ResetScan.apply(currents, tau, v_th, width)


def lif_multiplicative_reset_reference(currents: torch.Tensor, tau: float, v_th: float,
                                       width: float = 1.0) -> torch.Tensor:
    """:func:`lif_multiplicative_reset` step by step with autograd: the definition the fused scan must match."""
    state, spikes = None, []
    for x_t in currents:
        o, state = lif_step(x_t, state, tau, v_th, width)
        spikes.append(o)
    return torch.stack(spikes)


def firing_probability(spikes: torch.Tensor, k: int) -> torch.Tensor:
    """Latent channels' firing probabilities [B, C]: the mean of each channel's k spikes in `spikes` [B, C·k]."""
    return spikes.reshape(spikes.shape[0], -1, k).mean(2)


def bernoulli_pick(spikes: torch.Tensor, k: int, generator: torch.Generator | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """(sample, probability) of latent channels from `spikes` [B, C·k]: per channel, one of its k spikes picked
    at random (its gradient passes), and the mean of the k."""
    grouped = spikes.reshape(spikes.shape[0], -1, k)
    pick = torch.randint(0, k, grouped.shape[:2], generator=generator, device="cpu").to(spikes.device)
    return grouped.gather(2, pick.unsqueeze(2)).squeeze(2), firing_probability(spikes, k)


def psp(rates: torch.Tensor, tau_syn: float) -> torch.Tensor:
    """First-order synaptic filter of `rates` [T, …]: PSP[t] = (1 − 1/τ_s)·PSP[t−1] + rates[t]/τ_s."""
    out, trace = [], torch.zeros_like(rates[0])
    for r_t in rates:
        trace = (1.0 - 1.0 / tau_syn) * trace + r_t / tau_syn
        out.append(trace)
    return torch.stack(out)


def membrane_readout(potentials: torch.Tensor, decay: float) -> torch.Tensor:
    """tanh(Σ_t decay^(T−1−t) · potentials[t]): the non-spiking output layer's image in [−1, 1]."""
    steps = potentials.shape[0]
    weights = decay ** torch.arange(steps - 1, -1, -1, dtype=potentials.dtype, device=potentials.device)
    return torch.tanh(torch.tensordot(weights, potentials, dims=1))
