"""Discrete-time LIF neuron of Roy, Panda & Roy (2019), as pure functions.

    V_pre[t] = (1 − α) · V[t−1] + I[t]        (α = leak per step; α = 0 is IF)
    Z[t]     = Θ(V_pre[t] − V_th)             (surrogate: sigmoid derivative of slope k)
    V[t]     = V_pre[t] · (1 − Z[t])          (reset to 0; the reset is not differentiated)

For α > 0 this is Norse's LIF box (`lif_box_feed_forward_step`) with dt·τ_mem⁻¹ = α and input
I/α, i.e. the Euler step of τ dV/dt = −V + R·I; bioaware keeps the paper's parameterisation
so that α = 0 (IF) is the same code. Membrane potentials are dimensionless (threshold units).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from bioaware.models.functional.surrogate import sigmoid_grad, sigmoid_spike


class LIFParameters(NamedTuple):
    leak: float = 0.1  # α, fraction of V lost per step
    v_th: float = 1.0  # threshold
    slope: float = 5.0  # surrogate slope k


def lif_step(current: torch.Tensor, v: torch.Tensor, p: LIFParameters):
    """One step: returns (spikes Z[t], pre-reset membrane V_pre[t], membrane after reset V[t])."""
    v_pre = (1.0 - p.leak) * v + current
    z = sigmoid_spike(v_pre - p.v_th, p.slope)
    return z, v_pre, v_pre * (1.0 - z.detach())


class _LIFScan(torch.autograd.Function):
    """All T steps of :func:`lif_step` in one autograd node (same values and gradients, less overhead)."""

    @staticmethod
    def forward(ctx, currents: torch.Tensor, leak: float, v_th: float, slope: float):
        v_pre = torch.empty_like(currents)
        v = torch.zeros_like(currents[0])
        for t in range(currents.shape[0]):
            torch.add(currents[t], v, alpha=1.0 - leak, out=v_pre[t])
            v = v_pre[t].masked_fill(v_pre[t] >= v_th, 0.0)
        z = (v_pre >= v_th).to(currents.dtype)
        ctx.save_for_backward(v_pre)
        ctx.params = (leak, v_th, slope)
        ctx.set_materialize_grads(False)  # an unused output (hidden V, output Z) gets None, not zeros
        return z, v_pre

    @staticmethod
    def backward(ctx, grad_z: torch.Tensor | None, grad_v_pre: torch.Tensor | None):
        (v_pre,) = ctx.saved_tensors
        leak, v_th, slope = ctx.params
        if grad_z is None and grad_v_pre is None:
            return None, None, None, None
        if grad_z is None:
            grad = grad_v_pre.clone()
        else:
            grad = sigmoid_grad(v_pre - v_th, slope).mul_(grad_z)
            if grad_v_pre is not None:
                grad.add_(grad_v_pre)
        keep = (v_pre < v_th).to(v_pre.dtype).mul_(1.0 - leak)  # dV_pre[t+1]/dV_pre[t]
        for t in range(v_pre.shape[0] - 2, -1, -1):
            grad[t].addcmul_(keep[t], grad[t + 1])
        return grad, None, None, None


def lif_scan(currents: torch.Tensor, p: LIFParameters) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a LIF layer from rest over input currents [T, ...]: returns (Z, V_pre), both [T, ...]."""
    return _LIFScan.apply(currents, p.leak, p.v_th, p.slope)


def lif_scan_reference(currents: torch.Tensor, p: LIFParameters) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`lif_scan` written step by step with autograd; the definition the fused scan must match."""
    v = torch.zeros_like(currents[0])
    zs, vs = [], []
    for current in currents:
        z, v_pre, v = lif_step(current, v, p)
        zs.append(z)
        vs.append(v_pre)
    return torch.stack(zs), torch.stack(vs)
