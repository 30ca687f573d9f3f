"""Losses on spiking outputs."""

from __future__ import annotations

import torch


class _MaskedMembraneLoss(torch.autograd.Function):
    """½ Σ E² / B with E = mask · (V_th·X − V): one saved tensor and a one-op backward."""

    @staticmethod
    def forward(ctx, out_v, out_z, in_z, v_th: float, mask: bool):
        error = in_z - out_v if v_th == 1.0 else v_th * in_z - out_v
        if mask:
            error.masked_fill_(in_z == out_z, 0.0)
        batch = out_v.shape[-2]
        ctx.save_for_backward(error)
        ctx.batch = batch
        return error.pow(2).sum() * (0.5 / batch)

    @staticmethod
    def backward(ctx, grad):
        (error,) = ctx.saved_tensors
        return error * (-grad / ctx.batch), None, None, None, None


def masked_membrane_loss(out_v: torch.Tensor, out_z: torch.Tensor, in_z: torch.Tensor,
                         v_th: float = 1.0, mask: bool = True) -> torch.Tensor:
    """Roy et al.'s loss on the output membrane, ½‖E‖² per image, averaged over the batch.

    Target O[t] = V_th · X[t]; with `mask`, the error E = XOR(X[t], A[t]) · (O[t] − V[t]) only
    counts where the output spike A[t] disagrees with the input spike X[t]. Tensors are
    [T, B, N] (or [B, N] for one step); `out_v` is the membrane before reset. The gradient
    flows to `out_v` only (the mask is a constant, as the spikes are binary).
    """
    return _MaskedMembraneLoss.apply(out_v, out_z, in_z, v_th, mask)



def ttfs_targets(times: torch.Tensor, desired: torch.Tensor, steps: int, margin: float,
                 rule: str = "aggressive", deadline: float = 0.0) -> torch.Tensor:
    """Dynamic spike-time targets [B, n] (steps) for single-spike outputs `times` [B, n].

    `aggressive` (Spiking-GAN's classifier loss; with margin 0 the GAN's winner-time target): the
    `desired` neuron of each sample ([B] indices) should fire `margin` steps before the earliest
    output spike (at 0 when no output fired), every other neuron should stay silent (T).
    `symmetric`: when the earliest other neuron fires less than `margin` after the desired one (or before it),
    the two meet halfway: the desired neuron's target is `margin`/2 before their midpoint, and every other
    neuron firing before `margin`/2 after it is pushed there; outputs that keep the margin get no error.
    `relative` (S4NN): the desired neuron's target is the earliest output spike (T − margin when none
    fired); another neuron firing less than `margin` steps after that is pushed to earliest + margin,
    the rest keep their own time (no error). `deadline` (relative only; steps, 0: none): the desired neuron
    should fire by then at the latest, and the others `margin` after its target.
    """
    times = times.detach()
    first = times.min(1, keepdim=True).values
    fired = first < steps
    if rule == "aggressive":
        targets = torch.full_like(times, float(steps))
        goal = torch.where(fired, (first - margin).clamp_min(0.0), torch.zeros_like(first))
    elif rule == "symmetric":
        right = times.gather(1, desired[:, None])
        rival = times.scatter(1, desired[:, None], float("inf")).min(1, keepdim=True).values
        middle = (right + rival) / 2
        goal = torch.where(fired, torch.minimum(right, middle - margin / 2), torch.full_like(first, steps - margin))
        targets = torch.where(times < goal + margin, (goal + margin).clamp_max(steps), times)
    else:
        goal = torch.where(fired, first, torch.full_like(first, steps - margin))
        if deadline:
            goal = goal.clamp_max(deadline)
        close = times - goal < margin
        targets = torch.where(close, (goal + margin).clamp_max(steps), times)  # nothing fired: times are all T
    return targets.scatter(1, desired[:, None], goal)


def ttfs_loss(times: torch.Tensor, targets: torch.Tensor, steps: int) -> torch.Tensor:
    """½ mean over samples of Σ ((t − target)/T)²; the layers' per-sample error normalisation makes its scale moot."""
    return 0.5 * ((times - targets) / steps).pow(2).sum(1).mean()


def shortfall(potential: torch.Tensor, threshold: float) -> torch.Tensor:
    """Mean of (θ − V)₊/θ over the given potentials: how far they fall short of θ, in units of θ."""
    return torch.relu(threshold - potential).mean() / threshold


def race_loss(potentials: torch.Tensor, desired: torch.Tensor, threshold: float, deadline: int, margin: float,
              temperature: float | None = None, late_weight: float = 1.0, early_weight: float = 0.1) -> torch.Tensor:
    """Loss of single-spike outputs that race to their threshold, on their membrane potentials [B, T, n].

    The output whose potential reaches θ first decides, so at τ (the step the `desired` neuron reaches θ,
    at the latest `deadline`): cross-entropy of V(τ)/`temperature` (θ/20 by default; the right neuron leads),
    plus `late_weight`·(θ − V_desired(deadline))₊/θ (it crosses by the deadline) plus `early_weight`·Σ over
    the other neurons of (max over s ≤ τ of V(s) − (θ − `margin`))₊/θ (they stay `margin` below θ until then).
    """
    batch, steps, _ = potentials.shape
    rows = torch.arange(batch, device=potentials.device)
    with torch.no_grad():
        crossed = potentials[rows, :, desired] >= threshold  # [B, T]
        tau = torch.where(crossed.any(1), crossed.to(torch.uint8).argmax(1), torch.full_like(desired, steps - 1))
        tau = tau.clamp(max=deadline)
        upto = torch.arange(steps, device=potentials.device)[None, :] <= tau[:, None]
        others = torch.ones_like(potentials[:, 0]).scatter(1, desired[:, None], 0.0)
    lead = torch.nn.functional.cross_entropy(potentials[rows, tau] / (temperature or threshold / 20), desired)
    late = shortfall(potentials[rows, deadline, desired], threshold)
    before = potentials.masked_fill(~upto[:, :, None], -torch.inf).amax(1)
    early = (torch.relu(before - (threshold - margin)) * others).sum(1).mean() / threshold
    return lead + late_weight * late + early_weight * early
