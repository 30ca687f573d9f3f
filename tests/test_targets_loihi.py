"""Loihi 2 through Lava: limits by node name, quantisation ranges, Lava runs against the discrete model."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nir
import numpy as np
import pytest

from bioaware.core.layers import DenseSpikingLayer
from bioaware.targets import loihi

LAVA = Path(os.environ.get("BIOAWARE_LAVA_PYTHON", ".venv-loihi/bin/python"))
needs_lava = pytest.mark.skipif(not LAVA.is_file(), reason=f"Lava environment missing ({LAVA}); create it with "
                                                          f"`{loihi.ENV_COMMAND}`")


def discrete_lif(currents, leak, v_th=1.0):
    """Training's update: decay, add input, threshold (≥), reset to 0."""
    v, z = np.zeros(currents.shape[1:]), np.zeros_like(currents)
    for t in range(len(currents)):
        v = (1 - leak) * v + currents[t]
        z[t] = v >= v_th
        v[z[t] > 0] = 0
    return z


def random_layers(rng, sizes=(12, 9, 6), leak=0.1):
    return [DenseSpikingLayer(f"l{k}", rng.normal(0.25, 0.5, (n_out, n_in)), leak, 1.0)
            for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]))]


def test_limits_name_every_unmappable_node():
    graph = nir.NIRGraph(nodes={
        "input": nir.Input({"input": np.array([4])}),
        "fc": nir.Affine(weight=np.ones((3, 4)), bias=np.ones(3)),
        "syn": nir.CubaLIF(tau_syn=np.full(3, 2e-3), tau_mem=np.full(3, 1e-2), r=np.ones(3), v_leak=np.zeros(3),
                           v_threshold=np.ones(3)),
        "output": nir.Output({"output": np.array([3])})},
        edges=[("input", "fc"), ("fc", "syn"), ("syn", "output")])
    problems = {str(v).split(":")[0] for v in loihi.check_limits(graph)}
    assert problems == {"fc", "syn"}


def test_quantised_parameters_fit_loihi_ranges():
    layer = random_layers(np.random.default_rng(0))[0]
    params, errors, violations = loihi.quantise(layer, layer.name)
    assert not violations
    assert params["w"].min() >= -128 and params["w"].max() <= 126 and np.all(params["w"] % 2 == 0)
    assert 0 < params["vth"] < 2 ** 17 and params["dv"] == round(0.1 * 4096) and params["du"] == 4095
    assert errors["weight_rms_error_rel_threshold"] < 0.01 and errors["threshold_rel_error"] < 0.01


@needs_lava
def test_lava_runs_match_the_discrete_model():
    rng = np.random.default_rng(1)
    layers = random_layers(rng)
    x = (rng.random((10, 4, 12)) < 0.3).astype(np.float64)
    h = discrete_lif(x @ layers[0].weight.T, 0.1)
    y = discrete_lif(h @ layers[1].weight.T, 0.1)
    float_counts, _, _ = loihi.run_lava(layers, x, "floating_pt", window=10)
    assert np.array_equal(float_counts["l0"], h) and np.array_equal(float_counts["l1"], y)
    fixed_counts, report, _ = loihi.run_lava(layers, x, "fixed_pt", window=10)
    assert set(report) == {"l0", "l1"}
    # 7-bit weights move a few threshold crossings by a step at most; counts stay close
    assert np.corrcoef(fixed_counts["l1"].sum(0).ravel(), y.sum(0).ravel())[0, 1] > 0.9


@needs_lava
def test_deploy_loihi_reports_lava_columns_against_brian2(tiny_trained_run, tmp_path):
    done = subprocess.run([sys.executable, "-m", "bioaware.cli", "deploy", str(tiny_trained_run), "--target", "loihi",
                           "--images", "6", "--export-root", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads((tiny_trained_run / "compare" / "targets" / "loihi.json").read_text())
    brian, lava_float, lava_fixed = report["columns"]
    assert lava_float["reconstruction"]["vs_brian2"]["count_correlation"] == pytest.approx(1.0)
    assert lava_float["mse"] == pytest.approx(brian["mse"])
    assert lava_fixed["quantisation"]["hidden"]["vth_mantissa"] > 0
    assert (tiny_trained_run / "compare" / "targets.html").read_text().count("Lava") >= 2
