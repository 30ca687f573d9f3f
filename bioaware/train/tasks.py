"""Trainable autoencoder tasks: a model, its optimiser, one training batch, one reconstruction.

The shared loop (`bioaware.train.loop`) drives any task, so the SNN and its ANN baselines
are trained, checkpointed and evaluated by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from bioaware.config import ModelSection, TrainSection
from bioaware.data.encoders import rate_encode
from bioaware.models.ann_ae import AnnAutoencoder
from bioaware.models.conv_if_ae import ConvIFAutoencoder
from bioaware.models.functional.lif import LIFParameters
from bioaware.models.roy_ae import RoyAutoencoder
from bioaware.train.losses import masked_membrane_loss


@dataclass
class Reconstruction:
    output: torch.Tensor  # what is compared with the image: summed output spikes or ANN output [B, 784]
    in_counts: torch.Tensor | None = None  # input spikes summed over time (spiking tasks)
    hidden_rate: float | None = None  # mean hidden spikes per neuron per step


def make_optimizer(params, name: str, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)


class Task:
    """Base: holds `model` and `optimizer`, saves and restores both."""

    phase: str
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])

    def _update(self, loss: torch.Tensor) -> float:
        """One optimiser step on `loss`; returns its value."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def train_batch(self, images: torch.Tensor, generator: torch.Generator) -> float:
        raise NotImplementedError

    def reconstruct(self, images: torch.Tensor, generator: torch.Generator) -> Reconstruction:
        raise NotImplementedError


class SpikingAutoencoderTask(Task):
    """A spiking autoencoder (Roy et al.'s LIF model, or the convolutional IF model) trained on the masked
    output-membrane loss.

    `update = "bptt"`: one weight update per batch, gradients through the whole window.
    `update = "per_step"`: one update per time step, from that step's loss with the membrane
    state carried forward but not differentiated (T updates per batch, as in the paper).
    """

    def __init__(self, m: ModelSection, t: TrainSection, phase: str = "snn"):
        self.phase, self.m, self.t = phase, m, t
        p = LIFParameters(m.leak, m.v_th, m.surrogate_slope)
        self.model = ConvIFAutoencoder(tuple(m.channels), m.kernel_size, p._replace(leak=0.0)) \
            if m.kind == "conv_if_ae" else RoyAutoencoder(784, m.hidden, p)
        self.optimizer = make_optimizer(self.model.parameters(), t.optimizer, t.lr, t.weight_decay)

    def encode(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return rate_encode(self.m.encoder, images, self.m.steps, self.m.max_rate, generator)

    def train_batch(self, images, generator):
        spikes = self.encode(images, generator)
        if self.t.update == "bptt":
            out = self.model(spikes)
            return self._update(masked_membrane_loss(out.out_v, out.out_z, spikes, self.m.v_th, self.t.mask))
        total, state = 0.0, None
        for x_t in spikes:
            out, state = self.model.step(x_t, state)
            total += self._update(masked_membrane_loss(out.out_v, out.out_z, x_t, self.m.v_th, self.t.mask))
            state = tuple(s.detach() for s in state)
        return total

    @torch.no_grad()
    def reconstruct(self, images, generator):
        spikes = self.encode(images, generator)
        out = self.model(spikes)
        return Reconstruction(out.out_z.sum(0), spikes.sum(0), float(out.hidden_z.mean()))


class AnnAutoencoderTask(Task):
    """Same-size ANN autoencoder, ½‖x − x̂‖² per image averaged over the batch."""

    def __init__(self, m: ModelSection, optimizer: str, lr: float, weight_decay: float, phase: str):
        self.phase = phase
        self.model = AnnAutoencoder(784, m.hidden, m.ann_activation)
        self.optimizer = make_optimizer(self.model.parameters(), optimizer, lr, weight_decay)

    def train_batch(self, images, generator):
        return self._update(0.5 * (self.model(images) - images).pow(2).sum() / len(images))

    @torch.no_grad()
    def reconstruct(self, images, generator):
        return Reconstruction(self.model(images))
