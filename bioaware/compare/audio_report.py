"""`bioaware compare` for audiocoder runs: the rate-coded report on the audio-to-image graph, with each simulation's
images judged as the trained model's are (MSE against the paired image, and whether the run's classifier reads the
spoken digit)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from bioaware.compare.report import compare_run
from bioaware.core.errors import BioawareError
from bioaware.evaluation.audio_synthesis import synthesis_metrics
from bioaware.evaluation.digit_classifier import CACHE_NAME, saved_digit_classifier
from bioaware.families import load_data
from bioaware.families.runs import open_run
from bioaware.train.audiocoder import count_pixels


def compare_audio(run_dir: Path, images: int = 20, factors: tuple[float, ...] = (1.0, 0.1, 0.01),
                  device: str = "runtime", seed: int = 0, cluster: str | None = None) -> dict:
    """compare_run, judged by the run's classifier (trained when the run was tested)."""
    run, cfg, _ = open_run(Path(run_dir))
    classifier = saved_digit_classifier(run.path)
    if classifier is None:
        raise BioawareError(f"{run.path}: no {CACHE_NAME}; finish training (the test metrics train it) first")
    data = load_data(cfg)
    labels, paired = data.test_y[:images], data.test_images[:images]

    def judge(counts: np.ndarray) -> dict:
        pixels = count_pixels(torch.from_numpy(counts).float())
        scores = synthesis_metrics(pixels, paired, labels, data.train_images, data.train_y, classifier)
        return {key: scores[key] for key in ("mse_nearest_of_label", "recognised", "read_as_spoken")}

    return compare_run(Path(run_dir), images, factors, device, seed, judge=judge, cluster=cluster, data=data)
