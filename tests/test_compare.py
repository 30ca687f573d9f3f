"""Spike agreement metrics on hand-made rasters, and `bioaware compare` on a trained run."""

import json
import subprocess
import sys

import numpy as np
import pytest

from bioaware.agreement.spike_metrics import count_correlation, matched_fraction, van_rossum_distance


def raster(times, steps=10, neurons=2):
    r = np.zeros((steps, 1, neurons))
    for t, n in times:
        r[t, 0, n] = 1
    return r


def test_identical_rasters_agree_perfectly():
    a = raster([(1, 0), (4, 0), (6, 0), (2, 1), (7, 1)])
    assert matched_fraction(a, a) == 1.0
    assert van_rossum_distance(a, a) == 0.0
    assert count_correlation(a, a) == pytest.approx(1.0)


def test_matched_fraction_window():
    a, b = raster([(1, 0), (5, 1)]), raster([(2, 0), (8, 1)])
    assert matched_fraction(a, b) == pytest.approx(0.5)  # one of two within one step
    assert matched_fraction(a, b, window=3) == 1.0
    assert matched_fraction(a, raster([(1, 0), (1, 1), (5, 1)])) == pytest.approx(2 * 2 / 5)


def test_van_rossum_grows_with_shift_and_counts_missing_spikes():
    a = raster([(2, 0)])
    near, far, none = raster([(3, 0)]), raster([(6, 0)]), raster([])
    assert 0 < van_rossum_distance(a, near) < van_rossum_distance(a, far)
    # one missing spike in one of the two neurons: about 1/√2 for that neuron, averaged over 2
    assert van_rossum_distance(a, none) == pytest.approx(0.5 * np.sqrt(0.5 / (1 - np.exp(-2))), rel=1e-6)


def test_compare_command_writes_report(tiny_trained_run):
    result = subprocess.run([sys.executable, "-m", "bioaware.cli", "compare", str(tiny_trained_run), "--images", "4",
                             "--dt-factors", "1,0.1"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    out = tiny_trained_run / "compare"
    report = json.loads((out / "report.json").read_text())
    matched, coarse, fine = report["brian2"]
    assert matched["order"] == "matched"
    for layer in ("hidden", "reconstruction"):  # same update order: the exact same spikes
        assert matched[layer]["spikes_trained"] == matched[layer]["spikes_brian2"] > 0
        assert matched[layer]["matched_within_1_step"] == 1.0
    assert matched["mse"] == pytest.approx(report["trained_model_mse"], abs=1e-6)
    assert fine["reconstruction"]["matched_within_1_step"] >= coarse["reconstruction"]["matched_within_1_step"]
    for name in ("report.html", "images.png", "raster_output.png", "membrane_output.png"):
        assert (out / name).stat().st_size > 1000


def test_simulate_command_on_a_trained_run(tiny_trained_run):
    result = subprocess.run([sys.executable, "-m", "bioaware.cli", "simulate", str(tiny_trained_run), "--images", "10",
                             "--copies", "4", "--device", "runtime", "--order", "matched", "--dt-factor", "1"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    saved = json.loads((tiny_trained_run / "simulate.json").read_text())
    assert saved["images"] == 10 and saved["copies"] == 4 and saved["windows"] == 3
    # matched order reproduces the trained model, so the metric equals the PyTorch model's on the same spikes
    import torch

    from bioaware.families.export import trained_test_spikes
    from bioaware.core.metrics import normalised_mse

    task, images, spikes = trained_test_spikes(tiny_trained_run, 10)
    with torch.no_grad():
        out = task.model(spikes)
    assert saved["mse"] == pytest.approx(normalised_mse(images, out.out_z.sum(0)), abs=1e-6)
    assert "MSE" in result.stdout
