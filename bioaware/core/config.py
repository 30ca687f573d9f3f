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
    dataset: str = "mnist"  # mnist | fashion_mnist | mnist_5k (the embedded 5,000-image subset)
    root: str = "data"  # torchvision root; relative paths are taken from the working directory
    download: bool = True  # try torchvision's download when the root has no copy
    train_limit: int = 0  # use the first N training images (0 = all)
    test_limit: int = 0  # use the first N test images (0 = all)


@dataclass
class ModelSection:
    kind: str = "roy_ae"  # roy_ae (LIF spiking autoencoder) | conv_if_ae (convolutional IF, Speck-valid) | comsa_ae (temporal coding, alpha PSPs) | ann_ae | ttfs_classifier (S4NN) | spiking_gan
    hidden: int = 196  # hidden layer width (input/output width is the image size, 784)
    steps: int = 15  # T, time steps per image
    leak: float = 0.1  # α in V[t] = (1 − α)·V[t−1] + Z[t]; 0 gives an IF neuron
    v_th: float = 1.0  # firing threshold (dimensionless membrane units)
    surrogate_slope: float = 5.0  # k in the surrogate dσ(k(V − V_th))/dV
    encoder: str = "bernoulli"  # bernoulli | poisson rate coding of pixel intensities
    max_rate: float = 1.0  # spike probability per step of a pixel of value 1 (bernoulli)
    ann_activation: str = "relu"  # hidden activation of ANN autoencoders (ann_ae and baselines): relu | sigmoid
    channels: list = field(default_factory=lambda: [8, 2, 8])  # conv_if_ae: channels of the hidden convolutions
    kernel_size: int = 3  # conv_if_ae: odd kernel of every (stride-1, same-size) convolution (its neurons are IF: leak is not used)


@dataclass
class TemporalSection:
    """comsa_ae only: temporal code, alpha neurons and their exact-gradient training (times in model units)."""

    invert: bool = True  # spike time = 1 − pixel (salient pixels early); false: time = pixel
    latency: float = 1.0  # l: output pixel i should spike at l + tᵢ
    decay: float = 0.1  # K (1/time unit) of the PSP kernel (t − tᵢ)·e^{−K(t − tᵢ)}
    pulses: int = 10  # learnable synchronisation pulses per non-input layer
    pulse_lr: float = 1e-2  # learning rate of the pulse times
    output_pulse_span: float = 1.0  # the output layer's pulses start evenly over [0, span] (the input interval is [0, 1])
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
    init_low: list = field(default_factory=lambda: [0.0, 0.0])  # … from this low end (classifier; spiking_gan: the generator)
    margin: float = 3.0  # aggressive TTFS: the desired neuron's target is (earliest output − margin); 0 if none fired
    target: str = "aggressive"  # aggressive (Spiking-GAN) | relative (S4NN: no error for outputs already ≥ margin behind) | symmetric (like relative, but the right neuron and its closest rival meet halfway)
    deadline: float = 0.0  # ttfs_classifier, relative targets: the desired neuron should fire by this step at the latest (0: no deadline)
    grad_norm: str = "l1"  # per-sample normalisation of each layer's error: l1 | l2 | none
    rule: str = "s4nn"  # ttfs_classifier: what trains both layers, and the phase's name: s4nn (S4NN's temporal backprop) | surrogate (each image at random steps as a binary-step network, exact forward, surrogate gradient; options below)
    surrogate_steps: list = field(default_factory=lambda: [10, 128])  # … surrogate: the steps [first, last] the random ones are drawn from; the right output should reach θ by the last
    surrogate_samples: int = 4  # … random steps per training image
    surrogate_width: float = 50.0  # … fast-sigmoid surrogate width (potential units)
    surrogate_noise: float = 30.0  # … Gaussian noise (std, potential units) added to the hidden membranes in training
    surrogate_temperature: float = 10.0  # … the output potentials over this are the logits of the cross-entropy at each random step
    surrogate_late: float = 1.0  # … weight of (θ − V_right(last step))₊/θ in the loss
    input_drop: float = 0.2  # … fraction of input spikes left out of each training image
    hidden_drop: float = 0.2  # … fraction of hidden spikes left out (the rest scaled up to match) in training
    held_out: int = 0  # ttfs_classifier: the last this-many training images are not trained on; with train.select_every they choose the kept model and its output threshold (0: train on all)
    select_deadline: float = 60.0  # … the chosen output threshold is the most accurate one on the held-out images whose mean decision comes by this step
    readout_epochs: int = 0  # ttfs_classifier: after the trained phase (ttfs.rule), train the output layer alone (hidden spike times fixed) with the race loss on its potentials for this many epochs, as phase "readout" (0: none)
    readout_lr: float = 0.05  # … Adam learning rate
    readout_batch_size: int = 64  # … images per batch
    readout_deadline: int = 128  # … step by which the right output should reach θ
    readout_margin: float = 60.0  # … the other outputs stay this far (potential units) below θ until the right one reaches it
    reset_dead_every: int = 0  # every N batches, re-draw hidden neurons (spiking_gan: the discriminator's) that fired for < reset_dead_below of their (real) images (S4NN; 0: off)
    reset_dead_below: float = 1e-3  # fraction of images (S4NN: 0.1 %)
    digit: int = -1  # spiking_gan: train on this digit only (-1: all digits)
    noise_size: int = 100  # spiking_gan: generator inputs (TTFS-coded discrete uniform noise)
    label_inputs: int = 0  # spiking_gan, all digits: > 0 makes both GANs class-conditional; the generator gets this many inputs per digit, firing at t = 0 for the digit asked for, and every training batch holds one digit
    label_gate: float = 0.0  # … the fraction of generator hidden neurons each digit's label inputs reach at the start (the others' label weights start at 0)
    label_drive: float = 1.5  # … with this total weight in units of the hidden θ (≥ 1: they fire at once for the digit, a per-digit template; < 0: silenced)
    label_partition: bool = False  # … instead: the hidden neurons of both networks fall into ten blocks, and each digit's label inputs silence all blocks but the digit's own (ten per-digit sub-networks in one)
    block_candidates: int = 1  # … label_partition: each digit keeps its this many best checked blocks, and when training ends they are scored again on 2,000 samples per digit against 4,000 of its training images that no check used; the best is kept (1: the best check's)
    block_output_init: list = field(default_factory=list)  # … label_partition: per digit 0–9, the [low, high) its block's generator output weights start in (empty: ttfs.init_low[1], init_high[1] for every block)
    exemplar_init: list = field(default_factory=list)  # spiking_gan: [scale, offset]: generator output weights start as scale·x + offset, x one training image (pixels in [0, 1]) per hidden neuron, of the neuron's block's digit when label_partition (empty: uniform, init_low[1]…init_high[1])
    generator_lr: float = 0.0  # spiking_gan: generator learning rate (0: train.lr)
    generator_loss: str = "adversarial"  # spiking_gan: adversarial (paper: fool the real/fake neurons) | feature_matching (match real images' mean discriminator-hidden spike times) | moment_matching (their means and standard deviations over the batch)
    mode_seeking: float = 0.0  # spiking_gan: weight of a mode-seeking term (Mao et al. 2019) in the generator's loss: two samples' pixel distance over their noise distance should grow (0: off)
    mode_seeking_per_block: bool = False  # … label_partition: each digit's weight starts at 0, halves at a check where its samples are recognised less often than the target (0.9) and doubles (from at least ttfs.mode_seeking / 4, up to it) where they meet it
    d_causal_input_grad: bool = True  # spiking_gan: false lets every generator pixel, fired or not, get the discriminator's time gradient
    d_thresholds: list = field(default_factory=lambda: [100.0, 100.0])  # spiking_gan discriminator θ (hidden, output)
    d_init_high: list = field(default_factory=lambda: [5.0, 48.0])  # spiking_gan discriminator init bounds


@dataclass
class TrainSection:
    epochs: int = 1
    batch_size: int = 100
    optimizer: str = "adam"  # adam | sgd
    lr: float = 5e-4
    weight_decay: float = 1e-4
    lr_schedule: str = "constant"  # constant | cosine (decays to 0 over all batches)
    update: str = "bptt"  # bptt (one update per batch) | per_step (one update per time step)
    mask: bool = True  # XOR error mask of the membrane loss
    noise: float = 0.0  # η: inputs are x + η·N(0, 1) clipped to [0, 1], targets stay clean (train and test)
    checkpoint_every: int = 100  # batches between checkpoints
    select_every: int = 0  # spiking_gan (both GANs): batches between checks of 1,000 samples against the digit's training images; the run keeps the best model seen (recognised ≥ 0.9 first, then the lowest Fréchet distance); ttfs_classifier: checks on the ttfs.held_out images, keeping the most accurate model at its chosen output threshold; 0: keep the last
    device: str = "cpu"  # cpu | cuda (comsa_ae and ANN models; checkpoints are portable between the two)


@dataclass
class BaselinesSection:
    ann_sgd: bool = False  # same-size ANN autoencoder, plain SGD, trained in the same run
    ann_adam: bool = False  # same-size ANN autoencoder, Adam, trained in the same run
    sgd_lr: float = 0.1
    ann_gan: bool = False  # spiking_gan: a same-shape ANN GAN (tanh generator, sigmoid discriminator) in the same run
    ann_gan_epochs: int = 0  # its epochs (0: train.epochs); it trains in seconds, so it can be given the epochs it needs
    ann_adam_inverted: bool = False  # the Adam ANN again on inverted images (1 − x), as Comşa et al. compare
    adam_lr: float = 1e-3


@dataclass
class Config:
    run: RunSection = field(default_factory=RunSection)
    data: DataSection = field(default_factory=DataSection)
    model: ModelSection = field(default_factory=ModelSection)
    temporal: TemporalSection = field(default_factory=TemporalSection)
    ttfs: TTFSSection = field(default_factory=TTFSSection)
    train: TrainSection = field(default_factory=TrainSection)
    baselines: BaselinesSection = field(default_factory=BaselinesSection)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


CHOICES = {
    ("data", "dataset"): ("mnist", "fashion_mnist", "mnist_5k"),
    ("model", "kind"): ("roy_ae", "conv_if_ae", "comsa_ae", "ann_ae", "ttfs_classifier", "spiking_gan"),
    ("ttfs", "grad_norm"): ("l1", "l2", "none"),
    ("ttfs", "target"): ("aggressive", "relative", "symmetric"),
    ("ttfs", "generator_loss"): ("adversarial", "feature_matching", "moment_matching"),
    ("model", "encoder"): ("bernoulli", "poisson"),
    ("model", "ann_activation"): ("relu", "sigmoid"),
    ("train", "optimizer"): ("adam", "sgd"),
    ("train", "lr_schedule"): ("constant", "cosine"),
    ("train", "update"): ("bptt", "per_step"),
    ("train", "device"): ("cpu", "cuda"),
}
POSITIVE = {("model", "hidden"), ("model", "steps"), ("train", "epochs"), ("train", "batch_size"),
            ("train", "checkpoint_every"), ("model", "v_th"), ("train", "lr"), ("temporal", "decay"),
            ("temporal", "pulse_lr"), ("temporal", "output_pulse_span"), ("temporal", "clip_derivative"), ("temporal", "no_spike_time"),
            ("ttfs", "steps"), ("ttfs", "noise_size")}


def _is_number(value: Any) -> bool:
    """An int or float from TOML (a bool is not a number here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_type(where: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = _is_number(value)
        value = float(value) if ok else value
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise BioawareError(f"{where} must be {type(default).__name__}, got {value!r}")
    return value


def config_from_dict(raw: dict[str, Any], source: str = "<config>") -> Config:
    """Validate a nested dict (as read from TOML) into a :class:`Config`."""
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
                    f"{source}: unknown key '{sname}.{key}' (known in [{sname}]: {', '.join(sorted(keys))}); fix or remove it")
            value = _check_type(f"{source}: {sname}.{key}", value, getattr(section, key))
            setattr(section, key, value)
    for (sname, key), allowed in CHOICES.items():
        if getattr(getattr(cfg, sname), key) not in allowed:
            raise BioawareError(f"{source}: {sname}.{key} = {getattr(getattr(cfg, sname), key)!r} is not one of {allowed}")
    for sname, key in POSITIVE:
        if not getattr(getattr(cfg, sname), key) > 0:
            raise BioawareError(f"{source}: {sname}.{key} must be > 0")
    if not 0.0 <= cfg.model.leak < 1.0:
        raise BioawareError(f"{source}: model.leak must be in [0, 1), got {cfg.model.leak}")
    if not 0.0 < cfg.model.max_rate <= 1.0 and cfg.model.encoder == "bernoulli":
        raise BioawareError(f"{source}: model.max_rate must be in (0, 1] for the bernoulli encoder")
    if cfg.model.kind == "conv_if_ae" and (not cfg.model.channels or not all(
            isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in cfg.model.channels)):
        raise BioawareError(f"{source}: model.channels must be a list of positive integers, e.g. [8, 2, 8]")
    if cfg.model.kind == "conv_if_ae" and (cfg.model.kernel_size % 2 == 0 or cfg.model.kernel_size > 16):
        raise BioawareError(f"{source}: model.kernel_size must be odd and at most 16 (Speck's limit)")
    if cfg.model.kind == "conv_if_ae" and cfg.train.update != "bptt":
        raise BioawareError(f"{source}: model.kind = 'conv_if_ae' trains with train.update = 'bptt' only")
    if cfg.temporal.latency < 0 or cfg.temporal.pulses < 0 or cfg.temporal.penalty_no_spike < 0:
        raise BioawareError(f"{source}: temporal.latency, temporal.pulses and temporal.penalty_no_spike must be ≥ 0")
    if cfg.temporal.no_spike_time <= cfg.temporal.latency + 1.0:
        raise BioawareError(f"{source}: temporal.no_spike_time must lie beyond the output window (> latency + 1)")
    if not 0.0 <= cfg.train.noise:
        raise BioawareError(f"{source}: train.noise must be ≥ 0, got {cfg.train.noise}")
    if cfg.model.kind == "comsa_ae" and cfg.train.update != "bptt":
        raise BioawareError(f"{source}: model.kind = 'comsa_ae' trains with train.update = 'bptt' (exact gradients) only")
    for key in ("thresholds", "init_high", "d_thresholds", "d_init_high"):
        values = getattr(cfg.ttfs, key)
        if len(values) != 2 or not all(_is_number(v) and v > 0 for v in values):
            raise BioawareError(f"{source}: ttfs.{key} must be two positive numbers (hidden, output), got {values!r}")
    low = cfg.ttfs.init_low
    if len(low) != 2 or not all(_is_number(v) and v < h for v, h in zip(low, cfg.ttfs.init_high)):
        raise BioawareError(f"{source}: ttfs.init_low must be two numbers below ttfs.init_high {cfg.ttfs.init_high}, got {low!r}")
    if not -1 <= cfg.ttfs.digit <= 9:
        raise BioawareError(f"{source}: ttfs.digit must be a digit 0–9, or -1 for all digits")
    if cfg.ttfs.deadline and (cfg.model.kind != "ttfs_classifier" or cfg.ttfs.target != "relative"
                              or not 0 < cfg.ttfs.deadline < cfg.ttfs.steps):
        raise BioawareError(f"{source}: ttfs.deadline works with model.kind = 'ttfs_classifier' and ttfs.target = "
                            f"'relative' and must lie between 0 and ttfs.steps ({cfg.ttfs.steps}), got {cfg.ttfs.deadline}")
    routing = cfg.ttfs.label_gate or cfg.ttfs.label_partition
    if cfg.ttfs.label_inputs < 0 or not 0 <= cfg.ttfs.label_gate < 1 or (
            (cfg.ttfs.label_inputs or routing) and (cfg.model.kind != "spiking_gan" or cfg.ttfs.digit != -1
                                                    or not cfg.ttfs.label_inputs)):
        raise BioawareError(f"{source}: ttfs.label_inputs (≥ 0), ttfs.label_gate (in [0, 1)) and ttfs.label_partition "
                            f"(both need label_inputs) make a spiking_gan with ttfs.digit = -1 class-conditional; got "
                            f"{cfg.ttfs.label_inputs}, {cfg.ttfs.label_gate} and {cfg.ttfs.label_partition} for "
                            f"{cfg.model.kind!r}, digit {cfg.ttfs.digit}")
    if cfg.ttfs.label_partition and (cfg.ttfs.label_gate or cfg.model.hidden < 10):
        raise BioawareError(f"{source}: ttfs.label_partition splits the hidden layers into ten blocks: it needs "
                            f"model.hidden ≥ 10 (got {cfg.model.hidden}) and replaces ttfs.label_gate (set it to 0)")
    bounds = cfg.ttfs.block_output_init
    if bounds and (not cfg.ttfs.label_partition or len(bounds) != 10 or not all(
            isinstance(pair, list) and len(pair) == 2 and all(_is_number(v) for v in pair) and pair[0] < pair[1]
            for pair in bounds)):
        raise BioawareError(f"{source}: ttfs.block_output_init needs ttfs.label_partition and ten [low, high] pairs "
                            f"(low < high), one per digit 0–9; got {bounds!r}")
    scale_offset = cfg.ttfs.exemplar_init
    if scale_offset and (cfg.model.kind != "spiking_gan" or len(scale_offset) != 2
                         or not all(_is_number(v) for v in scale_offset) or scale_offset[0] <= 0):
        raise BioawareError(f"{source}: ttfs.exemplar_init is a spiking_gan's [scale, offset] (scale > 0) for its "
                            f"generator's output weights, or [] for uniform ones; got {scale_offset!r}")
    tt = cfg.ttfs
    if tt.readout_epochs and (cfg.model.kind != "ttfs_classifier" or not 0 < tt.readout_deadline < tt.steps
                              or tt.readout_margin < 0 or tt.readout_lr <= 0 or tt.readout_batch_size < 1):
        raise BioawareError(f"{source}: ttfs.readout_epochs trains a ttfs_classifier's output layer; it needs "
                            f"0 < ttfs.readout_deadline < ttfs.steps ({tt.steps}), ttfs.readout_margin ≥ 0, "
                            f"ttfs.readout_lr > 0 and ttfs.readout_batch_size ≥ 1; got {tt.readout_deadline}, "
                            f"{tt.readout_margin}, {tt.readout_lr} and {tt.readout_batch_size} for {cfg.model.kind!r}")
    span = tt.surrogate_steps
    span_ok = isinstance(span, list) and len(span) == 2 and all(isinstance(v, int) for v in span) and 1 <= span[0] <= span[1] < tt.steps
    if tt.rule not in ("s4nn", "surrogate") or (tt.rule == "surrogate" and (
            cfg.model.kind != "ttfs_classifier" or not span_ok or tt.surrogate_samples < 1 or tt.surrogate_width <= 0
            or tt.surrogate_noise < 0 or tt.surrogate_temperature <= 0 or tt.surrogate_late < 0
            or not (0 <= tt.input_drop < 1 and 0 <= tt.hidden_drop < 1))):
        raise BioawareError(f"{source}: ttfs.rule is 's4nn' or 'surrogate' (ttfs_classifier only, with ttfs.surrogate_steps "
                            f"[first, last], integers 1 ≤ first ≤ last < ttfs.steps, surrogate_samples ≥ 1, surrogate_width "
                            f"and surrogate_temperature > 0, surrogate_noise and surrogate_late ≥ 0, input_drop and "
                            f"hidden_drop in [0, 1)); got {tt.rule!r} for {cfg.model.kind!r}, surrogate_steps {span!r}")
    if tt.readout_epochs < 0:
        raise BioawareError(f"{source}: ttfs.readout_epochs must be ≥ 0, got {tt.readout_epochs}")
    if cfg.ttfs.margin < 0 or cfg.ttfs.generator_lr < 0 or cfg.ttfs.reset_dead_every < 0:
        raise BioawareError(f"{source}: ttfs.margin, ttfs.generator_lr and ttfs.reset_dead_every must be ≥ 0")
    if cfg.ttfs.mode_seeking < 0 or (cfg.ttfs.mode_seeking and cfg.model.kind != "spiking_gan"):
        raise BioawareError(f"{source}: ttfs.mode_seeking weighs a spiking_gan generator's mode-seeking term; it must be "
                            f"≥ 0, and 0 for model.kind = {cfg.model.kind!r}; got {cfg.ttfs.mode_seeking}")
    if cfg.ttfs.mode_seeking_per_block and not (cfg.ttfs.label_partition and cfg.ttfs.mode_seeking and cfg.train.select_every):
        raise BioawareError(f"{source}: ttfs.mode_seeking_per_block adapts each digit block's mode-seeking weight at the "
                            f"checks: it needs ttfs.label_partition, ttfs.mode_seeking > 0 and train.select_every > 0")
    if not 0 <= cfg.ttfs.reset_dead_below < 1:
        raise BioawareError(f"{source}: ttfs.reset_dead_below must be a fraction of images in [0, 1), got {cfg.ttfs.reset_dead_below}")
    if cfg.model.kind in ("ttfs_classifier", "spiking_gan") and (cfg.train.update != "bptt" or cfg.train.noise):
        raise BioawareError(f"{source}: model.kind = {cfg.model.kind!r} trains with train.update = 'bptt' and no train.noise")
    if cfg.ttfs.block_candidates < 1 or (cfg.ttfs.block_candidates > 1 and not (cfg.ttfs.label_partition and cfg.train.select_every)):
        raise BioawareError(f"{source}: ttfs.block_candidates must be ≥ 1, and > 1 only with ttfs.label_partition and "
                            f"train.select_every > 0 (got {cfg.ttfs.block_candidates})")
    if cfg.train.select_every < 0 or (cfg.train.select_every and cfg.model.kind not in ("spiking_gan", "ttfs_classifier")):
        raise BioawareError(f"{source}: train.select_every keeps the best GAN or TTFS classifier checkpoint; it must "
                            f"be ≥ 0, and 0 for model.kind = {cfg.model.kind!r}")
    if cfg.model.kind == "ttfs_classifier" and (tt.held_out < 0 or bool(tt.held_out) != bool(cfg.train.select_every)
                                                or not 0 < tt.select_deadline <= tt.steps):
        raise BioawareError(f"{source}: a ttfs_classifier's ttfs.held_out (images, ≥ 0) and train.select_every go "
                            f"together (both 0, or both > 0), with 0 < ttfs.select_deadline ≤ ttfs.steps; got "
                            f"{tt.held_out}, {cfg.train.select_every} and {tt.select_deadline}")
    if cfg.baselines.ann_gan_epochs < 0:
        raise BioawareError(f"{source}: baselines.ann_gan_epochs must be ≥ 0 (0: train.epochs), got {cfg.baselines.ann_gan_epochs}")
    if cfg.baselines.ann_gan and cfg.model.kind != "spiking_gan":
        raise BioawareError(f"{source}: baselines.ann_gan is the ANN beside a spiking_gan; remove it for {cfg.model.kind!r}")
    if cfg.train.device == "cuda" and cfg.model.kind in ("roy_ae", "conv_if_ae"):
        raise BioawareError(f"{source}: train.device = 'cuda' is for comsa_ae and ann_ae models; "
                            f"{cfg.model.kind} trains on the cpu")
    if cfg.model.kind == "ann_ae" and (cfg.baselines.ann_sgd or cfg.baselines.ann_adam or cfg.baselines.ann_adam_inverted):
        raise BioawareError(f"{source}: [baselines] trains ANNs beside a spiking model; "
                            f"for model.kind = {cfg.model.kind!r} set train.optimizer instead")
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


def load_config(path: str | Path, overrides: list[str] = ()) -> Config:
    """Read and validate a TOML run config (plus `--set` overrides); the run name defaults to the file's stem."""
    path = Path(path)
    if not path.is_file():
        raise BioawareError(f"{path}: config file not found; pass a TOML file such as runs/roy_ae_mnist.toml")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise BioawareError(f"{path}: malformed TOML: {exc}") from None
    for assignment in overrides:
        apply_override(raw, assignment)
    cfg = config_from_dict(raw, str(path) + (" with --set " + " ".join(overrides) if overrides else ""))
    if cfg.run.name and (Path(cfg.run.name).name != cfg.run.name or cfg.run.name in (".", "..")):
        raise BioawareError(f"{path}: run.name = {cfg.run.name!r} must be a plain name (no folders: it names the run "
                            "directory beside the config); use --out for another place")
    if not cfg.run.name:
        cfg.run.name = path.stem
    return cfg
