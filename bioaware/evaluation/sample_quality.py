"""Quality of generated digits without internet: an independent classifier's verdict and the Fréchet
distance between its penultimate-layer features of generated and real images."""

from __future__ import annotations

import numpy as np
import torch

from bioaware.evaluation.digit_classifier import DigitClassifier, batched


def recognised_fraction(probabilities: torch.Tensor, digit: int | torch.Tensor = -1, confidence: float = 0.9) -> float:
    """Fraction of samples whose class probabilities [N, 10] give `digit` at least `confidence`
    (digit −1: any one digit; a tensor [N]: each sample's own intended digit)."""
    p = probabilities
    if isinstance(digit, torch.Tensor):
        return float(p[torch.arange(len(p)), digit].ge(confidence).float().mean())
    return float((p.max(1).values if digit < 0 else p[:, digit]).ge(confidence).float().mean())


def frechet_terms(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """The Fréchet distance's two parts between feature sets [N, d] (float64): the mean term ‖μa − μb‖² and
    the covariance term Tr(Σa + Σb − 2(ΣaΣb)^½), which stays near Tr Σb when the samples a do not vary."""
    from scipy import linalg

    mu_a, mu_b = a.mean(0), b.mean(0)
    # ReLU features can be constant (zero) over a whole set: a tiny ridge keeps the product's root defined
    ridge = 1e-6 * np.eye(a.shape[1])
    cov_a, cov_b = np.cov(a, rowvar=False) + ridge, np.cov(b, rowvar=False) + ridge
    root = linalg.sqrtm(cov_a @ cov_b)
    return float(((mu_a - mu_b) ** 2).sum()), float(np.trace(cov_a + cov_b - 2.0 * np.real(root)))


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """‖μa − μb‖² + Tr(Σa + Σb − 2(ΣaΣb)^½) between two feature sets [N, d] (float64)."""
    return sum(frechet_terms(a, b))


def nearest_distance(images: torch.Tensor, reference: torch.Tensor, chunk: int = 500) -> torch.Tensor:
    """Each image's Euclidean distance (pixels in [0, 1]) to its nearest image in `reference` [M, …]: [N]. Samples
    much nearer the training set than real test images are copies of it, not new digits."""
    flat = reference.reshape(len(reference), -1).float()
    return torch.cat([torch.cdist(part.reshape(len(part), -1).float(), flat).min(1).values
                      for part in images.split(chunk)])


def sample_quality(model: DigitClassifier, samples: torch.Tensor, real: torch.Tensor,
                   digit: int | torch.Tensor = -1) -> dict:
    """{recognised (≥ 0.9 confidence for `digit`, one digit or one per sample), Fréchet distance to `real` and its
    mean and covariance terms,
    variety (total feature variance of the samples over the real images'; ~0: one image whatever the noise),
    digit histogram of the samples}."""
    features = batched(model.features, samples)  # one pass: the verdicts are the head on these features
    p = batched(lambda f: model.head(f).softmax(1), features)
    fake, true = features.double().numpy(), batched(model.features, real).double().numpy()
    mean_term, covariance_term = frechet_terms(fake, true)
    return {"recognised": recognised_fraction(p, digit), "frechet": mean_term + covariance_term,
            "frechet_mean_term": mean_term, "frechet_covariance_term": covariance_term,
            "variety": float(fake.var(0).sum() / true.var(0).sum()),
            "n_samples": len(samples), "n_real": len(real),
            "digit_histogram": torch.bincount(p.argmax(1), minlength=10).tolist()}
