"""S4NN-style time-to-first-spike classifier (784-H-10 single-spike IF), trained with Spiking-GAN's aggressive
TTFS loss or S4NN's relative targets (`ttfs.target`), or as a binary-step network through a surrogate gradient
(`ttfs.rule`), optionally followed by a readout phase that trains the output layer alone on its membrane
potentials; its decision, the time it takes and the spikes it costs."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from bioaware.core.config import ModelSection, TTFSSection, TrainSection
from bioaware.models.functional.ttfs import first_crossing, if_spike_times, membrane_bins, received_by, ttfs_encode
from bioaware.models.ttfs_net import TTFSNetwork
from bioaware.train.dead_neurons import DeadNeuronRedraw
from bioaware.train.losses import race_loss, shortfall, ttfs_loss, ttfs_targets
from bioaware.evaluation.ttfs_accuracy import latency_figure
from bioaware.train.tasks import Task, Validator, make_optimizer


SCALES = 2.0 ** (torch.arange(-24, 25) / 8)  # output-weight factors the held-out check tries (threshold θ/f): 1/8 … 8
MOST_SILENT = 0.005  # … the largest fraction of held-out images allowed to end without an output spike


@dataclass
class Decisions:
    """Per image: predicted class, decision time (first output spike, T when none) and spike counts."""

    predicted: torch.Tensor
    first_to_fire: torch.Tensor  # [B, classes] bool: the output neurons that spiked at the decision time
    decision_time: torch.Tensor
    spikes_to_decision: torch.Tensor  # hidden + output spikes at or before the decision time
    input_spikes_to_decision: torch.Tensor
    spikes: torch.Tensor  # hidden + output spikes in the whole window


def decide(in_times: torch.Tensor, hidden: torch.Tensor, output: torch.Tensor, w_out: torch.Tensor,
           steps: int) -> Decisions:
    """The earliest output neuron wins; ties (same step) and silent outputs go to the highest output
    potential at the decision step (at the window's end when no output fired)."""
    first = output.min(1).values
    step = torch.where(first < steps, first - 1, torch.full_like(first, steps - 1)).long()
    potential = membrane_bins(hidden, w_out.to(hidden.dtype), steps)[torch.arange(len(first)), step]
    first_to_fire = (output == first[:, None]) & (first[:, None] < steps)
    candidates = first_to_fire | (first[:, None] >= steps)
    predicted = torch.where(candidates, potential, torch.full_like(potential, -torch.inf)).argmax(1)
    before = lambda t: ((t <= first[:, None]) & (t < steps)).sum(1)  # noqa: E731
    return Decisions(predicted, first_to_fire, first, before(hidden) + before(output), before(in_times),
                     (hidden < steps).sum(1) + (output < steps).sum(1))


def summarise(d: Decisions, labels: torch.Tensor, steps: int) -> dict:
    """Accuracy, mean decision time (over images with an output spike), spikes; also per digit.

    `accuracy_ties_count` is S4NN's published measure (its evaluation code): an image is also right when the
    right neuron merely shares the first output spike time with others; `accuracy` breaks such ties."""
    correct = (d.predicted == labels).float()
    decided = d.decision_time < steps
    tie_lenient = (d.first_to_fire[torch.arange(len(labels)), labels] | (~decided & (d.predicted == labels))).float()

    def stats(keep: torch.Tensor) -> dict:
        return {"accuracy": float(correct[keep].mean()), "accuracy_ties_count": float(tie_lenient[keep].mean()),
                "decision_time": float(d.decision_time[keep & decided].float().mean()) if (keep & decided).any()
                else float(steps),
                "spikes_to_decision": float(d.spikes_to_decision[keep].float().mean()),
                "input_spikes_to_decision": float(d.input_spikes_to_decision[keep].float().mean()),
                "spikes": float(d.spikes[keep].float().mean()),
                "no_output_spike": float((~decided[keep]).float().mean())}

    everything = torch.ones_like(decided)
    return {**stats(everything), "n_test": len(labels),
            "per_digit": {str(k): stats(labels == k) for k in range(10) if (labels == k).any()}}


def output_scale(in_times: torch.Tensor, hidden: torch.Tensor, w_out: torch.Tensor, threshold: float,
                 labels: torch.Tensor, steps: int, deadline: float) -> tuple[float, dict]:
    """The factor f for the output weights (the same decisions as threshold θ/f) with the most accurate decisions
    on these images (input and hidden spike times), among the `SCALES` whose mean decision comes by `deadline`
    (steps) with at most `MOST_SILENT` of the images silent; 1 when none does. Returns f and its `summarise`."""
    checked = {}
    for f in SCALES.tolist():
        output = first_crossing(membrane_bins(hidden, f * w_out, steps), threshold)
        checked[f] = summarise(decide(in_times, hidden, output, f * w_out, steps), labels, steps)
    fits = [f for f, r in checked.items() if r["decision_time"] <= deadline and r["no_output_spike"] <= MOST_SILENT]
    f = max(fits, key=lambda f: (checked[f]["accuracy"], f)) if fits else 1.0  # equal accuracy: the earlier
    return f, checked[f]


class TTFSClassifier(Task):
    """784-H-10 single-spike IF classifier on TTFS-coded images: its network, decisions, metrics and figures;
    the training phases below differ only in what they train and how.

    With `ttfs.held_out` images (the last of the training set, never trained on) and `train.select_every`, each
    check scales the output weights as `output_scale` picks on them; the run keeps the most accurate model."""

    supervised = True
    trains_hidden = True  # false: the hidden layer is fixed, so its filter figure is the previous phase's

    def __init__(self, m: ModelSection, tt: TTFSSection, phase: str):
        self.phase, self.tt = phase, tt
        self.model = TTFSNetwork([784, m.hidden, 10], tt.thresholds, tt.init_high, tt.steps, tt.grad_norm,
                                 names=["hidden", "classes"], init_low=tt.init_low)
        self.scale = 1.0  # the last check's output-weight factor, applied by keep_selected

    def training_set(self, data) -> tuple[torch.Tensor, torch.Tensor]:
        cut = len(data.train_x) - self.tt.held_out
        return data.train_x[:cut], data.train_y[:cut]

    def validator(self, data, run, seed: int):
        """A function task → {accuracy_held, decision_time_held, no_output_spike_held, output_scale, score} on the
        held-out images, at the output scale that `output_scale` picks for them (score: −accuracy)."""
        in_times = self.encode(data.train_x[-self.tt.held_out:])
        labels = data.train_y[-self.tt.held_out:].to(self.device)

        @torch.no_grad()
        def validate(task: "TTFSClassifier", step: int) -> dict:
            (w_hidden, w_out), (th_hidden, th_out) = task.model.weights, task.model.thresholds
            hidden = if_spike_times(in_times, w_hidden, th_hidden, self.tt.steps)
            task.scale, r = output_scale(in_times, hidden, w_out, th_out, labels, self.tt.steps,
                                         self.tt.select_deadline)
            return {"accuracy_held": r["accuracy"], "decision_time_held": r["decision_time"],
                    "no_output_spike_held": r["no_output_spike"], "output_scale": task.scale, "score": -r["accuracy"]}

        return Validator(validate)

    def keep_selected(self) -> None:
        with torch.no_grad():
            self.model.weights[1].mul_(self.scale)
        self.scale = 1.0

    def state_dict(self) -> dict:
        return {**super().state_dict(), "scale": self.scale}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.scale = state.get("scale", 1.0)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        return ttfs_encode(images, self.tt.steps).to(self.device)

    @torch.no_grad()
    def decisions(self, images: torch.Tensor, batch_size: int = 500) -> Decisions:
        """Decisions on `images` (cpu tensors)."""
        parts = []
        for start in range(0, len(images), batch_size):
            in_times = self.encode(images[start:start + batch_size])
            hidden, output = self.model(in_times)
            parts.append(decide(in_times, hidden, output, self.model.weights[1], self.tt.steps))
        return Decisions(*(torch.cat([getattr(p, f).cpu() for p in parts]) for f in Decisions.__dataclass_fields__))

    def test_metrics(self, data, batch_size: int, seed: int, run) -> dict:
        self.model.eval()
        return summarise(self.decisions(data.test_x, batch_size), data.test_y, self.tt.steps)

    def figures(self, data, seed: int, run, results: dict) -> None:
        from bioaware.core.figures import filter_grid, per_digit_bars

        per_digit_bars(results["per_digit"], run.figures / f"per_digit_{self.phase}.png",
                       f"{run.path.name}: {self.phase}, test accuracy {results['accuracy']:.4f}")
        if self.trains_hidden:
            filter_grid(self.model.weights[0].detach().cpu().numpy()[:64],
                        run.figures / f"hidden_filters_{self.phase}.png",
                        f"{run.path.name}: first 64 hidden neurons' input weights")
        latency_figure({self.phase: results}, run.figures / f"latency_accuracy_{self.phase}.png",
                       f"{run.path.name}: accuracy against decision time")


class S4NNClassifierTask(TTFSClassifier):
    """Phase "snn": both layers trained with S4NN's temporal backprop, targets by `ttfs.target`; neurons that
    fire for fewer than `ttfs.reset_dead_below` of the images are redrawn (S4NN)."""

    def __init__(self, m: ModelSection, tt: TTFSSection, t: TrainSection):
        super().__init__(m, tt, phase="snn")
        self.optimizer = make_optimizer(self.model.parameters(), t.optimizer, t.lr, t.weight_decay)
        self.redraw = DeadNeuronRedraw(m.hidden, tt.reset_dead_every, tt.reset_dead_below, tt.init_low[0],
                                       tt.init_high[0])

    def train_batch(self, images, generator, labels):
        hidden, output = self.model(self.encode(images))
        targets = ttfs_targets(output, labels.to(self.device), self.tt.steps, self.tt.margin, self.tt.target,
                              self.tt.deadline)
        loss = self._update(ttfs_loss(output, targets, self.tt.steps))
        self.redraw.observe(hidden, self.tt.steps, *self.model.weights, generator)
        return loss

    def state_dict(self) -> dict:
        return {**super().state_dict(), **self.redraw.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.redraw.load_state_dict(state)


class SurrogateClassifierTask(TTFSClassifier):
    """Phase "surrogate": both layers trained as a binary-step network seen at random steps.

    At a step s the hidden layer's state is which spikes have arrived, [t_j ≤ s] (exact: `received_by`), and
    the output potentials are V(s) = W₁·[t ≤ s]. Each training image is seen at `ttfs.surrogate_samples` steps
    drawn from `ttfs.surrogate_steps`: cross-entropy of V(s)/`surrogate_temperature` at each, plus
    `surrogate_late`·(θ − V_right(last step))₊/θ so that the right output reaches θ in time. Gradients reach
    the hidden layer through a fast-sigmoid surrogate. Input spikes are dropped (`ttfs.input_drop`), hidden
    spikes dropped (`ttfs.hidden_drop`) and the hidden membranes jittered (`ttfs.surrogate_noise`) in training.
    """

    def __init__(self, m: ModelSection, tt: TTFSSection, t: TrainSection):
        super().__init__(m, tt, phase="surrogate")
        self.optimizer = make_optimizer(self.model.parameters(), t.optimizer, t.lr, t.weight_decay)

    def train_batch(self, images, generator, labels):
        tt, (w_hidden, w_out), (th_hidden, th_out) = self.tt, self.model.weights, self.model.thresholds
        in_times = self.encode(images)
        dropped = torch.rand(in_times.shape, generator=generator).to(self.device) < tt.input_drop
        in_times = in_times.masked_fill(dropped, tt.steps)
        first, last = tt.surrogate_steps
        at = torch.randint(first, last + 1, (len(images), tt.surrogate_samples), generator=generator)
        at = torch.cat([at, torch.full((len(images), 1), last)], 1).to(self.device)
        noise = tt.surrogate_noise * torch.randn(*at.shape, w_hidden.shape[0], generator=generator).to(self.device)
        received = received_by(in_times, w_hidden, th_hidden, at, tt.surrogate_width, noise)
        kept = torch.rand(received.shape, generator=generator).to(self.device) >= tt.hidden_drop
        potentials = (received * kept / (1.0 - tt.hidden_drop)) @ w_out.t()  # [B, samples + 1, classes]
        labels = labels.to(self.device)
        at_random = potentials[:, :-1].reshape(-1, potentials.shape[2])
        loss = torch.nn.functional.cross_entropy(at_random / tt.surrogate_temperature,
                                                 labels.repeat_interleave(tt.surrogate_samples))
        late = shortfall(potentials[torch.arange(len(labels)), -1, labels], th_out)
        return self._update(loss + tt.surrogate_late * late)


class TTFSReadoutTask(TTFSClassifier):
    """Phase "readout": the trained classifier's output layer (S4NN or surrogate phase), trained alone with `race_loss`.

    The hidden layer is copied from `base` when training starts and stays fixed; the output potentials are linear
    in the output weights given the hidden spike times, so their gradient is exact (no surrogate, no S4NN
    linearisation). The network is the same single-spike IF classifier; only its output weights change.
    """

    trains_hidden = False

    def __init__(self, base: TTFSClassifier, m: ModelSection, tt: TTFSSection, t: TrainSection):
        super().__init__(m, tt, phase="readout")
        self.base = base
        self.model.weights[0].requires_grad_(False)
        self.optimizer = make_optimizer([self.model.weights[1]], t.optimizer, t.lr, t.weight_decay)

    def init_from_data(self, train_x, train_y, seed: int) -> None:
        self.model.load_state_dict(self.base.model.state_dict())  # a checkpoint of this phase replaces it

    def train_batch(self, images, generator, labels):
        with torch.no_grad():  # the hidden layer alone: the output layer's spikes are not needed here
            hidden = if_spike_times(self.encode(images), self.model.weights[0], self.model.thresholds[0], self.tt.steps)
        potentials = membrane_bins(hidden, self.model.weights[1], self.tt.steps)
        return self._update(race_loss(potentials, labels.to(self.device), self.model.thresholds[1],
                                      self.tt.readout_deadline, self.tt.readout_margin))
