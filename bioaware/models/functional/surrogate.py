"""Heaviside spike functions with smooth surrogate gradients: a sigmoid's derivative, or the fast sigmoid's
(SuperSpike, Zenke & Ganguli 2018), whose tails reach neurons far from threshold."""

from __future__ import annotations

from typing import Callable

import torch


def sigmoid_grad(x: torch.Tensor, slope: float) -> torch.Tensor:
    """d/dx σ(slope · x) = slope · σ(slope·x) · (1 − σ(slope·x))."""
    s = torch.sigmoid(slope * x)
    return slope * s * (1.0 - s)


class _Spike(torch.autograd.Function):
    """Θ(x) forward; the given surrogate derivative of x backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, derivative: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.derivative = derivative
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (x,) = ctx.saved_tensors
        return grad * ctx.derivative(x), None


def sigmoid_spike(x: torch.Tensor, slope: float) -> torch.Tensor:
    """Θ(x) in the forward pass (a spike when x ≥ 0), dσ(slope·x)/dx in the backward pass."""
    return _Spike.apply(x, lambda u: sigmoid_grad(u, slope))


def fast_sigmoid_spike(x: torch.Tensor, width: float) -> torch.Tensor:
    """Θ(x) in the forward pass, 1 / (1 + |x|/width)² in the backward pass (width in x's units)."""
    return _Spike.apply(x, lambda u: 1.0 / (1.0 + u.abs() / width) ** 2)


def rectangle_spike(x: torch.Tensor, width: float, at: float = 0.0) -> torch.Tensor:
    """Θ(x) in the forward pass, 1/width where |x − at| < width/2 (else 0) in the backward pass."""
    return _Spike.apply(x, lambda u: ((u - at).abs() < width / 2).to(u.dtype) / width)
