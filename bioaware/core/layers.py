"""Layer specs: what a feed-forward spiking model is, independent of the framework that runs it.

A dense spiking layer maps discrete-time training parameters to NIR's continuous time:
the per-step leak α of V[t] = (1 − α)·V[t−1] + I[t] at step Δt is the exact decay of
τ·dV/dt = −V over Δt, so 1 − α = exp(−Δt/τ); a spike of weight w must move V by exactly w, so
a delta input current w·δ(t) needs R = τ (LIF: τ·dV/dt = −V + R·I). α = 0 is an IF neuron
(dV/dt = R·I, R = 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class ConvGeometry:
    """A 2-D convolution that produced a layer's weight matrix: kernel [out, in, kh, kw] over inputs of shape
    (channels, height, width) with zero padding and stride. `input_dilation` d > 1 puts d − 1 zeros between
    neighbouring input pixels first: a transposed convolution of stride d is such a convolution
    (`transposed_as_conv`)."""

    kernel: np.ndarray
    in_shape: tuple
    padding: int = 0
    stride: int = 1
    input_dilation: int = 1

    @property
    def out_shape(self) -> tuple:
        """(channels, height, width) of the output."""
        kh, kw = self.kernel.shape[2:]
        spread = [(n - 1) * self.input_dilation + 1 for n in self.in_shape[1:]]
        return (self.kernel.shape[0], (spread[0] + 2 * self.padding - kh) // self.stride + 1,
                (spread[1] + 2 * self.padding - kw) // self.stride + 1)


def transposed_as_conv(weight: np.ndarray, in_shape: tuple, stride: int, padding: int,
                       output_padding: int = 0) -> ConvGeometry:
    """The convolution equal to a transposed convolution (torch's ConvTranspose2d layout, weight [in, out, k, k]):
    the kernel flipped and its channels swapped, over the input with stride − 1 zeros between pixels. Torch pads
    the zero-inserted input by k − 1 − p before and k − 1 − p + output_padding after; one symmetric padding does
    the same once the kernel has `output_padding` zero rows and columns in front."""
    k = weight.shape[2]
    kernel = np.flip(np.asarray(weight, dtype=np.float64), (2, 3)).transpose(1, 0, 2, 3)
    kernel = np.pad(kernel, ((0, 0), (0, 0), (output_padding, 0), (output_padding, 0)))
    return ConvGeometry(np.ascontiguousarray(kernel), tuple(in_shape), k - 1 - padding + output_padding, 1, stride)


@dataclass
class DenseSpikingLayer:
    """`weight` [out, in] (and an optional per-step `bias`) into neurons of per-step membrane leak `leak`,
    threshold `v_th`, reset to 0.

    An input spike of weight w adds w to the membrane (LIF, IF) or, with `tau_syn` > 0 (s), to a
    synaptic current I that decays with τ_syn and drives τ_mem·dv/dt = −v + I (CUBA LIF; alpha-shaped
    PSP when τ_syn = τ_mem). `readout` layers are leaky integrators (LI): no threshold, no spikes.
    A layer made by a convolution keeps its `conv` geometry (NIR export writes a Conv2d node);
    its `weight` is then the equivalent scipy-sparse matrix over flattened (C, H, W) activations.
    """

    name: str
    weight: np.ndarray
    leak: float
    v_th: float
    metadata: dict = field(default_factory=dict)
    tau_syn: float = 0.0
    readout: bool = False
    conv: ConvGeometry | None = None
    bias: np.ndarray | None = None  # [size]: added to every neuron's membrane at every step
    neuron_shape: tuple = ()  # the neurons' shape when a dense layer feeds a convolution, e.g. (256, 2, 2)

    @property
    def shape(self) -> tuple:
        """The neurons' shape: `neuron_shape`, else (channels, height, width) after a convolution, else (size,)."""
        return self.neuron_shape or (self.conv.out_shape if self.conv else (self.size,))

    @property
    def size(self) -> int:
        return self.weight.shape[0]


def tau_from_leak(leak: float, dt: float) -> float:
    """Membrane time constant (s) whose exact decay over `dt` (s) is 1 − `leak`; inf for leak = 0."""
    return math.inf if leak == 0.0 else -dt / math.log1p(-leak)


def charge_per_step(leak: float, dt: float) -> float:
    """How much a constant input current of 1 moves V over one step `dt` (s) from rest, with R = τ (LIF) or
    R = 1 (IF, leak 0): τ·α, or dt. A discrete-time bias b is the current b / charge_per_step."""
    return dt if leak == 0.0 else tau_from_leak(leak, dt) * leak


def leak_from_tau(tau: float, dt: float) -> float:
    """Per-step leak α = 1 − exp(−dt/τ)."""
    return 0.0 if math.isinf(tau) else -math.expm1(-dt / tau)
