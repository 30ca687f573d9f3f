"""First spike time of a neuron with alpha-shaped PSPs, in closed form, with exact gradients (Comşa et al. 2022).

Before it spikes, a neuron's membrane is V(t) = Σᵢ wᵢ (t − tᵢ) e^{K(tᵢ − t)} over the inputs with tᵢ < t
(K: decay rate, 1/time unit). With the causal set fixed, A = Σ wᵢ e^{K tᵢ}, B = Σ wᵢ tᵢ e^{K tᵢ}, the
first crossing of the threshold θ is

    t = B/A − W₀(−K θ / A · e^{K B/A}) / K

and, with W the Lambert-W value there, the exact derivatives are

    ∂t/∂wᵢ = e^{K tᵢ} (tᵢ − t) / (A (1 + W)),    ∂t/∂tᵢ = wᵢ e^{K tᵢ} (1 + K (tᵢ − t)) / (A (1 + W)).

Times are in the model's time unit (the input interval is [0, 1]). A neuron that never reaches θ
gets `no_spike` (a large surrogate time); its incoming weights get the gradient −`penalty`
(scaled by the fraction of the batch in which it was silent), which raises them until it spikes.
Every partial derivative and its product with the incoming gradient is clipped to ±`clip`.
"""

from __future__ import annotations

import torch

from bioaware.models.functional.lambertw import BRANCH_POINT, lambertw0


class _AlphaSpikeTime(torch.autograd.Function):
    @staticmethod
    def forward(ctx, times, weight, decay, threshold, no_spike, clip, penalty):
        dtype = times.dtype
        x, w = times.double(), weight.double()
        order = x.argsort(dim=1)
        xs = x.gather(1, order)  # [B, N] input times in ascending order
        fired = xs < no_spike
        xs0 = torch.where(fired, xs, torch.zeros_like(xs))
        e = torch.where(fired, torch.exp(decay * xs0), torch.zeros_like(xs))
        ws = w.t()[order]  # [B, N, M] weights in the order of that sample's input spikes
        a = torch.cumsum(ws * e[..., None], dim=1)  # A over the first k+1 inputs, [B, N, M]
        b = torch.cumsum(ws * (e * xs0)[..., None], dim=1)
        # The causal set is the first k whose potential (A t − B)·e^{−Kt} reaches θ before input k+1 arrives:
        # the curve peaks at t* = B/A + 1/K (A > 0), so its maximum on [t_k, t_{k+1}) is at t* clamped there.
        following = torch.cat([xs[:, 1:], torch.full_like(xs[:, :1], float("inf"))], dim=1)
        following = torch.where(following < no_spike, following, torch.full_like(following, float("inf")))
        positive = (a > 0) & fired[..., None]
        safe_a = torch.where(positive, a, torch.ones_like(a))
        peak = torch.minimum(torch.maximum(b / safe_a + 1.0 / decay, xs0[..., None]), following[..., None])
        reached = positive & (torch.exp(-decay * peak) * (safe_a * peak - b) >= threshold)
        spikes = reached.any(dim=1)  # [B, M]
        k = reached.to(torch.uint8).argmax(dim=1, keepdim=True)
        a_k = torch.where(spikes, a.gather(1, k)[:, 0], torch.ones_like(spikes, dtype=a.dtype))
        ratio = b.gather(1, k)[:, 0] / a_k
        z = (-decay * threshold / a_k * torch.exp(decay * ratio)).clamp(min=BRANCH_POINT)
        lw = lambertw0(torch.where(spikes, z, torch.full_like(z, -0.1)))
        t_out = torch.where(spikes, ratio - lw / decay, torch.full_like(z, no_spike))
        ctx.save_for_backward(order, xs0, e, ws, k, spikes, t_out, a_k, lw)
        ctx.decay, ctx.clip, ctx.penalty, ctx.dtype = decay, clip, penalty, dtype
        return t_out.to(dtype)

    @staticmethod
    def backward(ctx, grad):
        order, xs0, e, ws, k, spikes, t_out, a_k, w_k = ctx.saved_tensors
        decay, clip = ctx.decay, ctx.clip
        g = torch.where(spikes, grad.double(), torch.zeros_like(t_out))[:, None, :]  # [B, 1, M]
        n = torch.arange(xs0.shape[1], device=xs0.device)[None, :, None]
        causal = (n <= k) & spikes[:, None, :]  # [B, N, M]
        denom = torch.where(spikes, a_k * (1.0 + w_k), torch.ones_like(a_k))[:, None, :]
        lag = xs0[..., None] - t_out[:, None, :]  # tᵢ − t
        d_w = torch.where(causal, e[..., None] * lag / denom, torch.zeros_like(lag))
        d_x = torch.where(causal, ws * e[..., None] * (1.0 + decay * lag) / denom, torch.zeros_like(lag))
        g_w = (d_w.clamp(-clip, clip) * g).clamp(-clip, clip)
        g_x = (d_x.clamp(-clip, clip) * g).clamp(-clip, clip)
        index = order[..., None].expand_as(g_w)
        grad_weight = torch.zeros_like(g_w).scatter_(1, index, g_w).sum(0).t()  # [M, N]
        grad_weight -= ctx.penalty * (~spikes).double().mean(0)[:, None]
        grad_times = torch.zeros_like(xs0).scatter_(1, order, g_x.sum(2))
        return grad_times.to(ctx.dtype), grad_weight.to(ctx.dtype), None, None, None, None, None


def alpha_spike_times(times: torch.Tensor, weight: torch.Tensor, decay: float = 1.0, threshold: float = 1.0,
                      no_spike: float = 1000.0, clip: float = 100.0, penalty: float = 0.0) -> torch.Tensor:
    """Output spike times [B, M] of M alpha neurons given input spike times [B, N] and weights [M, N].

    Inputs at or beyond `no_spike` did not spike. Computed in float64, returned in the input dtype.
    """
    return _AlphaSpikeTime.apply(times, weight, decay, threshold, no_spike, clip, penalty)


def alpha_potential(t: torch.Tensor, times: torch.Tensor, weight: torch.Tensor, decay: float = 1.0,
                    no_spike: float = 1000.0) -> torch.Tensor:
    """Membrane potential [B, M, len(t)] at times `t` of neurons that have not spiked (for traces and tests)."""
    lag = t[None, None, :] - times[:, :, None]  # [B, N, T]
    kernel = torch.where((lag > 0) & (times[:, :, None] < no_spike), lag * torch.exp(-decay * lag.clamp(min=0)),
                         torch.zeros_like(lag))
    return torch.einsum("mn,bnt->bmt", weight, kernel)
