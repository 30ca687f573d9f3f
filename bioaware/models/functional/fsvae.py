"""Dynamics of the Fully Spiking VAE (Kamata, Mukuta & Harada 2022), as pure functions.

    u[t] = τ · u[t−1] · (1 − o[t−1]) + x[t]      (τ = 0.25: the fraction of the membrane kept per step)
    o[t] = Θ(u[t] − V_th)                        (V_th = 0.2)

The surrogate ∂o/∂u is a rectangle of width a and height 1/a around u = c: the authors' code centres it at c = 0
(|u| < 0.5 for a = 1), not at the threshold.

Latent spikes: a channel's k Bernoulli outputs at step t give its firing probability (their mean); the sample
is one of the k, picked at random. PSP[t] = (1 − 1/τ_s) · PSP[t−1] + r[t] / τ_s filters the probabilities r
for the prior-matching loss. Tensors are time-major, [T, batch, …].
"""

from __future__ import annotations

import torch

from bioaware.models.functional.surrogate import rectangle_spike


def lif_step(current: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None, tau: float, v_th: float,
             width: float = 1.0, centre: float = 0.0) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """One step of :func:`lif_multiplicative_reset`: (spikes, new (u, o) state); `state` None starts at rest."""
    u, o = state if state is not None else (torch.zeros_like(current), torch.zeros_like(current))
    u = tau * u * (1.0 - o) + current
    o = rectangle_spike(u - v_th, width, at=centre - v_th)
    return o, (u, o)


class _ResetScan(torch.autograd.Function):
    """All T steps of :func:`lif_step` in one autograd node: the same spikes and gradients (through the reset too:
    ∂u[t+1]/∂u[t] = τ·(1 − o[t]) − τ·u[t]·∂o[t]/∂u[t]). Each step is one fused multiply-add over the layer,
    forward and backward; the rest are whole-window operations."""

    @staticmethod
    def forward(ctx, currents: torch.Tensor, tau: float, v_th: float, width: float, centre: float):
        u = torch.empty_like(currents)
        silent = torch.empty_like(currents)  # 1 − o[t]
        u[0] = currents[0]
        for t in range(currents.shape[0]):
            torch.lt(u[t], v_th, out=silent[t])
            if t + 1 < currents.shape[0]:
                torch.addcmul(currents[t + 1], u[t], silent[t], value=tau, out=u[t + 1])
        ctx.save_for_backward(u, silent)
        ctx.params = (tau, width, centre)
        return torch.sub(1.0, silent)

    @staticmethod
    def backward(ctx, grad_o: torch.Tensor):
        u, silent = ctx.saved_tensors
        tau, width, centre = ctx.params
        inside = (u - centre).abs_().lt_(width / 2)  # the rectangular surrogate ∂o/∂u, times the width
        grad = grad_o * inside  # ∂L/∂u[t] through o[t] alone (× width)
        if width != 1.0:
            grad.div_(width)
        carry = torch.addcmul(silent, u, inside, value=-1.0 / width, out=inside).mul_(tau)  # ∂u[t+1]/∂u[t]
        for t in range(u.shape[0] - 2, -1, -1):
            grad[t].addcmul_(carry[t], grad[t + 1])
        return grad, None, None, None, None


def lif_multiplicative_reset(currents: torch.Tensor, tau: float, v_th: float, width: float = 1.0,
                             centre: float = 0.0) -> torch.Tensor:
    """Spikes [T, …] of the FSVAE's LIF neuron driven by `currents` [T, …] (membrane reset by multiplication),
    as one fused autograd node."""
    return _ResetScan.apply(currents, tau, v_th, width, centre)


def lif_multiplicative_reset_reference(currents: torch.Tensor, tau: float, v_th: float,
                                       width: float = 1.0, centre: float = 0.0) -> torch.Tensor:
    """:func:`lif_multiplicative_reset` step by step with autograd: the definition the fused scan must match."""
    state, spikes = None, []
    for x_t in currents:
        o, state = lif_step(x_t, state, tau, v_th, width, centre)
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


def readout_weights(steps: int, decay: float, like: torch.Tensor) -> torch.Tensor:
    """decay^(T−1−t) for t = 0 … T−1: how much step t counts in the readout membrane (dtype, device of `like`)."""
    return decay ** torch.arange(steps - 1, -1, -1, dtype=like.dtype, device=like.device)


def membrane_readout(potentials: torch.Tensor, decay: float) -> torch.Tensor:
    """tanh(Σ_t decay^(T−1−t) · potentials[t]): the non-spiking output layer's image in [−1, 1]."""
    return torch.tanh(torch.tensordot(readout_weights(potentials.shape[0], decay, potentials), potentials, dims=1))
