"""Training the Fully Spiking VAE (reconstruction MSE on the [−1, 1] scale plus the prior-matching term on the
PSP-filtered latent firing probabilities, as Kamata et al. (2022) define them) and its same-architecture ANN VAE
(MSE plus the Gaussian KL term)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from bioaware.core.config import FSVAESection, TrainSection
from bioaware.models.ann_vae import AnnVAE
from bioaware.models.fsvae import FSVAE, FSVAEParameters
from bioaware.models.functional.fsvae import psp
from bioaware.train.tasks import Reconstruction, Task, make_optimizer

PAD = 2  # MNIST's 28×28 images enter as 32×32, padded with background


def to_model_scale(images: torch.Tensor) -> torch.Tensor:
    """Images [B, 784] in [0, 1] → [B, 1, 32, 32] in [−1, 1] (padded with −1, the background)."""
    return F.pad(images.reshape(-1, 1, 28, 28) * 2.0 - 1.0, (PAD,) * 4, value=-1.0)


def to_pixels(images: torch.Tensor) -> torch.Tensor:
    """[B, 1, 32, 32] in [−1, 1] → [B, 784] in [0, 1] (the padding cut off)."""
    return ((images[:, :, PAD:-PAD, PAD:-PAD] + 1.0) / 2.0).reshape(len(images), -1).clamp(0.0, 1.0)


class ImageVAETask(Task):
    """What both VAEs share: 32×32 images in [−1, 1], the MSE on that scale in the test metrics, prior samples."""

    def test_metrics(self, data, batch_size: int, seed: int, run) -> dict:
        results = super().test_metrics(data, batch_size, seed, run)
        return {**results, "mse_pm1": 4.0 * results["pixel_mse"]}  # the paper's scale: (2·Δ)² on [−1, 1]

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n images [n, 784] in [0, 1] drawn from the prior."""
        self.model.eval()
        return to_pixels(self.model.sample(n, generator).cpu())

    def figures(self, data, seed: int, run, results: dict, n: int = 10) -> None:
        from bioaware.core.figures import reconstruction_grid

        super().figures(data, seed, run, results, n)
        samples = self.sample(8 * n, torch.Generator().manual_seed(seed + 2)).numpy()
        reconstruction_grid({str(r): samples[r * n:(r + 1) * n] for r in range(8)},
                            run.figures / f"samples_{self.phase}.png", f"{run.path.name}: {self.phase} prior samples")


class FSVAETask(ImageVAETask):
    """The FSVAE, trained on MSE + the PSP-matched prior."""

    def __init__(self, fs: FSVAESection, t: TrainSection, phase: str = "snn"):
        self.phase, self.fs = phase, fs
        p = FSVAEParameters(fs.steps, fs.latent, fs.k, fs.tau, fs.v_th, fs.readout_decay)
        self.model = FSVAE(tuple(fs.channels), p)
        self.optimizer = make_optimizer(self.model.parameters(), t.optimizer, t.lr, t.weight_decay)

    def loss(self, images: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction MSE on [−1, 1], prior-matching term) of a batch [B, 784]."""
        x = to_model_scale(images).to(self.device)
        out = self.model(x, generator)
        prior_gap = (psp(out.q, self.fs.psp_tau) - psp(out.p, self.fs.psp_tau)).pow(2).mean()
        return (out.image - x).pow(2).mean(), prior_gap

    def train_batch(self, images, generator):
        self.model.train()
        mse, prior_gap = self.loss(images, generator)
        return self._update(mse + self.fs.psp_weight * prior_gap)

    @torch.no_grad()
    def reconstruct(self, images, generator):
        self.model.eval()
        out = self.model(to_model_scale(images).to(self.device), generator)
        pixels = to_pixels(out.image.cpu())
        return Reconstruction(pixels, hidden_rate=float(out.z.mean()), pixels=pixels)


class AnnVAETask(ImageVAETask):
    """The same-architecture ANN VAE: MSE on [−1, 1] + KL(q(z|x) ‖ N(0, 1)) per image, divided by the 1,024 pixels
    so that it weighs as the mean-squared error does."""

    spiking = False

    def __init__(self, fs: FSVAESection, t: TrainSection, phase: str = "ann_vae"):
        self.phase = phase
        self.model = AnnVAE(tuple(fs.channels), fs.latent)
        self.optimizer = make_optimizer(self.model.parameters(), t.optimizer, t.lr, t.weight_decay)

    def train_batch(self, images, generator):
        self.model.train()
        x = to_model_scale(images).to(self.device)
        out = self.model(x, generator)
        kl = 0.5 * (out.mean.pow(2) + out.log_var.exp() - 1.0 - out.log_var).sum(1).mean()
        return self._update((out.image - x).pow(2).mean() + kl / x[0].numel())

    @torch.no_grad()
    def reconstruct(self, images, generator):
        self.model.eval()
        pixels = to_pixels(self.model(to_model_scale(images).to(self.device), generator).image.cpu())
        return Reconstruction(pixels, pixels=pixels)
