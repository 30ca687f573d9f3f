"""Heaviside spike function with the derivative of a sigmoid as its surrogate gradient."""

from __future__ import annotations

import torch


def sigmoid_grad(x: torch.Tensor, slope: float) -> torch.Tensor:
    """d/dx σ(slope · x) = slope · σ(slope·x) · (1 − σ(slope·x))."""
    s = torch.sigmoid(slope * x)
    return slope * s * (1.0 - s)


class _SigmoidSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, slope: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.slope = slope
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (x,) = ctx.saved_tensors
        return grad * sigmoid_grad(x, ctx.slope), None


def sigmoid_spike(x: torch.Tensor, slope: float) -> torch.Tensor:
    """Θ(x) in the forward pass (a spike when x ≥ 0), dσ(slope·x)/dx in the backward pass."""
    return _SigmoidSpike.apply(x, slope)
