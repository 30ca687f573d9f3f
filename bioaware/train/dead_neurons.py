"""S4NN's remedy for single-spike IF hidden neurons that stopped firing: re-draw their input weights."""

from __future__ import annotations

import torch

from bioaware.models.ttfs_net import uniform_weights


class DeadNeuronRedraw:
    """Counts each hidden neuron's spikes; after every `every` batches, the input weights of those that fired for
    fewer than `below` of these batches' images are drawn afresh from U[low, high) and their output weights set
    to 0: a re-drawn neuron that starts firing would otherwise sway the next layer through its old weights.
    With `inputs`, only the first `inputs` input weights are re-drawn (the rest, e.g. label inputs, are kept)."""

    def __init__(self, size: int, every: int, below: float, low: float, high: float, inputs: int | None = None):
        self.every, self.below, self.low, self.high, self.inputs = every, below, low, high, inputs
        self.fired = torch.zeros(size)  # spike counts since the last check
        self.seen, self.batches = 0, 0

    @torch.no_grad()
    def observe(self, hidden_times: torch.Tensor, steps: int, w_in: torch.Tensor, w_out: torch.Tensor,
                generator: torch.Generator) -> None:
        """Count the batch's hidden spikes (times [B, H], T = silent); at a check, re-draw rows of `w_in` [H, in]
        and zero columns of `w_out` [out, H] in place."""
        if not self.every:
            return
        self.fired += (hidden_times < steps).sum(0).cpu()
        self.seen, self.batches = self.seen + len(hidden_times), self.batches + 1
        if self.batches % self.every:
            return
        dead = (self.fired < self.below * self.seen).to(w_in.device)
        inputs = self.inputs or w_in.shape[1]
        fresh = uniform_weights(int(dead.sum()), inputs, self.low, self.high, generator)
        w_in[dead, :inputs] = fresh.to(w_in.device, w_in.dtype)
        w_out[:, dead] = 0.0
        self.fired.zero_()
        self.seen = 0

    def state_dict(self) -> dict:
        return {"fired": self.fired, "seen": self.seen, "batches": self.batches}

    def load_state_dict(self, state: dict) -> None:
        self.fired = state.get("fired", self.fired)
        self.seen, self.batches = state.get("seen", 0), state.get("batches", 0)
