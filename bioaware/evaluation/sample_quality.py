"""Quality of generated digits without internet: an independent classifier's verdict and the Fréchet
distance between its penultimate-layer features of generated and real images."""

from __future__ import annotations

import numpy as np
import torch

from bioaware.evaluation.digit_classifier import DigitClassifier


@torch.no_grad()
def _batched(fn, x: torch.Tensor, size: int = 1000) -> torch.Tensor:
    return torch.cat([fn(x[k:k + size]) for k in range(0, len(x), size)])


def recognised_fraction(model: DigitClassifier, samples: torch.Tensor, digit: int = -1,
                        confidence: float = 0.9) -> float:
    """Fraction of samples [N, 784] the classifier assigns to `digit` with probability ≥ `confidence`
    (digit −1: to any one digit with that confidence)."""
    p = _batched(lambda x: model(x).softmax(1), samples)
    return float((p.max(1).values if digit < 0 else p[:, digit]).ge(confidence).float().mean())


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """‖μa − μb‖² + Tr(Σa + Σb − 2(ΣaΣb)^½) between two feature sets [N, d] (float64)."""
    from scipy import linalg

    mu_a, mu_b = a.mean(0), b.mean(0)
    # ReLU features can be constant (zero) over a whole set: a tiny ridge keeps the product's root defined
    ridge = 1e-6 * np.eye(a.shape[1])
    cov_a, cov_b = np.cov(a, rowvar=False) + ridge, np.cov(b, rowvar=False) + ridge
    root = linalg.sqrtm(cov_a @ cov_b)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2.0 * np.real(root)))


def sample_quality(model: DigitClassifier, samples: torch.Tensor, real: torch.Tensor, digit: int = -1) -> dict:
    """{recognised (≥ 0.9 confidence for `digit`), Fréchet distance to `real`, digit histogram of the samples}."""
    feats = lambda x: _batched(model.features, x).double().numpy()  # noqa: E731
    predicted = _batched(lambda x: model(x).argmax(1), samples)
    return {"recognised": recognised_fraction(model, samples, digit), "frechet": frechet_distance(feats(samples), feats(real)),
            "n_samples": len(samples), "n_real": len(real),
            "digit_histogram": torch.bincount(predicted, minlength=10).tolist()}
