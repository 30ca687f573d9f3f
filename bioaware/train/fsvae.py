"""Training the Fully Spiking VAE (reconstruction MSE on the [−1, 1] scale plus the prior-matching term on the
PSP-filtered latent firing probabilities, as Kamata et al. (2022) define them) and its same-architecture ANN VAE
(MSE plus the Gaussian KL term)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from bioaware.core.config import FSVAESection, TrainSection
from bioaware.core.log import info
from bioaware.models.ann_vae import AnnVAE
from bioaware.models.fsvae import FSVAE, FSVAEParameters
from bioaware.models.functional.fsvae import psp
from bioaware.train.tasks import Reconstruction, Task, make_optimizer

SIDE = 32  # the models' image side: MNIST's 28×28 images are padded to it with background
GREY = (1, 28, 28)


def to_model_scale(images: torch.Tensor, shape: tuple = GREY) -> torch.Tensor:
    """Images [B, C·H·W] in [0, 1] → [B, C, 32, 32] in [−1, 1] (smaller ones padded with −1, the background)."""
    pad = (SIDE - shape[1]) // 2
    x = images.reshape(-1, *shape) * 2.0 - 1.0
    return F.pad(x, (pad,) * 4, value=-1.0) if pad else x


def to_pixels(images: torch.Tensor, shape: tuple = GREY) -> torch.Tensor:
    """[B, C, 32, 32] in [−1, 1] → [B, C·H·W] in [0, 1] (the padding cut off)."""
    pad = (SIDE - shape[1]) // 2
    images = images[:, :, pad:SIDE - pad, pad:SIDE - pad]
    return ((images + 1.0) / 2.0).reshape(len(images), -1).clamp(0.0, 1.0)


class ImageVAETask(Task):
    """What both VAEs share: 32×32 images in [−1, 1], the MSE on that scale in the test metrics, prior samples
    and their quality (judged for 28×28 grey images: MNIST and Fashion-MNIST)."""

    def test_metrics(self, data, batch_size: int, seed: int, run) -> dict:
        results = super().test_metrics(data, batch_size, seed, run)
        results["mse_pm1"] = 4.0 * results["pixel_mse"]  # the paper's scale: (2·Δ)² on [−1, 1]
        if self.quality_samples and self.shape == GREY:
            results.update(self.sample_quality(data, batch_size, seed, run))
        elif self.quality_samples:
            info(f"{self.phase}: samples of {self.shape} images are not judged (the judging networks take 28×28 "
                 "grey images; Inception-based FID needs a download)")
        return results

    def sample_quality(self, data, batch_size: int, seed: int, run) -> dict:
        """`quality_samples` prior samples against the test images: the independent classifier's Fréchet distance,
        recognised fraction (≥ 0.9 confidence for one class) and variety, and the autoencoder Fréchet distance."""
        from bioaware.evaluation.digit_classifier import cached_digit_classifier
        from bioaware.evaluation.image_autoencoder import autoencoder_frechet, cached_image_autoencoder
        from bioaware.evaluation.sample_quality import sample_quality

        generator = torch.Generator().manual_seed(seed + 4)
        samples = torch.cat([self.sample(min(batch_size, self.quality_samples - k), generator)
                             for k in range(0, self.quality_samples, batch_size)])
        judge, _ = cached_digit_classifier(run.path, data, seed)
        autoencoder, _ = cached_image_autoencoder(run.path, data, seed)
        q = sample_quality(judge, samples, data.test_x)
        return {"sample_frechet": q["frechet"], "sample_recognised": q["recognised"], "sample_variety": q["variety"],
                "sample_frechet_autoencoder": autoencoder_frechet(autoencoder, samples, data.test_x),
                "quality_samples": len(samples)}

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n images [n, 784] in [0, 1] drawn from the prior."""
        self.model.eval()
        return to_pixels(self.model.sample(n, generator).cpu(), self.shape)

    def figures(self, data, seed: int, run, results: dict, n: int = 10) -> None:
        from bioaware.core.figures import reconstruction_grid

        super().figures(data, seed, run, results, n)
        samples = self.sample(8 * n, torch.Generator().manual_seed(seed + 2)).numpy()
        reconstruction_grid({str(r): samples[r * n:(r + 1) * n] for r in range(8)},
                            run.figures / f"samples_{self.phase}.png", f"{run.path.name}: {self.phase} prior samples",
                            self.shape)


class FSVAETask(ImageVAETask):
    """The FSVAE, trained on MSE + the PSP-matched prior."""

    def __init__(self, fs: FSVAESection, t: TrainSection, phase: str = "snn", shape: tuple = GREY):
        self.phase, self.fs, self.quality_samples, self.shape = phase, fs, fs.quality_samples, tuple(shape)
        p = FSVAEParameters(fs.steps, fs.latent, fs.k, fs.tau, fs.v_th, fs.readout_decay, fs.surrogate_centre)
        self.model = FSVAE(tuple(fs.channels), p, in_channels=shape[0])
        self.optimizer = make_optimizer(self.model.parameters(), t.optimizer, t.lr, t.weight_decay)

    def loss(self, images: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction MSE on [−1, 1], prior-matching term) of a batch [B, 784]."""
        x = to_model_scale(images, self.shape).to(self.device)
        first, last = self.fs.scheduled_sampling
        out = self.model(x, generator, first + (last - first) * self.progress if self.model.training else 0.0)
        prior_gap = (psp(out.q, self.fs.psp_tau) - psp(out.p, self.fs.psp_tau)).pow(2).mean()
        return (out.image - x).pow(2).mean(), prior_gap

    def train_batch(self, images, generator):
        self.model.train()
        mse, prior_gap = self.loss(images, generator)
        return self._update(mse + self.fs.psp_weight * prior_gap)

    @torch.no_grad()
    def reconstruct(self, images, generator):
        self.model.eval()
        out = self.model(to_model_scale(images, self.shape).to(self.device), generator)
        pixels = to_pixels(out.image.cpu(), self.shape)
        return Reconstruction(pixels, hidden_rate=float(out.z.mean()), pixels=pixels)


class AnnVAETask(ImageVAETask):
    """The same-architecture ANN VAE: MSE on [−1, 1] + KL(q(z|x) ‖ N(0, 1)) per image, divided by the 1,024 pixels
    so that it weighs as the mean-squared error does."""

    spiking = False

    def __init__(self, fs: FSVAESection, t: TrainSection, phase: str = "ann_vae", shape: tuple = GREY):
        self.phase, self.quality_samples, self.shape = phase, fs.quality_samples, tuple(shape)
        self.model = AnnVAE(tuple(fs.channels), fs.latent, in_channels=shape[0])
        self.optimizer = make_optimizer(self.model.parameters(), t.optimizer, t.lr, t.weight_decay)

    def train_batch(self, images, generator):
        self.model.train()
        x = to_model_scale(images, self.shape).to(self.device)
        out = self.model(x, generator)
        kl = 0.5 * (out.mean.pow(2) + out.log_var.exp() - 1.0 - out.log_var).sum(1).mean()
        return self._update((out.image - x).pow(2).mean() + kl / x[0].numel())

    @torch.no_grad()
    def reconstruct(self, images, generator):
        self.model.eval()
        pixels = to_pixels(self.model(to_model_scale(images, self.shape).to(self.device), generator).image.cpu(),
                           self.shape)
        return Reconstruction(pixels, pixels=pixels)
