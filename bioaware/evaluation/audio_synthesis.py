"""How well digit images synthesised from speech match: Roy et al.'s normalised MSE against the paired image
(dataset A) or against the nearest training image of the spoken digit (dataset B), and whether an independent
classifier reads the spoken digit in them."""

from __future__ import annotations

import torch

from bioaware.core.metrics import standardise
from bioaware.evaluation.digit_classifier import DigitClassifier, batched
from bioaware.evaluation.sample_quality import recognised_fraction


def nearest_of_label_mse(synthesised: torch.Tensor, labels: torch.Tensor, reference: torch.Tensor,
                         reference_labels: torch.Tensor) -> torch.Tensor:
    """[N]: each image's lowest normalised MSE (both standardised per image) against the `reference` images of its
    label."""
    a, b = standardise(synthesised.double()), standardise(reference.double())
    best = torch.full((len(a),), float("inf"), dtype=torch.float64)
    for digit in labels.unique():
        rows, pool = labels == digit, b[reference_labels == digit]
        if len(pool):
            best[rows] = (torch.cdist(a[rows], pool).pow(2) / a.shape[1]).min(1).values
    return best


def synthesis_metrics(pixels: torch.Tensor, paired: torch.Tensor, labels: torch.Tensor, reference: torch.Tensor,
                      reference_labels: torch.Tensor, classifier: DigitClassifier) -> dict:
    """Metrics of synthesised images `pixels` [N, 784] in [0, 1] for spoken digits `labels` [N]:
    `mse` against the paired images (A), `mse_nearest_of_label` against the nearest `reference` image of the digit
    (B), `recognised` (the classifier gives the spoken digit ≥ 0.9) and `read_as_spoken` (its top class is it)."""
    p = batched(lambda x: classifier(x).softmax(1), pixels)
    return {"mse": float((standardise(pixels.double()) - standardise(paired.double())).pow(2).mean()),
            "mse_nearest_of_label": float(nearest_of_label_mse(pixels, labels, reference, reference_labels).mean()),
            "recognised": recognised_fraction(p, labels),
            "read_as_spoken": float(p.argmax(1).eq(labels).float().mean()),
            "n_test": len(pixels)}
