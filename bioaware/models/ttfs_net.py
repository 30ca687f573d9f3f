"""Feed-forward networks of single-spike IF neurons on time-to-first-spike codes (S4NN classifier,
Spiking-GAN generator and discriminator): a list of bias-free dense layers, each with its threshold."""

from __future__ import annotations

import torch
from torch import nn

from bioaware.core.layers import DenseSpikingLayer
from bioaware.models.functional.ttfs import if_spike_times


def uniform_weights(n_out: int, n_in: int, low: float, high: float,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Weights [n_out, n_in] drawn uniformly from [low, high)."""
    return low + torch.rand(n_out, n_in, generator=generator) * (high - low)


class TTFSNetwork(nn.Module):
    """Sizes [n_in, h, …, n_out]; layer k has weights uniform in [`init_low[k]`, `init_high[k]`) (low 0 when not
    given) and threshold `thresholds[k]`; `causal_input_grad` (one for all layers or one per layer) says whether a
    layer passes its time gradient only to inputs that fired before the neuron (see `if_spike_times`).

    `forward` maps input spike times [B, n_in] (steps, T = silent) to every layer's spike times.
    """

    def __init__(self, sizes: list[int], thresholds: list[float], init_high: list[float], steps: int,
                 norm: str = "l2", names: list[str] | None = None, causal_input_grad: bool | list[bool] = True,
                 init_low: list[float] | None = None):
        super().__init__()
        init_low = init_low or [0.0] * len(init_high)
        if not len(thresholds) == len(init_high) == len(init_low) == len(sizes) - 1:
            raise ValueError(f"{len(sizes) - 1} layers need as many thresholds and init bounds, "
                             f"got {len(thresholds)}, {len(init_high)} and {len(init_low)}")
        self.steps, self.norm, self.thresholds = steps, norm, [float(t) for t in thresholds]
        causal = causal_input_grad if isinstance(causal_input_grad, list) else [causal_input_grad] * (len(sizes) - 1)
        self.causal_input_grad = [bool(c) for c in causal]
        self.names = names or [f"layer{k}" for k in range(len(sizes) - 1)]
        self.weights = nn.ParameterList(
            nn.Parameter(uniform_weights(n_out, n_in, low, high))
            for n_in, n_out, low, high in zip(sizes, sizes[1:], init_low, init_high))

    def forward(self, in_times: torch.Tensor, hidden: torch.Tensor | None = None) -> list[torch.Tensor]:
        """`hidden` (bool [h], optional) runs only those neurons of every hidden layer, as if the others stayed
        silent: their rows and columns are left out, so the hidden layers' times hold the kept neurons only."""
        times, out = in_times, []
        last = len(self.weights) - 1
        for k, (weight, threshold, causal) in enumerate(zip(self.weights, self.thresholds, self.causal_input_grad)):
            if hidden is not None:
                weight = weight[hidden] if k < last else weight
                weight = weight[:, hidden] if k > 0 else weight
            times = if_spike_times(times, weight, threshold, self.steps, self.norm, causal)
            out.append(times)
        return out

    def layer_specs(self, dt: float) -> list[DenseSpikingLayer]:
        """IF layers (leak 0) whose refractory period (s) outlasts the window of `steps` steps of `dt` s:
        every neuron fires at most once, and its membrane stays clamped at the reset value afterwards."""
        meta = {"refractory_period": (self.steps + 1) * dt, "single_spike": True, "v_reset": 0.0,
                "steps": self.steps, "code": "time-to-first-spike"}
        return [DenseSpikingLayer(name, w.detach().double().cpu().numpy(), 0.0, th, dict(meta))
                for name, w, th in zip(self.names, self.weights, self.thresholds)]

