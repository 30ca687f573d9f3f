"""Losses on spiking outputs."""

from __future__ import annotations

import torch


def masked_membrane_loss(out_v: torch.Tensor, out_z: torch.Tensor, in_z: torch.Tensor,
                         v_th: float = 1.0, mask: bool = True) -> torch.Tensor:
    """Roy et al.'s loss on the output membrane, ½‖E‖² per image, averaged over the batch.

    Target O[t] = V_th · X[t]; with `mask`, the error E = XOR(X[t], A[t]) · (O[t] − V[t]) only
    counts where the output spike A[t] disagrees with the input spike X[t]. Tensors are
    [T, B, N] (or [B, N] for one step); `out_v` is the membrane before reset.
    """
    error = v_th * in_z - out_v
    if mask:
        error = error * (in_z != out_z.detach()).to(error.dtype)
    return 0.5 * error.pow(2).sum() / out_v.shape[-2]
