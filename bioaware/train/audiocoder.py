"""Audio → image tasks: the spiking audiocoder trained on a frozen autoencoder's hidden spike code (Roy et al.'s
membrane loss with the XOR mask), the ANN image code its ANN baselines aim at, and those baselines.

Each clip's target is the code of the image paired with it: the autoencoder's hidden spikes over T_h steps of its
own rate-coded input, repeated over the audiocoder's window. The autoencoder's decoder layer turns the code the
audiocoder produces into the image.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import torch

from bioaware.core.config import Config, TrainSection
from bioaware.core.errors import BioawareError
from bioaware.data.encoders import rate_encode
from bioaware.evaluation.audio_synthesis import synthesis_metrics
from bioaware.evaluation.digit_classifier import cached_digit_classifier
from bioaware.interchange.from_nir import graph_to_layers, read_graph
from bioaware.models.audiocoder import AnnAudiocoder, AudioToImage, quantise
from bioaware.models.functional.lif import LIFParameters, lif_scan
from bioaware.train.losses import masked_membrane_loss
from bioaware.train.tasks import AnnAutoencoderTask, Task, evaluate, make_optimizer


class FrozenAutoencoder:
    """The rate-coded autoencoder an audiocoder aims at, read from its NIR graph: its encoder layer gives each
    image's hidden spike code, its decoder layer draws the image."""

    def __init__(self, path: str | Path):
        path = Path(path)
        if not path.is_file():
            raise BioawareError(f"audio.autoencoder '{path}' does not exist (relative paths start in the working "
                                "directory); export a trained rate autoencoder with "
                                "`bioaware export runs/<name>` and point audio.autoencoder at its model.nir")
        layers, metadata = graph_to_layers(read_graph(path), path)
        if len(layers) != 2 or layers[0].weight.shape[1] != 784 or any(layer.readout for layer in layers):
            raise BioawareError(f"audio.autoencoder '{path}': not a 784-H-784 graph of two spiking layers; give the "
                                "model.nir of a roy_ae run")
        self.path, self.metadata = path, metadata
        self.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        encoder, decoder = layers
        self.encoder_weight = torch.from_numpy(encoder.weight).float()
        self.decoder_weight = torch.from_numpy(decoder.weight).float()
        self.encoder_p = LIFParameters(encoder.leak, encoder.v_th)
        self.decoder_p = LIFParameters(decoder.leak, decoder.v_th)
        self.encoder_name = str(metadata.get("encoder", "bernoulli"))
        self.max_rate = float(metadata.get("max_rate", 1.0))

    @property
    def code_size(self) -> int:
        return self.encoder_weight.shape[0]

    @torch.no_grad()
    def code(self, images: torch.Tensor, steps: int, seed: int) -> torch.Tensor:
        """Hidden spikes [N, steps, H] of images [N, 784] in [0, 1]; equal images get the same code (one draw of input
        spikes per distinct image, from `seed`)."""
        distinct, which = torch.unique(images, dim=0, return_inverse=True)
        generator = torch.Generator().manual_seed(seed)
        codes = []
        for chunk in distinct.split(500):
            spikes = rate_encode(self.encoder_name, chunk, steps, self.max_rate, generator)
            codes.append(lif_scan(spikes @ self.encoder_weight.T, self.encoder_p)[0].transpose(0, 1))
        return torch.cat(codes)[which]

    @torch.no_grad()
    def draw(self, code: torch.Tensor) -> torch.Tensor:
        """The decoder layer's spikes [T, B, 784] driven by a code [T, B, H]."""
        return lif_scan(code @ self.decoder_weight.T, self.decoder_p)[0]


def repeated(code: torch.Tensor, steps: int) -> torch.Tensor:
    """A code [B, T_h, H] repeated over `steps` steps: [steps, B, H]."""
    return code.transpose(0, 1)[torch.arange(steps) % code.shape[1]]


def count_pixels(out_z: torch.Tensor) -> torch.Tensor:
    """Spike counts [T, B, 784] → images [B, 784] in [0, 1] (each divided by its own largest count)."""
    counts = out_z.sum(0)
    return counts / counts.max(1, keepdim=True).values.clamp_min(1.0)


class AudioSynthesisTask(Task):
    """What the spiking and ANN audiocoders share: targets from the paired images, test metrics and figures.
    Subclasses give `target_code(images)` ([N, …] per clip) and `synthesise(features, generator)` →
    (code [T, B, H] for the figures, images [B, 784] in [0, 1])."""

    supervised = True  # the training "labels" are the clips' target codes
    shardable = True

    def target_code(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def synthesise(self, features: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def training_set(self, data):
        return data.train_x, self.target_code(data.train_images)

    @torch.no_grad()
    def synthesise_all(self, features: torch.Tensor, batch_size: int, seed: int) -> torch.Tensor:
        self.model.eval()
        generator = torch.Generator().manual_seed(seed + 1)  # test spikes never reuse training draws
        return torch.cat([self.synthesise(features[k:k + batch_size], generator)[1]
                          for k in range(0, len(features), batch_size)])

    def test_metrics(self, data, batch_size, seed, run):
        classifier, accuracy = cached_digit_classifier(run.path, data.images, seed)
        result = synthesis_metrics(self.synthesise_all(data.test_x, batch_size, seed), data.test_images, data.test_y,
                                   data.train_images, data.train_y, classifier)
        floor = synthesis_metrics(self.from_target(data.test_images), data.test_images, data.test_y, data.train_images,
                                  data.train_y, classifier)
        return result | {"target_code_mse": floor["mse"], "target_code_recognised": floor["recognised"],
                         "classifier_accuracy": accuracy}

    def from_target(self, images: torch.Tensor) -> torch.Tensor:
        """The images [N, 784] the decoder draws from the target codes themselves: the best an audiocoder can do."""
        raise NotImplementedError

    @torch.no_grad()
    def figures(self, data, seed, run, results, n=10):
        """Per digit (the first test clip of each): spectrogram, target code, produced code, image."""
        from bioaware.core.figures import speech_to_image_columns

        firsts = [int((data.test_y == d).nonzero()[0]) for d in range(10) if (data.test_y == d).any()]
        if not firsts:
            return
        index = torch.tensor(firsts)
        code, pixels = self.synthesise(data.test_x[index], torch.Generator().manual_seed(seed + 2))
        target = self.target_code(data.test_images[index])
        bank = data.filterbank
        columns = [{"label": f"'{int(data.test_y[i])}'", "spectrogram": data.test_x[i].reshape(bank.channels, -1),
                    "target code": target[k].reshape(-1, target.shape[-1]), "code": code[:, k], "image": pixels[k]}
                   for k, i in enumerate(firsts)]
        speech_to_image_columns(columns, run.figures / f"speech_to_image_{self.phase}.png",
                                f"{run.path.name}: {self.phase}, first test clip of each digit")


class SpikingAudiocoderTask(AudioSynthesisTask):
    """The spiking audiocoder (features − H − code, LIF) in front of the frozen decoder layer; the rate-coded
    spectrogram drives it for model.steps steps, and its code layer's membrane is trained towards the target code."""

    def __init__(self, cfg: Config, phase: str = "snn"):
        m, self.t, self.audio, self.seed = cfg.model, cfg.train, cfg.audio, cfg.run.seed
        self.phase, self.m = phase, m
        self.autoencoder = FrozenAutoencoder(cfg.audio.autoencoder)
        n_in = cfg.audio.channels * cfg.audio.frames
        p = LIFParameters(m.leak, m.v_th, m.surrogate_slope)
        self.model = AudioToImage(n_in, m.hidden, self.autoencoder.decoder_weight, p, self.autoencoder.decoder_p)
        self.optimizer = make_optimizer(self.model.trained_parameters(), self.t.optimizer, self.t.lr,
                                        self.t.weight_decay)

    def encode(self, features: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return rate_encode(self.m.encoder, features, self.m.steps, self.m.max_rate, generator)

    def target_code(self, images):
        return self.autoencoder.code(images, self.audio.hidden_steps, self.seed + 5)

    def train_batch(self, features, generator, code):
        _, hidden_z, hidden_v = self.model.encode(self.encode(features, generator)[:, self.shard])
        return self._update(masked_membrane_loss(hidden_v, hidden_z, repeated(code[self.shard], self.m.steps),
                                                 self.m.v_th, self.t.mask))

    def synthesise(self, features, generator):
        out = self.model(self.encode(features, generator))
        return out.hidden_z, count_pixels(out.out_z)

    def from_target(self, images):
        return count_pixels(self.autoencoder.draw(repeated(self.target_code(images), self.m.steps)))

    def test_metrics(self, data, batch_size, seed, run):
        result = super().test_metrics(data, batch_size, seed, run)
        self.model.eval()
        with torch.no_grad():
            features = data.test_x[:batch_size]
            code = self.model.encode(self.encode(features, torch.Generator().manual_seed(seed + 1)))[1]
        target = repeated(self.target_code(data.test_images[:batch_size]), self.m.steps)
        return result | {"code_bits_equal": float(code.eq(target).float().mean()),
                         "code_rate": float(code.mean()), "target_code_rate": float(target.mean()),
                         "autoencoder_sha256": self.autoencoder.sha256}


class AnnImageCodeTask(AnnAutoencoderTask):
    """The ANN autoencoder (784-H-784, sigmoid code) trained on the paired image set: the code ANN audiocoders aim
    at and the decoder that draws their images."""

    def __init__(self, cfg: Config, code_size: int):
        model = dataclasses.replace(cfg.model, hidden=code_size, ann_activation="sigmoid")
        super().__init__(model, "adam", cfg.baselines.adam_lr, cfg.train.weight_decay, "ann_image_code")

    def training_set(self, data):
        return data.images.train_x, data.images.train_y

    def test_metrics(self, data, batch_size, seed, run):
        return evaluate(self, data.images.test_x, batch_size, seed)

    def figures(self, data, seed, run, results, n=10):
        super().figures(data.images, seed, run, results, n)

    @torch.no_grad()
    def code(self, images: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.model.encoder(images))

    @torch.no_grad()
    def draw(self, code: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.model.decoder(code))


class AnnAudiocoderTask(AudioSynthesisTask):
    """An ANN audiocoder regressing the ANN image code, quantised to 2^T_h levels (what T_h binary spikes carry),
    decoded by the ANN autoencoder's decoder."""

    spiking = False

    def __init__(self, cfg: Config, image_code: AnnImageCodeTask, optimizer: str, lr: float, phase: str):
        self.phase, self.image_code = phase, image_code
        self.levels = 2 ** cfg.audio.hidden_steps
        n_code = image_code.model.encoder.out_features
        self.model = AnnAudiocoder(cfg.audio.channels * cfg.audio.frames, cfg.model.hidden, n_code)
        self.optimizer = make_optimizer(self.model.parameters(), optimizer, lr, cfg.train.weight_decay)

    def target_code(self, images):
        return quantise(self.image_code.code(images), self.levels)

    def train_batch(self, features, generator, code):
        features, code = features[self.shard], code[self.shard]
        return self._update(0.5 * (self.model(features) - code).pow(2).sum() / len(features))

    def synthesise(self, features, generator):
        code = quantise(self.model(features), self.levels)
        return code.unsqueeze(0), self.image_code.draw(code)

    def from_target(self, images):
        return self.image_code.draw(self.target_code(images))

    def test_metrics(self, data, batch_size, seed, run):
        """The quantised code's metrics, and the same without quantisation (`unquantised_*`)."""
        result = super().test_metrics(data, batch_size, seed, run)
        classifier, _ = cached_digit_classifier(run.path, data.images, seed)
        with torch.no_grad():
            pixels = self.image_code.draw(self.model.eval()(data.test_x))
        plain = synthesis_metrics(pixels, data.test_images, data.test_y, data.train_images, data.train_y, classifier)
        return result | {f"unquantised_{key}": plain[key]
                         for key in ("mse", "mse_nearest_of_label", "recognised", "read_as_spoken")}


def audiocoder_tasks(cfg: Config) -> list[tuple[Task, TrainSection]]:
    """The spiking audiocoder, then (when [baselines] asks for ANNs) the ANN image code and the ANN audiocoders
    trained with SGD and with Adam, at their own learning rates and without a schedule."""
    t, b = cfg.train, cfg.baselines
    snn = SpikingAudiocoderTask(cfg)
    tasks: list[tuple[Task, TrainSection]] = [(snn, t)]
    if not (b.ann_sgd or b.ann_adam):
        return tasks
    image_code = AnnImageCodeTask(cfg, snn.autoencoder.code_size)
    tasks.append((image_code, dataclasses.replace(t, optimizer="adam", lr=b.adam_lr, lr_schedule="constant",
                                                  batch_size=100)))
    for enabled, optimizer, lr in ((b.ann_sgd, "sgd", b.sgd_lr), (b.ann_adam, "adam", b.adam_lr)):
        if enabled:
            task = AnnAudiocoderTask(cfg, image_code, optimizer, lr, f"ann_{optimizer}")
            tasks.append((task, dataclasses.replace(t, optimizer=optimizer, lr=lr, lr_schedule="constant")))
    return tasks
