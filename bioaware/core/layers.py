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
    """A stride-1 2-D convolution that produced a layer's weight matrix: kernel [out, in, kh, kw] over
    inputs of shape (channels, height, width) with zero padding."""

    kernel: np.ndarray
    in_shape: tuple
    padding: int = 0


@dataclass
class DenseSpikingLayer:
    """`weight` [out, in] (no bias) into neurons of per-step membrane leak `leak`, threshold `v_th`, reset to 0.

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

    @property
    def size(self) -> int:
        return self.weight.shape[0]


def tau_from_leak(leak: float, dt: float) -> float:
    """Membrane time constant (s) whose exact decay over `dt` (s) is 1 − `leak`; inf for leak = 0."""
    return math.inf if leak == 0.0 else -dt / math.log1p(-leak)


def leak_from_tau(tau: float, dt: float) -> float:
    """Per-step leak α = 1 − exp(−dt/τ)."""
    return 0.0 if math.isinf(tau) else -math.expm1(-dt / tau)
