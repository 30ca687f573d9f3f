"""Principal branch W₀ of the Lambert W function in PyTorch (w·eʷ = z, z ≥ −1/e), by Halley iterations."""

from __future__ import annotations

import math

import torch

BRANCH_POINT = -1.0 / math.e


def _initial_guess(z: torch.Tensor) -> torch.Tensor:
    """Series about the branch point for z < −0.25, log1p(z) up to 3, log z − log log z beyond."""
    p = torch.sqrt(torch.clamp(2.0 * (math.e * z + 1.0), min=0.0))
    near_branch = -1.0 + p - p * p / 3.0 + (11.0 / 72.0) * p * p * p
    large = torch.log(torch.clamp(z, min=3.0))
    large = large - torch.log(large)
    return torch.where(z < -0.25, near_branch, torch.where(z < 3.0, torch.log1p(torch.clamp(z, min=-0.25)), large))


def lambertw0(z: torch.Tensor, tol: float = 1e-13, max_iterations: int = 30) -> torch.Tensor:
    """W₀(z) elementwise; NaN where z < −1/e (no real solution). Computed in the dtype of `z`.

    Halley's method from a branch-aware initial guess; stops when no element moves by more than
    `tol`·(1 + |w|). At z = −1/e exactly, W = −1.
    """
    z = torch.as_tensor(z)
    w = _initial_guess(z)
    for _ in range(max_iterations):
        ew = torch.exp(w)
        f = w * ew - z
        wp1 = w + 1.0
        safe = wp1.abs() > 1e-12
        denom = ew * wp1 - (w + 2.0) * f / torch.where(safe, 2.0 * wp1, torch.ones_like(wp1))
        step = torch.where(safe & (denom != 0), f / denom, torch.zeros_like(w))
        w = w - step
        if not bool((step.abs() > tol * (1.0 + w.abs())).any()):
            break
    return torch.where(z < BRANCH_POINT, torch.full_like(w, float("nan")), w)
