"""Time-to-first-spike coding and non-leaky IF neurons that fire at most once (S4NN, Spiking-GAN).

Time is counted in integer simulation steps 0 … T−1 (T = `steps`); a time of T means "no spike".

Neuron j integrates V_j(s) = Σ_i w_ji·[t_i ≤ s] and fires once, one step after the first step s
where V_j(s) ≥ θ: t_j = s + 1 (the spike reaches the next layer at t_j, as in Brian2's standard
schedule and in S4NN). A neuron that never crosses within the window gets t_j = T.

Gradients are S4NN's temporal backprop: t_j is treated as T − Σ_i w_ji·[t_i < t_j] (ReLU-like), so
∂t_j/∂w_ji = −[t_i < t_j] and ∂t_j/∂t_i = w_ji·[t_i < t_j]; the error arriving at each layer is
normalised per sample (L1 or L2 norm) before it is used.
"""

from __future__ import annotations

import torch

from bioaware.models.functional.surrogate import fast_sigmoid_spike

NORMS = ("l1", "l2", "none")


def ttfs_encode(x: torch.Tensor, steps: int) -> torch.Tensor:
    """Pixel values in [0, 1] → one spike at t = ⌊T·(1 − x)⌋ (float tensor of integer steps); x = 0 gives T (silent)."""
    t = torch.floor(steps * (1.0 - x.clamp(0.0, 1.0).double()) + 1e-6)
    return t.clamp(0, steps).to(x.dtype)


def ttfs_decode(times: torch.Tensor, steps: int) -> torch.Tensor:
    """Spike times (steps) → pixel values 1 − t/T in [0, 1] (silent → 0); `ttfs_encode` maps them back to `times`."""
    return (1.0 - times / steps).clamp(0.0, 1.0)


def membrane_bins(in_times: torch.Tensor, weight: torch.Tensor, steps: int) -> torch.Tensor:
    """Membrane potential V [B, T, out] at the end of every step: Σ_i w_ji over inputs with t_i ≤ s.

    Each input spikes once, so its weight column is added into its own time bin and summed
    over time: B·(active inputs)·out additions instead of a B·T·in·out product.
    """
    batch = in_times.shape[0]
    b, i = torch.nonzero(in_times < steps, as_tuple=True)
    bins = b * steps + in_times[b, i].long()
    v = torch.zeros(batch * steps, weight.shape[0], dtype=weight.dtype, device=weight.device)
    v.index_add_(0, bins, weight.t()[i])
    return v.view(batch, steps, -1).cumsum(1)


def received_by(in_times: torch.Tensor, weight: torch.Tensor, threshold: float, at: torch.Tensor,
                width: float, noise: torch.Tensor | None = None) -> torch.Tensor:
    """Whether each neuron's spike has arrived by step s, [t_j ≤ s], for the steps `at` [B, K] → [B, K, out].

    Exact in the forward pass: t_j ≤ s exactly when max over s' < s of V_j(s') reaches θ (the membrane
    need not rise monotonically when weights are negative). The backward pass is a fast-sigmoid surrogate
    of that maximum's distance to θ (`width` in potential units), reaching the inputs that had fired by
    the maximum. `noise` [B, K, out] (potential units, optional) is added to the maximum (training only).
    """
    peak = membrane_bins(in_times, weight, int(at.max())).cummax(1).values
    peak = peak.gather(1, (at.long() - 1)[:, :, None].expand(-1, -1, peak.shape[2]))
    return fast_sigmoid_spike(peak - threshold + (0.0 if noise is None else noise), width)


def first_crossing(v: torch.Tensor, threshold: float) -> torch.Tensor:
    """Spike times [B, out] from membranes [B, T, out]: one step after the first V ≥ θ, T when never."""
    steps = v.shape[1]
    crossed = v >= threshold
    first = crossed.to(torch.uint8).argmax(1)
    return torch.where(crossed.any(1), first + 1, torch.full_like(first, steps)).clamp(max=steps).to(v.dtype)


def _normalise(g: torch.Tensor, norm: str) -> torch.Tensor:
    if norm == "none":
        return g
    size = g.abs().sum(1, keepdim=True) if norm == "l1" else g.pow(2).sum(1, keepdim=True).sqrt()
    return torch.where(size > 0, g / size.clamp_min(torch.finfo(g.dtype).tiny), g)


class _IFSpikeTimes(torch.autograd.Function):
    @staticmethod
    def forward(ctx, in_times, weight, threshold, steps, norm, causal_input_grad):
        out = first_crossing(membrane_bins(in_times, weight, steps), threshold)
        ctx.save_for_backward(in_times, weight, out)
        ctx.norm, ctx.causal = norm, causal_input_grad
        return out

    @staticmethod
    def backward(ctx, grad):
        in_times, weight, out = ctx.saved_tensors
        g = _normalise(grad, ctx.norm)
        before = (in_times[:, None, :] < out[:, :, None]).to(g.dtype)  # [B, out, in]: input i fired before j
        grad_w = -torch.einsum("bj,bji->ji", g, before)
        grad_in = None
        if ctx.needs_input_grad[0]:
            grad_in = torch.einsum("bj,ji,bji->bi", g, weight, before) if ctx.causal else g @ weight
        return grad_in, grad_w, None, None, None, None


def if_spike_times(in_times: torch.Tensor, weight: torch.Tensor, threshold: float, steps: int,
                   norm: str = "l2", causal_input_grad: bool = True) -> torch.Tensor:
    """Single-spike IF layer: input spike times [B, in] (steps; T = silent), weight [out, in] → times [B, out].

    `causal_input_grad = False` passes ∂t_j/∂t_i = w_ji from every input, also from inputs that fired
    after t_j or never (the ReLU-like linearisation without its causal gate), so that a generator's
    silent outputs still hear from the discriminator.
    """
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    return _IFSpikeTimes.apply(in_times, weight, float(threshold), int(steps), norm, causal_input_grad)
