"""The autoencoder Fréchet distance of Kamata et al. (2022): the Fréchet distance between the latent codes of
generated and real images under a plain convolutional autoencoder, trained once on the dataset's training
images and cached in the run directory (no download, unlike Inception-based FID)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from bioaware.evaluation.digit_classifier import batched
from bioaware.evaluation.fitting import cached_model, fit
from bioaware.evaluation.sample_quality import frechet_distance

CACHE_NAME = "quality_autoencoder.pt"


class ImageAutoencoder(nn.Module):
    """conv(32, s2)-conv(64, s2)-fc(128) and back, ReLU, sigmoid output, on 28×28 images in [0, 1]; `features`
    is the 128-d code."""

    def __init__(self, code: int = 128):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(1, 32, 3, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
                                     nn.Flatten(), nn.Linear(64 * 7 * 7, code))
        self.decoder = nn.Sequential(nn.Linear(code, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
                                     nn.ConvTranspose2d(64, 32, 3, 2, 1, output_padding=1), nn.ReLU(),
                                     nn.ConvTranspose2d(32, 1, 3, 2, 1, output_padding=1), nn.Sigmoid())

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Codes [N, 128] of flattened images [N, 784]."""
        return self.encoder(images.reshape(-1, 1, 28, 28))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.features(images)).reshape(len(images), -1)


def cached_image_autoencoder(run_path: Path, data, seed: int = 0, epochs: int = 2) -> tuple[ImageAutoencoder, float]:
    """The run's judging autoencoder and its test MSE: loaded from `run_path/quality_autoencoder.pt`, or trained
    (Adam, MSE, `epochs` passes over `data`'s training images) and saved there first."""

    def train():
        torch.manual_seed(seed)
        model = ImageAutoencoder()
        x = data.train_x
        fit(model, lambda index: (model(x[index]) - x[index]).pow(2).mean(), len(x), epochs, seed,
            "quality autoencoder")
        return model, {"test_mse": float(batched(lambda c: (model(c) - c).pow(2).mean(1), data.test_x).mean())}

    model, scores = cached_model(Path(run_path) / CACHE_NAME, ImageAutoencoder(), train,
                                 "the autoencoder whose codes measure sample quality")
    return model, float(scores["test_mse"])


def autoencoder_frechet(model: ImageAutoencoder, samples: torch.Tensor, real: torch.Tensor) -> float:
    """Fréchet distance between the codes of `samples` and of `real` images ([N, 784] in [0, 1])."""
    return frechet_distance(batched(model.features, samples).double().numpy(),
                            batched(model.features, real).double().numpy())
