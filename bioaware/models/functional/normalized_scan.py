"""tdBN and the FSVAE's LIF neuron fused into one pass over a layer, on the CPU (numba kernels).

    n[t] = a · c[t] + b                          (tdBN: a = g / σ, b = β − μ·a per channel, g = α·V_th·γ)
    u[t] = τ · u[t−1] · (1 − o[t−1]) + n[t],  o[t] = Θ(u[t] − V_th)   (surrogate: a rectangle around u = centre)

Written with torch operations (`torch.nn.BatchNorm2d`, then the scan of
:func:`~bioaware.models.functional.fsvae.lif_multiplicative_reset`), a layer's normalisation and neuron read and
write its [T, B, C, …] tensors once per operation and step; here the forward pass reads the currents once
and writes the spikes and the membrane once, the backward pass reads the membrane and the currents twice. The
normalised currents are never stored: the membrane and the currents are all the backward pass keeps.

Currents are [T_c, B, C, S] (S: positions per channel, 1 for a linear layer); T_c = 1 stands for the same current
at every one of `steps` steps (a layer whose input does not change over the window), computed and normalised once.
"""

from __future__ import annotations

import numba
import numpy as np
import torch


@numba.njit(parallel=True, cache=True)
def _scan_forward(c, scale, shift, steps, params, u, spikes):  # pragma: no cover - compiled
    tau, v_th = params[0], params[1]
    held, batch, channels, size = c.shape
    save = u.shape[0] > 0
    for b in numba.prange(batch):
        v = np.zeros_like(c[0, 0])
        silent = np.ones_like(c[0, 0])  # 1 − o[t−1]
        for t in range(steps):
            ct = c[t if held > 1 else 0, b]
            for ch in range(channels):
                a, s0 = scale[ch], shift[ch]
                for i in range(size):
                    vi = tau * v[ch, i] * silent[ch, i] + (ct[ch, i] * a + s0)
                    v[ch, i] = vi
                    fired = vi >= v_th
                    silent[ch, i] = 0 if fired else 1
                    spikes[t, b, ch, i] = 1 if fired else 0
                    if save:
                        u[t, b, ch, i] = vi


@numba.njit(parallel=True, cache=True)
def _scan_backward(grad_o, u, c, mean, invstd, params, grad_u, sums):  # pragma: no cover - compiled
    """∂L/∂n[t] into grad_u; per batch row Σ ∂L/∂n and Σ ∂L/∂n · x̂ (x̂ = (c − μ)/σ) into sums [B, 2, C]."""
    tau, v_th, half, inv_width, zero, one, centre = params[0], params[1], params[2], params[3], params[4], params[5], \
        params[6]
    steps, batch, channels, size = u.shape
    held = c.shape[0]
    with_sums = sums.shape[0] > 0
    for b in numba.prange(batch):
        g_next = np.zeros_like(u[0, 0])
        for t in range(steps - 1, -1, -1):
            ct = c[t if held > 1 else 0, b]
            for ch in range(channels):
                total, moment = 0.0, 0.0
                for i in range(size):
                    ui = u[t, b, ch, i]
                    surrogate = inv_width if abs(ui - centre) < half else zero
                    silent = one if ui < v_th else zero
                    # ∂u[t+1]/∂u[t] = τ·(1 − o[t]) − τ·u[t]·∂o[t]/∂u[t]: the reset passes gradient too
                    g = grad_o[t, b, ch, i] * surrogate + tau * (silent - ui * surrogate) * g_next[ch, i]
                    g_next[ch, i] = g
                    grad_u[t, b, ch, i] = g
                    if with_sums:
                        total += g
                        moment += g * (ct[ch, i] - mean[ch]) * invstd[ch]
                if with_sums:
                    sums[b, 0, ch] += total
                    sums[b, 1, ch] += moment


@numba.njit(parallel=True, cache=True)
def _batch_norm_backward(grad_u, c, mean, invstd, coefficients, grad_c):  # pragma: no cover - compiled
    """∂L/∂c = a·(∂L/∂n − mean(∂L/∂n) − x̂·mean(∂L/∂n · x̂)) with batch statistics; summed over the steps where
    one current stands for all of them. coefficients [3, C]: a and the two means (times the steps where summed)."""
    steps, batch, channels, size = grad_u.shape
    held = c.shape[0]
    for b in numba.prange(batch):
        if held == 1:
            for ch in range(channels):
                a, mg, mgx = coefficients[0, ch], coefficients[1, ch], coefficients[2, ch]
                for i in range(size):
                    total = grad_u[0, b, ch, i]
                    for t in range(1, steps):
                        total += grad_u[t, b, ch, i]
                    xhat = (c[0, b, ch, i] - mean[ch]) * invstd[ch]
                    grad_c[0, b, ch, i] = a * (total - (mg + xhat * mgx))
        else:
            for t in range(steps):
                for ch in range(channels):
                    a, mg, mgx = coefficients[0, ch], coefficients[1, ch], coefficients[2, ch]
                    for i in range(size):
                        xhat = (c[t, b, ch, i] - mean[ch]) * invstd[ch]
                        grad_c[t, b, ch, i] = a * (grad_u[t, b, ch, i] - mg - xhat * mgx)


@numba.njit(parallel=True, cache=True)
def _shifted_sums(c, shift, sums):  # pragma: no cover - compiled
    """Per batch row and channel Σ (c − shift) and Σ (c − shift)² into sums [B, 2, C] (float64: the shift by a
    value near the mean keeps the variance from cancelling)."""
    held, batch, channels, size = c.shape
    for b in numba.prange(batch):
        for t in range(held):
            for ch in range(channels):
                k, total, square = shift[ch], 0.0, 0.0
                for i in range(size):
                    d = c[t, b, ch, i] - k
                    total += d
                    square += d * d
                sums[b, 0, ch] += total
                sums[b, 1, ch] += square


def batch_statistics(currents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, biased variance) per channel of currents [T, B, C, S], in their dtype."""
    held, batch, channels, size = currents.shape
    c = _numpy(currents)
    shift = c[0, 0, :, 0].astype(np.float64)
    sums = np.zeros((batch, 2, channels))
    _set_threads()
    _shifted_sums(c, shift, sums)
    total, square = sums.sum(0) / (held * batch * size)
    return (torch.from_numpy(shift + total).to(currents.dtype),
            torch.from_numpy(np.maximum(square - total ** 2, 0.0)).to(currents.dtype))


def _set_threads() -> None:
    numba.set_num_threads(min(torch.get_num_threads(), numba.config.NUMBA_NUM_THREADS))


def _numpy(x: torch.Tensor) -> np.ndarray:
    return x.detach().contiguous().numpy()


class _NormalizedScan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, currents, weight, bias, mean, invstd, steps, tau, v_th, width, centre, batch_stats):
        held, batch, channels, size = currents.shape
        scale = weight.detach() * invstd
        shift = bias.detach() - mean * scale
        params = currents.new_tensor([tau, v_th, width / 2, 1.0 / width, 0.0, 1.0, centre]).numpy()
        needs_grad = any(ctx.needs_input_grad[:3])
        spikes = currents.new_empty((steps, batch, channels, size))
        u = currents.new_empty((steps, batch, channels, size) if needs_grad else (0, 0, 0, 0))
        _set_threads()
        _scan_forward(_numpy(currents), _numpy(scale), _numpy(shift), steps, params, u.numpy(), spikes.numpy())
        if needs_grad:
            ctx.save_for_backward(currents.detach().contiguous(), u, mean, invstd, scale)
            ctx.params, ctx.batch_stats = params, batch_stats
        return spikes

    @staticmethod
    def backward(ctx, grad_o):
        currents, u, mean, invstd, scale = ctx.saved_tensors
        steps, batch, channels, size = u.shape
        with_sums = ctx.batch_stats or ctx.needs_input_grad[1] or ctx.needs_input_grad[2]
        grad_u = torch.empty_like(u)
        sums = np.zeros((batch, 2, channels) if with_sums else (0, 2, channels))
        c, m, s = currents.numpy(), mean.numpy(), invstd.numpy()
        _set_threads()
        _scan_backward(_numpy(grad_o), u.numpy(), c, m, s, ctx.params, grad_u.numpy(), sums)
        total, moment = torch.from_numpy(sums.sum(0)).to(u.dtype)
        if ctx.batch_stats:
            n = steps * batch * size
            summed = steps if currents.shape[0] == 1 else 1
            coefficients = torch.stack([scale, total * summed / n, moment * summed / n])
            grad_c = grad_u if currents.shape[0] == steps else torch.empty_like(currents)  # in place, index by index
            _batch_norm_backward(grad_u.numpy(), c, m, s, coefficients.numpy(), grad_c.numpy())
        else:
            grad_c = grad_u * scale[:, None]
            if currents.shape[0] == 1:
                grad_c = grad_c.sum(0, keepdim=True)
        grad_weight = moment if ctx.needs_input_grad[1] else None
        grad_bias = total if ctx.needs_input_grad[2] else None
        return grad_c, grad_weight, grad_bias, None, None, None, None, None, None, None, None


def normalized_lif(currents: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, mean: torch.Tensor,
                   invstd: torch.Tensor, steps: int, tau: float, v_th: float, width: float = 1.0,
                   centre: float = 0.0, batch_stats: bool = True) -> torch.Tensor:
    """Spikes [steps, B, C, S] of LIF neurons (multiplicative reset, rectangular surrogate of `width` around the
    membrane value `centre`) driven by currents [T_c, B, C, S] normalised per channel: (c − mean)·invstd·weight +
    bias. `batch_stats`: mean and invstd are the batch's own statistics of these currents (their gradient flows
    back through them, as in a training-mode batch norm); otherwise they are constants (running statistics). CPU
    tensors only."""
    return _NormalizedScan.apply(currents, weight, bias, mean, invstd, steps, tau, v_th, width, centre, batch_stats)
