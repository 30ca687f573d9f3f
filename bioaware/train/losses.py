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
