"""Layer specs run in discrete time, in float64: what an exported graph must reproduce in matched order.

At every step each layer takes the previous layer's spikes (the first layer: the input at that step),
    V[t] = (1 − α)·V[t−1]·(1 − o[t−1]) + W·x[t] + b,   o[t] = [V[t] ≥ V_th]
(reset to 0 by multiplication, as `to_nir.RESET_METADATA` says); a readout layer (LI) keeps V and never spikes.
"""

from __future__ import annotations

import numpy as np

from bioaware.core.layers import DenseSpikingLayer


def run_layers(layers: list[DenseSpikingLayer], inputs: np.ndarray) -> dict[str, np.ndarray]:
    """Layer name → spikes [T, B, N] (a readout layer: its membrane V [T, B, N]) for `inputs` [T, B, n_in]
    (spikes, or analog values for the first layer)."""
    steps, batch = inputs.shape[:2]
    state = {layer.name: (np.zeros((batch, layer.size)), np.zeros((batch, layer.size))) for layer in layers}
    out = {layer.name: np.zeros((steps, batch, layer.size)) for layer in layers}
    for t in range(steps):
        x = np.asarray(inputs[t], dtype=np.float64).reshape(batch, -1)
        for layer in layers:
            v, o = state[layer.name]
            current = np.asarray(layer.weight @ x.T).T
            if layer.bias is not None:
                current = current + layer.bias
            v = (1.0 - layer.leak) * v * (1.0 - o) + current
            o = np.zeros_like(v) if layer.readout else (v >= layer.v_th).astype(np.float64)
            state[layer.name] = (v, o)
            out[layer.name][t] = v if layer.readout else o
            x = o
    return out
