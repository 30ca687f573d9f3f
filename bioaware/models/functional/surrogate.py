"""Heaviside spike functions with smooth surrogate gradients: a sigmoid's derivative, or the fast sigmoid's
(SuperSpike, Zenke & Ganguli 2018), whose tails reach neurons far from threshold."""

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


class _FastSigmoidSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, width: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.width = width
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (x,) = ctx.saved_tensors
        return grad / (1.0 + x.abs() / ctx.width) ** 2, None


def fast_sigmoid_spike(x: torch.Tensor, width: float) -> torch.Tensor:
    """Θ(x) in the forward pass, 1 / (1 + |x|/width)² in the backward pass (width in x's units)."""
    return _FastSigmoidSpike.apply(x, width)
