"""Run configuration: a TOML file validated against typed sections.

Every key has a default, unknown keys and wrong types are errors that name the file and
the key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from bioaware.core.errors import BioawareError


@dataclass
class RunSection:
    name: str = ""  # run directory name; defaults to the config file's stem
    seed: int = 0


@dataclass
class DataSection:
    # mnist | fashion_mnist | mnist_5k (the embedded 5,000-image subset) | cifar10 (fsvae) | fsdd (spoken digits in
    # data.root) | tone_digits (generated tone digits in FSDD's layout, written to data.root/tone_digits: audiocoder)
    dataset: str = "mnist"
    root: str = "data"  # torchvision root; relative paths are taken from the working directory
    download: bool = True  # try torchvision's download when the root has no copy
    train_limit: int = 0  # use the first N training images (0 = all)
    test_limit: int = 0  # use the first N test images (0 = all)


@dataclass
class ModelSection:
    # roy_ae (LIF spiking autoencoder) | conv_if_ae (convolutional IF, Speck-valid) | comsa_ae (temporal coding, alpha
    # PSPs) | ann_ae | ttfs_classifier (S4NN) | spiking_gan | fsvae (Fully Spiking VAE) | audiocoder (spoken digit →
    # the frozen autoencoder's hidden spikes)
    kind: str = "roy_ae"
    hidden: int = 196  # hidden layer width (input/output width is the image size, 784)
    steps: int = 15  # T, time steps per image
    leak: float = 0.1  # α in V[t] = (1 − α)·V[t−1] + Z[t]; 0 gives an IF neuron
    v_th: float = 1.0  # firing threshold (dimensionless membrane units)
    surrogate_slope: float = 5.0  # k in the surrogate dσ(k(V − V_th))/dV
    encoder: str = "bernoulli"  # bernoulli | poisson rate coding of pixel intensities
    max_rate: float = 1.0  # spike probability per step of a pixel of value 1 (bernoulli)
    ann_activation: str = "relu"  # hidden activation of ANN autoencoders (ann_ae and baselines): relu | sigmoid
    channels: list = field(default_factory=lambda: [8, 2, 8])  # conv_if_ae: channels of the hidden convolutions
    # conv_if_ae: odd kernel of every (stride-1, same-size) convolution (its neurons are IF: leak is not used)
    kernel_size: int = 3


@dataclass
class TemporalSection:
    """comsa_ae only: temporal code, alpha neurons and their exact-gradient training (times in model units)."""

    invert: bool = True  # spike time = 1 − pixel (salient pixels early); false: time = pixel
    latency: float = 1.0  # l: output pixel i should spike at l + tᵢ
    decay: float = 0.1  # K (1/time unit) of the PSP kernel (t − tᵢ)·e^{−K(t − tᵢ)}
    pulses: int = 10  # learnable synchronisation pulses per non-input layer
    pulse_lr: float = 1e-2  # learning rate of the pulse times
    # the output layer's pulses start evenly over [0, span] (the input interval is [0, 1])
    output_pulse_span: float = 1.0
    weight_mean: float = 0.0  # modified Glorot: mean of regular weights in units of σ
    pulse_weight_mean: float = 2.0  # … and of pulse weights (excitatory pulses start the layers)
    clip_derivative: float = 100.0  # clip of every spike-time derivative
    penalty_no_spike: float = 1e-3  # weight-gradient push on neurons that stay silent
    no_spike_time: float = 1000.0  # surrogate spike time of silent neurons


@dataclass
class TTFSSection:
    """ttfs_classifier and spiking_gan only: time-to-first-spike code, single-spike IF layers, S4NN backprop."""

    steps: int = 256  # T_max: simulation steps; pixel p fires at ⌊T·(1 − p)⌋, a neuron that never fires counts as T
    thresholds: list = field(default_factory=lambda: [100.0, 100.0])  # θ of each layer (hidden, output)
    init_high: list = field(default_factory=lambda: [5.0, 48.0])  # weights of each layer start uniform in [low, high)
    # … from this low end (classifier; spiking_gan: the generator)
    init_low: list = field(default_factory=lambda: [0.0, 0.0])
    margin: float = 3.0  # aggressive TTFS: the desired neuron's target is (earliest output − margin); 0 if none fired
    # aggressive (Spiking-GAN) | relative (S4NN: no error for outputs already ≥ margin behind) | symmetric (like
    # relative, but the right neuron and its closest rival meet halfway)
    target: str = "aggressive"
    # ttfs_classifier, relative targets: the desired neuron should fire by this step at the latest (0: no deadline)
    deadline: float = 0.0
    grad_norm: str = "l1"  # per-sample normalisation of each layer's error: l1 | l2 | none
    # ttfs_classifier: what trains both layers, and the phase's name: s4nn (S4NN's temporal backprop) | surrogate
    # (each image at random steps as a binary-step network, exact forward, surrogate gradient; options below)
    rule: str = "s4nn"
    # … surrogate: the steps [first, last] the random ones are drawn from; the right output should reach θ by the last
    surrogate_steps: list = field(default_factory=lambda: [10, 128])
    surrogate_samples: int = 4  # … random steps per training image
    surrogate_width: float = 50.0  # … fast-sigmoid surrogate width (potential units)
    surrogate_noise: float = 30.0  # … Gaussian noise (std, potential units) added to the hidden membranes in training
    # … the output potentials over this are the logits of the cross-entropy at each random step
    surrogate_temperature: float = 10.0
    surrogate_late: float = 1.0  # … weight of (θ − V_right(last step))₊/θ in the loss
    input_drop: float = 0.2  # … fraction of input spikes left out of each training image
    hidden_drop: float = 0.2  # … fraction of hidden spikes left out (the rest scaled up to match) in training
    # ttfs_classifier: the last this-many training images are not trained on; with train.select_every they choose the
    # kept model and its output threshold (0: train on all)
    held_out: int = 0
    # … the chosen output threshold is the most accurate one on the held-out images whose mean decision comes by this
    # step
    select_deadline: float = 60.0
    # ttfs_classifier: after the trained phase (ttfs.rule), train the output layer alone (hidden spike times fixed)
    # with the race loss on its potentials for this many epochs, as phase "readout" (0: none)
    readout_epochs: int = 0
    readout_lr: float = 0.05  # … Adam learning rate
    readout_batch_size: int = 64  # … images per batch
    readout_deadline: int = 128  # … step by which the right output should reach θ
    # … the other outputs stay this far (potential units) below θ until the right one reaches it
    readout_margin: float = 60.0
    # every N batches, re-draw hidden neurons (spiking_gan: the discriminator's) that fired for < reset_dead_below of
    # their (real) images (S4NN; 0: off)
    reset_dead_every: int = 0
    reset_dead_below: float = 1e-3  # fraction of images (S4NN: 0.1 %)
    digit: int = -1  # spiking_gan: train on this digit only (-1: all digits)
    noise_size: int = 100  # spiking_gan: generator inputs (TTFS-coded discrete uniform noise)
    # spiking_gan, all digits: > 0 makes both GANs class-conditional; the generator gets this many inputs per digit,
    # firing at t = 0 for the digit asked for, and every training batch holds one digit
    label_inputs: int = 0
    # … the fraction of generator hidden neurons each digit's label inputs reach at the start (the others' label
    # weights start at 0)
    label_gate: float = 0.0
    # … with this total weight in units of the hidden θ (≥ 1: they fire at once for the digit, a per-digit template; <
    # 0: silenced)
    label_drive: float = 1.5
    # … instead: the hidden neurons of both networks fall into ten blocks, and each digit's label inputs silence all
    # blocks but the digit's own (ten per-digit sub-networks in one)
    label_partition: bool = False
    # … label_partition: each digit keeps its this many best checked blocks, and when training ends they are scored
    # again on 2,000 samples per digit against 4,000 of its training images that no check used; the best is kept (1:
    # the best check's)
    block_candidates: int = 1
    # … label_partition: per digit 0–9, the [low, high) its block's generator output weights start in (empty:
    # ttfs.init_low[1], init_high[1] for every block)
    block_output_init: list = field(default_factory=list)
    # spiking_gan: [scale, offset]: generator output weights start as scale·x + offset, x one training image (pixels
    # in [0, 1]) per hidden neuron, of the neuron's block's digit when label_partition (empty: uniform,
    # init_low[1]…init_high[1])
    exemplar_init: list = field(default_factory=list)
    generator_lr: float = 0.0  # spiking_gan: generator learning rate (0: train.lr)
    # spiking_gan: adversarial (paper: fool the real/fake neurons) | feature_matching (match real images' mean
    # discriminator-hidden spike times) | moment_matching (their means and standard deviations over the batch)
    generator_loss: str = "adversarial"
    # spiking_gan: weight of a mode-seeking term (Mao et al. 2019) in the generator's loss: two samples' pixel
    # distance over their noise distance should grow (0: off)
    mode_seeking: float = 0.0
    # … label_partition: each digit's weight starts at 0, halves at a check where its samples are recognised less
    # often than the target (0.9) and doubles (from at least ttfs.mode_seeking / 4, up to it) where they meet it
    mode_seeking_per_block: bool = False
    # spiking_gan: false lets every generator pixel, fired or not, get the discriminator's time gradient
    d_causal_input_grad: bool = True
    d_thresholds: list = field(default_factory=lambda: [100.0, 100.0])  # spiking_gan discriminator θ (hidden, output)
    d_init_high: list = field(default_factory=lambda: [5.0, 48.0])  # spiking_gan discriminator init bounds


@dataclass
class FSVAESection:
    """fsvae only: the Fully Spiking VAE's latent code, neurons and loss."""

    steps: int = 16  # T: steps per image (the analog image enters at each)
    latent: int = 128  # C: latent channels
    k: int = 20  # Bernoulli outputs per latent channel (the sample is one of them, the probability their mean)
    channels: list = field(default_factory=lambda: [32, 64, 128, 256])  # encoder convolutions (k 3, stride 2)
    tau: float = 0.25  # membrane kept per step
    v_th: float = 0.2  # threshold
    # membrane value at the middle of the rectangular surrogate gradient (width 1, height 1): 0 as in the authors'
    # code (|u| < 0.5); the threshold's value centres it there instead
    surrogate_centre: float = 0.0
    psp_tau: float = 2.0  # τ_s of the PSP filter in the prior-matching loss (steps)
    psp_weight: float = 1.0  # weight of the prior-matching term beside the reconstruction MSE
    readout_decay: float = 0.8  # the output image weighs step t's membrane by decay^(T−1−t)
    quality_samples: int = 5000  # prior samples judged at test time (Fréchet distances, recognisability); 0: none
    # probability that the prior's input at a step (after the fifth) is its own guess instead of the posterior's
    # sample, at the start and at the end of training (linear in between): scheduled sampling
    scheduled_sampling: list = field(default_factory=lambda: [0.1, 0.3])


@dataclass
class AudioSection:
    """audiocoder only: spoken digits → the frozen MNIST autoencoder's hidden spikes → its decoder draws the digit."""

    # the frozen rate-coded autoencoder (a NIR graph of two LIF layers, 784-196-784, as `bioaware export` writes)
    autoencoder: str = "export/roy_ae_mnist_best/model.nir"
    images: str = "mnist"  # where the paired digit images come from: mnist | mnist_5k
    pairing: str = "fixed"  # fixed: one image per digit (dataset A) | random: a random image of the digit per clip (B)
    split: str = "random"  # random: test_fraction of the clips at random | speaker:<name>: that speaker's clips
    test_fraction: float = 0.15  # random split: the share of clips held out for testing
    hidden_steps: int = 15  # T_h: steps of the autoencoder's hidden spike map, repeated over model.steps as the target
    channels: int = 39  # filterbank channels of the spectrogram
    frames: int = 64  # spectrogram frames over the clip
    seconds: float = 1.0  # clips are cropped or zero-padded to this length (s)
    tone_clips: int = 5  # data.dataset = "tone_digits": generated clips per digit and speaker


@dataclass
class TrainSection:
    epochs: int = 1
    batch_size: int = 100
    optimizer: str = "adam"  # adam | adamw (decoupled weight decay) | sgd
    lr: float = 5e-4
    weight_decay: float = 1e-4
    lr_schedule: str = "constant"  # constant | cosine (decays to 0 over all batches)
    update: str = "bptt"  # bptt (one update per batch) | per_step (one update per time step)
    mask: bool = True  # XOR error mask of the membrane loss
    noise: float = 0.0  # η: inputs are x + η·N(0, 1) clipped to [0, 1], targets stay clean (train and test)
    checkpoint_every: int = 100  # batches between checkpoints
    # spiking_gan (both GANs): batches between checks of 1,000 samples against the digit's training images; the run
    # keeps the best model seen (recognised ≥ 0.9 first, then the lowest Fréchet distance); ttfs_classifier: checks on
    # the ttfs.held_out images, keeping the most accurate model at its chosen output threshold; 0: keep the last
    select_every: int = 0
    device: str = "cpu"  # cpu | cuda (comsa_ae and ANN models; checkpoints are portable between the two)


@dataclass
class BaselinesSection:
    ann_sgd: bool = False  # same-size ANN autoencoder, plain SGD, trained in the same run
    ann_adam: bool = False  # same-size ANN autoencoder, Adam, trained in the same run
    sgd_lr: float = 0.1
    ann_gan: bool = False  # spiking_gan: a same-shape ANN GAN (tanh generator, sigmoid discriminator) in the same run
    # its epochs (0: train.epochs); it trains in seconds, so it can be given the epochs it needs
    ann_gan_epochs: int = 0
    ann_adam_inverted: bool = False  # the Adam ANN again on inverted images (1 − x), as Comşa et al. compare
    adam_lr: float = 1e-3
    ann_vae: bool = False  # fsvae: the same-architecture ANN VAE (ReLU, Gaussian latent), same training settings


@dataclass
class Config:
    run: RunSection = field(default_factory=RunSection)
    data: DataSection = field(default_factory=DataSection)
    model: ModelSection = field(default_factory=ModelSection)
    temporal: TemporalSection = field(default_factory=TemporalSection)
    ttfs: TTFSSection = field(default_factory=TTFSSection)
    fsvae: FSVAESection = field(default_factory=FSVAESection)
    audio: AudioSection = field(default_factory=AudioSection)
    train: TrainSection = field(default_factory=TrainSection)
    baselines: BaselinesSection = field(default_factory=BaselinesSection)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


CHOICES = {
    ("data", "dataset"): ("mnist", "fashion_mnist", "mnist_5k", "cifar10", "fsdd", "tone_digits"),
    ("audio", "images"): ("mnist", "mnist_5k"),
    ("audio", "pairing"): ("fixed", "random"),
    ("ttfs", "grad_norm"): ("l1", "l2", "none"),
    ("ttfs", "target"): ("aggressive", "relative", "symmetric"),
    ("ttfs", "generator_loss"): ("adversarial", "feature_matching", "moment_matching"),
    ("model", "encoder"): ("bernoulli", "poisson"),
    ("model", "ann_activation"): ("relu", "sigmoid"),
    ("train", "optimizer"): ("adam", "adamw", "sgd"),
    ("train", "lr_schedule"): ("constant", "cosine"),
    ("train", "update"): ("bptt", "per_step"),
    ("train", "device"): ("cpu", "cuda"),
}
POSITIVE = {("model", "hidden"), ("model", "steps"), ("train", "epochs"), ("train", "batch_size"),
            ("train", "checkpoint_every"), ("model", "v_th"), ("train", "lr"), ("temporal", "decay"),
            ("temporal", "pulse_lr"), ("temporal", "output_pulse_span"), ("temporal", "clip_derivative"),
            ("temporal", "no_spike_time"), ("model", "surrogate_slope"), ("baselines", "sgd_lr"),
            ("baselines", "adam_lr"), ("ttfs", "steps"), ("ttfs", "noise_size"),
            ("fsvae", "steps"), ("fsvae", "latent"), ("fsvae", "k"), ("fsvae", "v_th"), ("fsvae", "psp_tau"),
            ("audio", "hidden_steps"), ("audio", "channels"), ("audio", "frames"), ("audio", "seconds"),
            ("audio", "tone_clips")}
NON_NEGATIVE = {("data", "train_limit"), ("data", "test_limit"), ("train", "weight_decay"), ("train", "noise"),
                ("train", "select_every"), ("fsvae", "psp_weight"), ("fsvae", "quality_samples")}


def is_number(value: Any) -> bool:
    """An int or float from TOML (a bool is not a number here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def positive_ints(values: Any) -> bool:
    """A non-empty list of whole numbers ≥ 1 (bools are not numbers here)."""
    return isinstance(values, list) and bool(values) and all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values)


def _check_type(where: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = is_number(value)
        value = float(value) if ok else value
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise BioawareError(f"{where} must be {type(default).__name__}, got {value!r}")
    return value


def config_from_dict(raw: dict[str, Any], source: str = "<config>") -> Config:
    """Validate a nested dict (as read from TOML) into a :class:`Config`, section by section; the model family
    checks the rest (`bioaware.families.checked_config`)."""
    cfg = Config()
    sections = {f.name: f for f in dataclasses.fields(Config)}
    for sname, body in raw.items():
        if sname not in sections:
            raise BioawareError(f"{source}: unknown section [{sname}] (known: {', '.join(sections)}); fix or remove it")
        if not isinstance(body, dict):
            raise BioawareError(f"{source}: [{sname}] must be a table of keys")
        section = getattr(cfg, sname)
        keys = {f.name for f in dataclasses.fields(section)}
        for key, value in body.items():
            if key not in keys:
                raise BioawareError(
                    f"{source}: unknown key '{sname}.{key}' (known in [{sname}]: {', '.join(sorted(keys))}); "
                    "fix or remove it")
            value = _check_type(f"{source}: {sname}.{key}", value, getattr(section, key))
            setattr(section, key, value)
    for (sname, key), allowed in CHOICES.items():
        if getattr(getattr(cfg, sname), key) not in allowed:
            value = getattr(getattr(cfg, sname), key)
            raise BioawareError(f"{source}: {sname}.{key} = {value!r} is not one of {allowed}")
    for sname, key in POSITIVE:
        if not getattr(getattr(cfg, sname), key) > 0:
            raise BioawareError(f"{source}: {sname}.{key} must be > 0")
    for sname, key in NON_NEGATIVE:
        value = getattr(getattr(cfg, sname), key)
        if not value >= 0:
            raise BioawareError(f"{source}: {sname}.{key} must be ≥ 0, got {value}")
    if not 0.0 <= cfg.model.leak < 1.0:
        raise BioawareError(f"{source}: model.leak must be in [0, 1), got {cfg.model.leak}")
    if not 0.0 < cfg.model.max_rate <= 1.0 and cfg.model.encoder == "bernoulli":
        raise BioawareError(f"{source}: model.max_rate must be in (0, 1] for the bernoulli encoder")
    if not 0.0 < cfg.audio.test_fraction < 1.0:
        raise BioawareError(f"{source}: audio.test_fraction must be in (0, 1), got {cfg.audio.test_fraction}")
    if cfg.audio.split != "random" and not (cfg.audio.split.startswith("speaker:") and cfg.audio.split[8:]):
        raise BioawareError(f"{source}: audio.split = {cfg.audio.split!r}: use 'random' or 'speaker:<name>' "
                            "(e.g. 'speaker:theo')")
    if cfg.temporal.latency < 0 or cfg.temporal.pulses < 0 or cfg.temporal.penalty_no_spike < 0:
        raise BioawareError(f"{source}: temporal.latency, temporal.pulses and temporal.penalty_no_spike must be ≥ 0")
    if cfg.temporal.no_spike_time <= cfg.temporal.latency + 1.0:
        raise BioawareError(f"{source}: temporal.no_spike_time must lie beyond the output window (> latency + 1)")
    for key in ("thresholds", "init_high", "d_thresholds", "d_init_high"):
        values = getattr(cfg.ttfs, key)
        if len(values) != 2 or not all(is_number(v) and v > 0 for v in values):
            raise BioawareError(f"{source}: ttfs.{key} must be two positive numbers (hidden, output), got {values!r}")
    low = cfg.ttfs.init_low
    if len(low) != 2 or not all(is_number(v) and v < h for v, h in zip(low, cfg.ttfs.init_high)):
        raise BioawareError(f"{source}: ttfs.init_low must be two numbers below ttfs.init_high {cfg.ttfs.init_high}, "
                            f"got {low!r}")
    if cfg.ttfs.margin < 0 or cfg.ttfs.generator_lr < 0 or cfg.ttfs.reset_dead_every < 0:
        raise BioawareError(f"{source}: ttfs.margin, ttfs.generator_lr and ttfs.reset_dead_every must be ≥ 0")
    if not 0 <= cfg.ttfs.reset_dead_below < 1:
        raise BioawareError(f"{source}: ttfs.reset_dead_below must be a fraction of images in [0, 1), "
                            f"got {cfg.ttfs.reset_dead_below}")
    return cfg


def apply_override(raw: dict[str, Any], assignment: str) -> None:
    """Apply `section.key=value` (value in TOML syntax; bare words are strings) to a raw config dict."""
    target, sep, value = assignment.partition("=")
    section, dot, key = target.strip().partition(".")
    if not sep or not dot or not section or not key:
        raise BioawareError(f"--set {assignment!r}: expected section.key=value, e.g. --set run.seed=1")
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    raw.setdefault(section, {})[key] = parsed


def read_config(path: str | Path, overrides: list[str] = ()) -> tuple[dict[str, Any], str]:
    """A TOML run config as a raw dict with the `--set` overrides applied, and the source its errors name."""
    path = Path(path)
    if not path.is_file():
        raise BioawareError(f"{path}: config file not found; pass a TOML file such as runs/roy_ae_mnist.toml")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise BioawareError(f"{path}: malformed TOML: {exc}") from None
    for assignment in overrides:
        apply_override(raw, assignment)
    return raw, str(path) + (" with --set " + " ".join(overrides) if overrides else "")
