"""Trainable autoencoder tasks: a model, its optimiser, one training batch, one reconstruction.

The shared loop (`bioaware.train.loop`) drives any task, so the SNN and its ANN baselines
are trained, checkpointed and evaluated by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from bioaware.core.errors import BioawareError
from bioaware.core.processes import ProcessGroup
from bioaware.core.metrics import normalised_mse, spike_mse
from bioaware.core.config import ModelSection, TemporalSection, TrainSection
from bioaware.data.encoders import add_noise, latency_decode, latency_encode, rate_encode
from bioaware.models.ann_ae import AnnAutoencoder
from bioaware.models.comsa_ae import AlphaParameters, ComsaAutoencoder
from bioaware.models.conv_if_ae import ConvIFAutoencoder
from bioaware.models.functional.lif import LIFParameters
from bioaware.models.roy_ae import RoyAutoencoder
from bioaware.train.losses import masked_membrane_loss


@dataclass
class Reconstruction:
    output: torch.Tensor  # what is compared with the image: summed output spikes or ANN output [B, 784]
    in_counts: torch.Tensor | None = None  # input spikes summed over time (rate-coded tasks)
    hidden_rate: float | None = None  # mean hidden spikes per neuron per step
    pixels: torch.Tensor | None = None  # reconstruction in pixel units [0, 1] where the model has them
    inputs: torch.Tensor | None = None  # what the model was fed, when it differs from the image (noise)


@dataclass
class Validator:
    """Model selection while training: `check(task, step)` scores the model at a check ({..., "score"}: lower is
    better); `finish(task)`, when given, runs once on the best checked model before the task keeps it."""

    check: Callable[["Task", int], dict]
    finish: Callable[["Task"], None] | None = None


OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


def make_optimizer(params, name: str, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    return OPTIMIZERS[name](params, lr=lr, weight_decay=weight_decay)


class Task:
    """Base: holds `model` and `optimizer`, saves and restores both."""

    phase: str
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    device = torch.device("cpu")  # where the model computes; batches arrive and results leave on the cpu
    supervised = False  # true: train_batch(images, generator, labels)
    spiking = True  # false: an ANN baseline, which export, compare and deploy pass over
    one_label_batches = False  # true: every training batch holds images of one label (`loop.batch_order`)
    shape: tuple = (1, 28, 28)  # (C, H, W) of one image
    progress = 0.0  # the fraction of its batches trained so far (set by the training loop before each batch)
    # trains across processes (torchrun): train_batch draws the whole batch's randomness, then trains on `shard`
    shardable = False
    shard = slice(None)  # this process's share of the batch (set by the training loop)
    share = 1.0  # … its size over the batch's
    group = ProcessGroup()  # the processes training together (set by the training loop)

    def to(self, device: str) -> "Task":
        """Move the model (and so its optimiser's parameters) to `device`."""
        if device == "cuda" and not torch.cuda.is_available():
            raise BioawareError("train.device = 'cuda' but PyTorch sees no CUDA GPU here; set train.device = 'cpu'")
        self.device = torch.device(device)
        self.model.to(self.device)
        return self

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])

    def keep_selected(self) -> None:
        """Called once when training with model selection ends, on the best checked model (a label-partitioned
        GAN then puts in each digit's best block)."""

    def _update(self, loss: torch.Tensor) -> float:
        """One optimiser step on `loss`; returns its value."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        value = loss.item()
        if self.group.world > 1:  # the batch's gradient: the processes' shares, summed by their weight
            value = self.group.combine(self.model.parameters(), value, self.share)
        self.optimizer.step()
        return value

    def train_batch(self, images: torch.Tensor, generator: torch.Generator) -> float:
        raise NotImplementedError

    def reconstruct(self, images: torch.Tensor, generator: torch.Generator) -> Reconstruction:
        raise NotImplementedError

    def training_set(self, data) -> tuple[torch.Tensor, torch.Tensor]:
        """The (images, labels) this task trains on: all of `data`'s training set unless a task narrows it."""
        return data.train_x, data.train_y

    def validator(self, data, run, seed: int) -> Validator:
        """Model selection (train.select_every > 0): what scores the model at each check. The families whose
        kinds allow train.select_every provide it."""
        raise NotImplementedError

    def init_from_data(self, train_x: torch.Tensor, train_y: torch.Tensor, seed: int) -> None:
        """Data-dependent initial weights from the training set, before training (a checkpoint replaces them)."""

    def test_metrics(self, data, batch_size: int, seed: int, run) -> dict:
        """Test-set metrics; autoencoders: the reconstruction metrics of :func:`evaluate`."""
        return evaluate(self, data.test_x, batch_size, seed)

    @torch.no_grad()
    def figures(self, data, seed: int, run, results: dict, n: int = 10) -> None:
        """Autoencoders: a grid of the first `n` test images, the inputs when noisy, and the reconstructions."""
        from bioaware.core.figures import reconstruction_grid

        images = data.test_x[:n]
        rec = self.reconstruct(images, torch.Generator().manual_seed(seed + 2))
        rows = {"image": images.numpy()}
        if rec.inputs is not None:
            rows["noisy input"] = rec.inputs.numpy()
        if rec.in_counts is not None:
            rows["input Σt"] = rec.in_counts.numpy()
            rows["output Σt"] = rec.output.numpy()
        else:
            rows["output"] = rec.output.numpy()
        reconstruction_grid(rows, run.figures / f"reconstruction_{self.phase}.png",
                            title=f"{run.path.name}: {self.phase}", shape=self.shape)


class SpikingAutoencoderTask(Task):
    """A spiking autoencoder (Roy et al.'s LIF model, or the convolutional IF model) trained on the masked
    output-membrane loss.

    `update = "bptt"`: one weight update per batch, gradients through the whole window.
    `update = "per_step"`: one update per time step, from that step's loss with the membrane
    state carried forward but not differentiated (T updates per batch, as in the paper).
    """

    shardable = True

    def __init__(self, m: ModelSection, t: TrainSection, phase: str = "snn"):
        self.phase, self.m, self.t = phase, m, t
        p = LIFParameters(m.leak, m.v_th, m.surrogate_slope)
        self.model = ConvIFAutoencoder(tuple(m.channels), m.kernel_size, p._replace(leak=0.0)) \
            if m.kind == "conv_if_ae" else RoyAutoencoder(784, m.hidden, p)
        self.optimizer = make_optimizer(self.model.parameters(), t.optimizer, t.lr, t.weight_decay)

    def encode(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return rate_encode(self.m.encoder, images, self.m.steps, self.m.max_rate, generator)

    def train_batch(self, images, generator):
        spikes = self.encode(images, generator)[:, self.shard]
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


class TemporalAutoencoderTask(Task):
    """Comşa et al.'s temporal-coding autoencoder: loss = MSE between output spike times and the targets
    latency + tᵢ (clean image), inputs optionally noisy (`train.noise`).

    A silent output counts at the end of the output window (latency + 1, i.e. pixel value 1) in the
    loss value; it has no time gradient, its weights get the no-spike penalty instead.
    """

    def __init__(self, m: ModelSection, tc: TemporalSection, t: TrainSection, phase: str = "snn"):
        self.phase, self.tc, self.noise = phase, tc, t.noise
        p = AlphaParameters(tc.decay, m.v_th, tc.no_spike_time, tc.clip_derivative, tc.penalty_no_spike)
        self.model = ComsaAutoencoder(784, m.hidden, tc.pulses, p, tc.weight_mean, tc.pulse_weight_mean,
                                       tc.output_pulse_span)
        self.optimizer = torch.optim.Adam([
            {"params": self.model.weight_parameters(), "lr": t.lr, "weight_decay": t.weight_decay},
            {"params": self.model.pulse_parameters(), "lr": tc.pulse_lr, "weight_decay": 0.0}])

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        return latency_encode(images, self.tc.invert, self.tc.no_spike_time)

    def targets(self, images: torch.Tensor) -> torch.Tensor:
        """Target output spike times: latency + input time of the clean image (non-spiking pixels: window end)."""
        return self.tc.latency + latency_encode(images, self.tc.invert, 1.0)

    def train_batch(self, images, generator):
        noisy = add_noise(images, self.noise, generator).to(self.device)
        images = images.to(self.device)
        out = self.model(self.encode(noisy))
        target = self.targets(images)
        window_end = torch.full_like(out.output, self.tc.latency + 1.0)
        counted = torch.where(out.output >= self.tc.no_spike_time, window_end, out.output)
        return self._update((counted - target).pow(2).mean())

    @torch.no_grad()
    def reconstruct(self, images, generator):
        noisy = add_noise(images, self.noise, generator)
        out = self.model(self.encode(noisy.to(self.device)))
        pixels = latency_decode(out.output, self.tc.latency, self.tc.invert).cpu()
        return Reconstruction(pixels, hidden_rate=float((out.hidden < self.tc.no_spike_time).float().mean()),
                              pixels=pixels, inputs=noisy if self.noise else None)


class AnnAutoencoderTask(Task):
    """Same-size ANN autoencoder, ½‖x − x̂‖² per image averaged over the batch; with `invert` it sees and
    reconstructs 1 − x, with `noise` η its inputs are noisy and its targets clean."""

    spiking = False
    shardable = True

    def __init__(self, m: ModelSection, optimizer: str, lr: float, weight_decay: float, phase: str,
                 invert: bool = False, noise: float = 0.0):
        self.phase, self.invert, self.noise = phase, invert, noise
        self.model = AnnAutoencoder(784, m.hidden, m.ann_activation)
        self.optimizer = make_optimizer(self.model.parameters(), optimizer, lr, weight_decay)

    def _code(self, x: torch.Tensor) -> torch.Tensor:
        return 1.0 - x if self.invert else x

    def train_batch(self, images, generator):
        noisy, images = add_noise(images, self.noise, generator)[self.shard], images[self.shard]
        out = self.model(self._code(noisy.to(self.device)))
        return self._update(0.5 * (out - self._code(images.to(self.device))).pow(2).sum() / len(images))

    @torch.no_grad()
    def reconstruct(self, images, generator):
        noisy = add_noise(images, self.noise, generator)
        pixels = self._code(self.model(self._code(noisy.to(self.device)))).cpu()
        return Reconstruction(pixels, pixels=pixels, inputs=noisy if self.noise else None)


@torch.no_grad()
def evaluate(task: Task, images: torch.Tensor, batch_size: int, seed: int) -> dict[str, float]:
    """Test-set metrics of Roy et al.: MSE (standardised image vs output) and, for SNNs, Spike-MSE."""
    task.model.eval()
    generator = torch.Generator().manual_seed(seed + 1)  # evaluation spikes never reuse training draws
    outputs, ins, rates, pixels = [], [], [], []
    for start in range(0, len(images), batch_size):
        rec = task.reconstruct(images[start:start + batch_size], generator)
        outputs.append(rec.output)
        if rec.in_counts is not None:
            ins.append(rec.in_counts)
        if rec.hidden_rate is not None:
            rates.append(rec.hidden_rate)
        if rec.pixels is not None:
            pixels.append(rec.pixels)
    output = torch.cat(outputs)
    result = {"mse": normalised_mse(images, output), "n_test": len(images)}
    if pixels:  # plain MSE in pixel units, the measure of Comşa et al.
        result["pixel_mse"] = float((torch.cat(pixels) - images).pow(2).mean())
    if rates and not ins:
        result["hidden_spiking_fraction"] = sum(rates) / len(rates)
    if ins:
        result["spike_mse"] = spike_mse(torch.cat(ins), output)
        result["hidden_rate"] = sum(rates) / len(rates)
        result["output_spikes_per_pixel"] = float(output.mean())
    return result
