"""Spiking-GAN (Kotariya & Ganguly 2021) and a same-shape ANN GAN, trained by the shared loop.

Spiking-GAN: generator noise-H-784 and discriminator 784-H-2 of single-spike IF neurons on
time-to-first-spike codes. The discriminator's neuron 0 says "real", neuron 1 "fake"; whichever
fires first decides. Least-squares temporal loss with dynamic targets (`ttfs.target`, `ttfs.margin`;
the paper's: aggressive with margin 0, i.e. the desired neuron should fire at the winner's time, the
other not at all (T)); the generator's step flips the desired neuron
on its own samples and backpropagates through the discriminator's spike times into its own.
Alternating updates, one discriminator step then one generator step per batch; L2 regularisation
is the optimiser's weight decay. Generated spike times decode to pixels as 1 − t/T.
With `ttfs.label_inputs` (all digits) both GANs are class-conditional: the generator is told which digit to
draw (label inputs firing at t = 0; the ANN: a one-hot code beside its noise and beside the discriminator's
image), every Spiking-GAN training batch holds one digit (the ANN GAN's are mixed, as usual for a conditional
GAN), and the samples are judged against the digit asked for.
`ttfs.generator_loss = "feature_matching"` replaces the generator's adversarial target by feature matching
(Salimans et al. 2016) in time: the batch-mean spike times of the discriminator's hidden neurons on generated
images should equal those on the batch of real ones; `"moment_matching"` matches their spread over the batch too.
"""

from __future__ import annotations

import torch
from torch import nn

from bioaware.core.config import ModelSection, TTFSSection, TrainSection
from bioaware.core.errors import BioawareError
from bioaware.core.log import info
from bioaware.models.functional.ttfs import ttfs_decode, ttfs_encode
from bioaware.models.ttfs_net import TTFSNetwork
from bioaware.train.block_selection import BestBlocks
from bioaware.train.dead_neurons import DeadNeuronRedraw
from bioaware.train.gan_init import init_blocks, init_from_exemplars, init_label_weights, partition_by_label
from bioaware.train.gan_losses import adapt_mode_seeking, feature_gap, mode_seeking_loss
from bioaware.train.losses import ttfs_loss, ttfs_targets
from bioaware.train.tasks import Task, Validator, make_optimizer

REAL, FAKE = 0, 1
QUALITY_SAMPLES = 5000
SELECTION_SAMPLES, SELECTION_REAL = 1000, 2000  # model selection: generated vs the digit's training images
RESCORE_SAMPLES, RESCORE_REAL = 2000, 4000  # partitioned, ttfs.block_candidates > 1: per digit, at the end
RECOGNISED_ENOUGH = 0.9  # model selection prefers samples recognised at least this often (the project's target)


def uniform_noise(n: int, size: int, generator: torch.Generator) -> torch.Tensor:
    """Discrete uniform noise in {0, 1/255, …, 1} [n, size] (the generator's input, before coding)."""
    return torch.randint(0, 256, (n, size), generator=generator).float() / 255.0


def unseen_images(images: torch.Tensor) -> torch.Tensor:
    """Up to RESCORE_REAL of a digit's training `images` that the checks never compare against (a dataset too small
    to spare SELECTION_REAL // 2 of them: its first RESCORE_REAL)."""
    rest = images[SELECTION_REAL // 2:]
    return (rest if len(rest) >= SELECTION_REAL // 2 else images)[:RESCORE_REAL]


class GANTask(Task):
    """Shared parts: one optimiser over both networks (generator first, at its own learning rate),
    the digit selection, and sample-quality evaluation with the run's cached judging classifier."""

    generator: nn.Module
    discriminator: nn.Module

    def __init__(self, tt: TTFSSection, t: TrainSection, phase: str, generator_lr: float):
        self.phase, self.tt = phase, tt
        self.supervised = self.conditional
        self.model = nn.ModuleDict({"generator": self.generator, "discriminator": self.discriminator})
        self.optimizer = make_optimizer([
            {"params": self.generator.parameters(), "lr": generator_lr},
            {"params": self.discriminator.parameters(), "lr": t.lr}], t.optimizer, t.lr, t.weight_decay)

    def training_set(self, data) -> tuple[torch.Tensor, torch.Tensor]:
        """Training images of the configured digit (all digits when ttfs.digit = −1)."""
        keep = data.train_y == self.tt.digit if self.tt.digit >= 0 else torch.ones_like(data.train_y, dtype=torch.bool)
        if not keep.any():
            raise BioawareError(f"{data.source} has no training images of digit {self.tt.digit}; "
                                f"pick another ttfs.digit or a dataset that has it")
        return data.train_x[keep], data.train_y[keep]

    def _step(self, loss: torch.Tensor, frozen: nn.Module) -> float:
        """One optimiser step on `loss` that leaves `frozen`'s parameters untouched."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        for p in frozen.parameters():
            p.grad = None
        self.optimizer.step()
        return loss.item()

    @property
    def conditional(self) -> bool:
        return self.tt.label_inputs > 0

    def asked(self, n: int) -> torch.Tensor | None:
        """The digits a conditional generator is asked to draw for n samples: 0, 1, …, 9, 0, …;
        None when unconditional."""
        return torch.arange(n) % 10 if self.conditional else None

    def intended(self, n: int) -> torch.Tensor | int:
        """The digit each of n samples is judged as: `asked(n)` when conditional, else `ttfs.digit` for all."""
        asked = self.asked(n)
        return self.tt.digit if asked is None else asked

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n generated images [n, 784] in [0, 1] (cpu), drawn as `intended(n)`."""
        raise NotImplementedError

    def validator(self, data, run, seed: int) -> Validator:
        """Checks task → {recognised, frechet_train, variety, score} on 1,000 samples (fixed noise) against
        the digit's first 2,000 training images, never the test set; score: recognised ≥ 0.9 first, then lower FD."""
        from bioaware.evaluation.digit_classifier import cached_digit_classifier
        from bioaware.evaluation.sample_quality import sample_quality

        judge, _ = cached_digit_classifier(run.path, data, seed)
        real = self.training_set(data)[0][:SELECTION_REAL]

        def validate(task: "GANTask", step: int) -> dict:
            q = sample_quality(judge, task.sample(SELECTION_SAMPLES, torch.Generator().manual_seed(seed + 3)), real,
                               self.intended(SELECTION_SAMPLES))
            return {"recognised": q["recognised"], "frechet_train": q["frechet"], "variety": q["variety"],
                    "score": [int(q["recognised"] < RECOGNISED_ENOUGH), q["frechet"]]}

        return Validator(validate)

    @torch.no_grad()
    def test_metrics(self, data, batch_size: int, seed: int, run) -> dict:
        from bioaware.evaluation.digit_classifier import cached_digit_classifier
        from bioaware.evaluation.sample_quality import nearest_distance, sample_quality

        self.model.eval()
        judge, judge_accuracy = cached_digit_classifier(run.path, data, seed)
        real = (data.test_x if self.tt.digit < 0 else data.test_x[data.test_y == self.tt.digit])[:QUALITY_SAMPLES]
        samples = self.sample(QUALITY_SAMPLES, torch.Generator().manual_seed(seed + 1))
        train = self.training_set(data)[0]
        return {**sample_quality(judge, samples, real, self.intended(QUALITY_SAMPLES)),
                "nearest_train": float(nearest_distance(samples, train).mean()),
                "nearest_train_real": float(nearest_distance(real, train).mean()),
                "digit": self.tt.digit, "judge_test_accuracy": judge_accuracy}

    def figures(self, data, seed: int, run, results: dict) -> None:
        from bioaware.core.figures import reconstruction_grid

        samples = self.sample(80, torch.Generator().manual_seed(seed + 2)).numpy()
        reconstruction_grid({f"{k}": samples[10 * k:10 * k + 10] for k in range(8)},
                            run.figures / f"samples_{self.phase}.png",
                            f"{run.path.name}: {self.phase} samples "
                            f"(digit {self.tt.digit if self.tt.digit >= 0 else 'all'}"
                            f"{', columns 0–9' if self.conditional else ''}), "
                            f"recognised {results['recognised']:.2f}, Fréchet {results['frechet']:.1f}")


class SpikingGANTask(GANTask):
    def __init__(self, m: ModelSection, tt: TTFSSection, t: TrainSection, phase: str = "snn"):
        self.generator = TTFSNetwork([tt.noise_size + 10 * tt.label_inputs, m.hidden, 784], tt.thresholds, tt.init_high,
                                     tt.steps, tt.grad_norm, names=["g_hidden", "g_output"], init_low=tt.init_low)
        if tt.label_partition:
            partition_by_label(self.generator.weights[0], tt.noise_size, tt.label_inputs, tt.thresholds[0])
            init_blocks(self.generator.weights[1], tt.block_output_init)
        elif tt.label_inputs:
            init_label_weights(self.generator.weights[0], tt.noise_size, tt.label_inputs, tt.label_gate,
                               tt.label_drive, tt.thresholds[0])
        # partitioned: a hidden block silenced for the batch's digit learns nothing from it
        causal = [tt.d_causal_input_grad, tt.label_partition or tt.d_causal_input_grad]
        self.discriminator = TTFSNetwork([784 + 10 * tt.label_inputs, m.hidden, 2], tt.d_thresholds, tt.d_init_high,
                                         tt.steps, tt.grad_norm, names=["d_hidden", "d_output"],
                                         causal_input_grad=causal)
        if tt.label_partition:
            partition_by_label(self.discriminator.weights[0], 784, tt.label_inputs, tt.d_thresholds[0])
        self.redraw = DeadNeuronRedraw(m.hidden, tt.reset_dead_every, tt.reset_dead_below, 0.0, tt.d_init_high[0],
                                       784 if tt.label_partition else None)  # a re-draw keeps the partition
        self.blocks = BestBlocks(m.hidden, tt.block_candidates)  # partitioned: each digit's best checked blocks
        # per digit; with mode_seeking_per_block they start at 0 and adapt at the checks (adapt_mode_seeking)
        self.mode_seeking = torch.full((10,), 0.0 if tt.mode_seeking_per_block else tt.mode_seeking)
        super().__init__(tt, t, phase, tt.generator_lr or t.lr)
        self.one_label_batches = self.conditional  # feature matching within a digit needs a batch of it

    def state_dict(self) -> dict:
        return {**super().state_dict(), **self.redraw.state_dict(), **self.blocks.state_dict(),
                "mode_seeking": self.mode_seeking}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.redraw.load_state_dict(state)
        self.blocks.load_state_dict(state)
        self.mode_seeking = state.get("mode_seeking", self.mode_seeking)

    def init_from_data(self, train_x: torch.Tensor, train_y: torch.Tensor, seed: int) -> None:
        if self.tt.exemplar_init:
            init_from_exemplars(self.generator.weights[1], train_x, train_y,
                                self.blocks.block if self.tt.label_partition else None, *self.tt.exemplar_init,
                                torch.Generator().manual_seed(seed))

    def _block_weights(self) -> list[torch.Tensor]:
        return [*self.generator.weights, *self.discriminator.weights]

    def validator(self, data, run, seed: int) -> Validator:
        """Partitioned: each check scores every digit's 500 samples against its first 1,000 training images (as a
        per-digit model's check would), keeps the digits' better blocks aside, and returns the kept blocks'
        summed score: the loop's best model is then the last check that improved a block. With several candidates
        per digit, the kept ones are scored again at the end (`rescore_blocks`)."""
        if not self.tt.label_partition:
            return super().validator(data, run, seed)
        from bioaware.evaluation.digit_classifier import cached_digit_classifier
        from bioaware.evaluation.sample_quality import sample_quality

        judge, _ = cached_digit_classifier(run.path, data, seed)
        real = {d: data.train_x[data.train_y == d][:SELECTION_REAL // 2] for d in range(10)}
        unseen = {d: unseen_images(data.train_x[data.train_y == d]) for d in range(10)}

        def validate(task: "SpikingGANTask", step: int) -> dict:
            samples = task.sample(10 * SELECTION_SAMPLES // 2, torch.Generator().manual_seed(seed + 3))
            asked = task.asked(len(samples))
            rows = {d: sample_quality(judge, samples[asked == d], real[d], d) for d in range(10)}
            kept = [task.blocks.offer(d, [int(q["recognised"] < RECOGNISED_ENOUGH), q["frechet"]], step,
                                      task._block_weights()) for d, q in rows.items()]
            used = task.mode_seeking.tolist()  # the weights these samples were trained with
            if task.tt.mode_seeking_per_block:
                recognised = torch.tensor([rows[d]["recognised"] for d in range(10)])
                task.mode_seeking = adapt_mode_seeking(task.mode_seeking, recognised, task.tt.mode_seeking,
                                                       RECOGNISED_ENOUGH)
            mean = lambda key: sum(q[key] for q in rows.values()) / 10  # noqa: E731
            return {"recognised": mean("recognised"), "frechet_train": mean("frechet"), "variety": mean("variety"),
                    "blocks_kept": sum(kept), "score": task.blocks.score(), "mode_seeking": [round(w, 4) for w in used]}

        rescore = (lambda task: task.rescore_blocks(judge, unseen, seed)) if self.tt.block_candidates > 1 else None
        return Validator(validate, rescore)

    @torch.no_grad()
    def test_metrics(self, data, batch_size: int, seed: int, run) -> dict:
        results = super().test_metrics(data, batch_size, seed, run)
        return {**results, **self.silenced_spikes(data, seed)} if self.tt.label_partition else results

    @torch.no_grad()
    def silenced_spikes(self, data, seed: int, n: int = 200) -> dict:
        """Partitioned: spikes per sample of the hidden neurons outside the asked digit's block, in the whole
        generator (n samples) and the whole discriminator (the first n test images with their own digit's label
        inputs); 0 means that running a block alone, as training and sampling do, changes no spike."""
        steps, block = self.tt.steps, self.blocks.block.to(self.device)
        digits, noise = self.asked(n), torch.Generator().manual_seed(seed + 1)
        images, labels = data.test_x[:n], data.test_y[:n]
        g, d = [], []
        for k in range(0, n, 50):  # the whole hidden layer at once: 50 samples keep the membranes small
            asked, own = digits[k:k + 50].to(self.device), labels[k:k + 50].to(self.device)
            g.append(((self.generator(self.noise_times(len(asked), noise, asked))[0] < steps)
                      & (block != asked[:, None])).sum(1))
            d_in = self.with_labels(ttfs_encode(images[k:k + 50], steps).to(self.device), own)
            d.append(((self.discriminator(d_in)[0] < steps) & (block != own[:, None])).sum(1))
        return {"g_silenced_spikes": float(torch.cat(g).float().mean()),
                "d_silenced_spikes": float(torch.cat(d).float().mean())}

    def keep_selected(self) -> None:
        if self.tt.label_partition and self.blocks.best:
            self.blocks.assemble(self._block_weights())
            info(f"{self.phase}: each digit's block kept from its best check (batch per digit: {self.blocks.steps()})")

    @torch.no_grad()
    def rescore_blocks(self, judge, unseen: dict[int, torch.Tensor], seed: int) -> None:
        """Partitioned, several candidates per digit: score every digit's kept blocks again on more samples,
        against each digit's training images `unseen` by the checks, and pick each digit's best."""
        from bioaware.evaluation.sample_quality import sample_quality

        info(f"{self.phase}: re-scoring each digit's {self.tt.block_candidates} best blocks on {RESCORE_SAMPLES:,} "
             f"samples against up to {RESCORE_REAL:,} of its training images that no check used")
        for rank in range(self.tt.block_candidates):
            self.blocks.assemble(self._block_weights(), rank)
            samples = self.sample(10 * RESCORE_SAMPLES, torch.Generator().manual_seed(seed + 4))
            asked = self.asked(len(samples))
            for d in range(10):
                if rank < len(self.blocks.ranked(d)):
                    q = sample_quality(judge, samples[asked == d], unseen[d], d)
                    self.blocks.ranked(d)[rank]["rescore"] = [int(q["recognised"] < RECOGNISED_ENOUGH), q["frechet"]]
        picked = {}
        for d in range(10):
            fresh = [entry["rescore"] for entry in self.blocks.ranked(d)]
            if fresh:
                picked[d] = fresh.index(min(fresh))
                self.blocks.pick(d, picked[d])
        info(f"{self.phase}: the checks' rank of the block kept, per digit: {picked}")

    def with_labels(self, times: torch.Tensor, digits: torch.Tensor | None) -> torch.Tensor:
        """`times` [n, k] followed (conditional) by each digit's label inputs: at t = 0 for the sample's digit in
        `digits` [n], silent (T) for the others."""
        if digits is None:
            return times
        label = torch.full((len(times), 10, self.tt.label_inputs), float(self.tt.steps), device=times.device)
        label[torch.arange(len(times)), digits.to(times.device)] = 0.0
        return torch.cat([times, label.flatten(1)], 1)

    def noise_times(self, n: int, generator: torch.Generator, digits: torch.Tensor | None = None) -> torch.Tensor:
        """Generator input spike times [n, inputs]: coded noise, then (conditional) the label inputs of `digits`."""
        return self.with_labels(ttfs_encode(uniform_noise(n, self.tt.noise_size, generator), self.tt.steps),
                                 digits).to(self.device)

    def block_of(self, digits: torch.Tensor | None) -> torch.Tensor | None:
        """Partitioned, all `digits` one digit: its hidden block (bool [H]), which a network can run alone (the
        label inputs silence the other blocks; while none of them fires, leaving them out changes no spike, and
        `silenced_spikes` counts those that do); else None (all neurons)."""
        if not self.tt.label_partition or digits is None or len(digits) == 0 or bool((digits != digits[0]).any()):
            return None
        return (self.blocks.block == int(digits[0])).to(self.device)

    def _loss(self, fake_or_real_times: torch.Tensor, desired: int, digits: torch.Tensor | None) -> torch.Tensor:
        out = self.discriminator(self.with_labels(fake_or_real_times, digits), self.block_of(digits))[-1]
        want = torch.full((len(out),), desired, dtype=torch.long, device=out.device)
        return ttfs_loss(out, ttfs_targets(out, want, self.tt.steps, self.tt.margin, self.tt.target), self.tt.steps)

    def _generator_loss(self, fake: torch.Tensor, real: torch.Tensor, digits: torch.Tensor | None,
                        noise: torch.Tensor) -> torch.Tensor:
        """The generator's loss on its spike times `fake` [B, 784] drawn from input times `noise`, given the batch's
        real ones `real`; feature matching compares the means within each digit when the samples were drawn for the
        real ones' `digits`. With `ttfs.mode_seeking` = λ the gradient on each sample's spike times gets the
        mode-seeking term's added, scaled to λ × the fooling gradient's L2 norm for that sample (the backward
        pass normalises each sample's error anyway, so only their ratio matters; conditional: the λ of the sample's
        digit, see `adapt_mode_seeking`); the value stays the fooling loss."""
        loss = self._fooling_loss(fake, real, digits)
        if not self.tt.mode_seeking:
            return loss
        weight = self.mode_seeking.to(fake.device)[digits][:, None] if digits is not None else self.tt.mode_seeking
        fool = torch.autograd.grad(loss, fake)[0]
        spread = torch.autograd.grad(mode_seeking_loss(fake, noise, self.tt.steps), fake)[0]
        scale = fool.norm(dim=1, keepdim=True) / spread.norm(dim=1, keepdim=True).clamp_min(1e-30)
        push = (fake * (fool + weight * scale * spread)).sum()
        return loss.detach() + (push - push.detach())

    def _fooling_loss(self, fake: torch.Tensor, real: torch.Tensor, digits: torch.Tensor | None) -> torch.Tensor:
        """The loss that makes generated spike times pass for real ones (`ttfs.generator_loss`)."""
        if self.tt.generator_loss == "adversarial":
            return self._loss(fake, REAL, digits)
        with torch.no_grad():
            real_hidden = self.discriminator(self.with_labels(real, digits), self.block_of(digits))[0]
        fake_hidden = self.discriminator(self.with_labels(fake, digits), self.block_of(digits))[0]
        groups = [torch.ones(len(fake), dtype=torch.bool, device=fake.device)] if digits is None \
            else [digits == d for d in digits.unique()]
        spread = self.tt.generator_loss == "moment_matching"
        return sum(feature_gap(fake_hidden[g], real_hidden[g], self.tt.steps, spread) for g in groups)

    def train_batch(self, images, generator, labels=None):
        real = ttfs_encode(images, self.tt.steps).to(self.device)
        digits = labels.to(self.device) if self.conditional else None
        fake = self.generator(self.noise_times(len(images), generator, digits), self.block_of(digits))[-1]
        d_loss = self._step(self._loss(real, REAL, digits) + self._loss(fake.detach(), FAKE, digits), self.generator)
        if self.redraw.every:  # the discriminator's hidden neurons that real images no longer make fire
            with torch.no_grad():
                self.redraw.observe(self.discriminator(self.with_labels(real, digits))[0], self.tt.steps,
                                    *self.discriminator.weights, generator)
        noise = self.noise_times(len(images), generator, digits)
        fake = self.generator(noise, self.block_of(digits))[-1]
        g_loss = self._step(self._generator_loss(fake, real, digits, noise), self.discriminator)
        return {"loss": d_loss + g_loss, "d_loss": d_loss, "g_loss": g_loss}

    @torch.no_grad()
    def generate(self, in_times: torch.Tensor, digits: torch.Tensor | None) -> torch.Tensor:
        """Generated spike times [n, 784] from generator inputs [n, …]; partitioned, each digit's samples run
        through its own block only (see `block_of`; the trained generators' silenced neurons stay silent)."""
        if not self.tt.label_partition or digits is None:
            return self.generator(in_times)[-1]
        out = torch.empty(len(in_times), 784, device=in_times.device)
        for d in digits.unique():
            mine = (digits == d).to(in_times.device)
            out[mine] = self.generator(in_times[mine], self.block_of(digits[digits == d]))[-1]
        return out

    @torch.no_grad()
    def sample(self, n, generator):
        digits = self.asked(n)
        chunks = [None if digits is None else digits[k:k + 500] for k in range(0, n, 500)]
        return torch.cat([ttfs_decode(self.generate(self.noise_times(min(500, n - k), generator, d), d),
                                      self.tt.steps).cpu() for k, d in zip(range(0, n, 500), chunks)])


class AnnGANTask(GANTask):
    """noise-H-784 generator (ReLU, tanh output) and 784-H-1 discriminator (LeakyReLU, sigmoid), BCE, Adam."""

    spiking = False

    def __init__(self, m: ModelSection, tt: TTFSSection, t: TrainSection, phase: str = "ann_gan"):
        codes = 10 if tt.label_inputs else 0  # conditional: the one-hot digit beside the noise and the image
        self.generator = nn.Sequential(nn.Linear(tt.noise_size + codes, m.hidden), nn.ReLU(), nn.Linear(m.hidden, 784),
                                       nn.Tanh())
        self.discriminator = nn.Sequential(nn.Linear(784 + codes, m.hidden), nn.LeakyReLU(0.2), nn.Linear(m.hidden, 1))
        super().__init__(tt, t, phase, t.lr)

    def _with_code(self, x: torch.Tensor, digits: torch.Tensor | None) -> torch.Tensor:
        if digits is None:
            return x
        return torch.cat([x, nn.functional.one_hot(digits.to(x.device), 10).to(x.dtype)], 1)

    def _fake(self, n: int, generator: torch.Generator, digits: torch.Tensor | None) -> torch.Tensor:
        noise = (2.0 * uniform_noise(n, self.tt.noise_size, generator) - 1.0).to(self.device)
        return self.generator(self._with_code(noise, digits))

    def _loss(self, images: torch.Tensor, real: bool, digits: torch.Tensor | None) -> torch.Tensor:
        logits = self.discriminator(self._with_code(images, digits)).squeeze(1)
        return nn.functional.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(real)))

    def train_batch(self, images, generator, labels=None):
        real = 2.0 * images.to(self.device) - 1.0
        digits = labels if self.conditional else None
        fake = self._fake(len(images), generator, digits)
        d_loss = self._step(self._loss(real, True, digits) + self._loss(fake.detach(), False, digits), self.generator)
        g_loss = self._step(self._loss(self._fake(len(images), generator, digits), True, digits), self.discriminator)
        return {"loss": d_loss + g_loss, "d_loss": d_loss, "g_loss": g_loss}

    @torch.no_grad()
    def sample(self, n, generator):
        return ((self._fake(n, generator, self.asked(n)) + 1.0) / 2.0).cpu()
