"""SpiNNaker: limits by node name, sPyNNaker virtual-board mapping, and PyNN's Brian2 backend vs bioaware's Brian2."""

import json
import subprocess
import sys

import nir
import numpy as np
import pytest

pytest.importorskip("spynnaker", reason="sPyNNaker not installed (pip install -e '.[targets]')")
pytest.importorskip("pyNN.brian2", reason="PyNN not installed (pip install -e '.[targets]')")

from bioaware.core.layers import DenseSpikingLayer  # noqa: E402
from bioaware.targets import spinnaker  # noqa: E402


def test_limits_name_every_unmappable_node():
    graph = nir.NIRGraph(nodes={
        "input": nir.Input({"input": np.array([1, 4, 4])}),
        "conv": nir.Conv2d(input_shape=(4, 4), weight=np.ones((1, 1, 3, 3)), stride=1, padding=1, dilation=1,
                           groups=1, bias=np.zeros(1)),
        "flat": nir.Flatten(input_type={"input": np.array([1, 4, 4])}),
        "lif": nir.LIF(tau=np.full(16, 1e-2), r=np.full(16, 1e-2), v_leak=np.full(16, 0.5), v_threshold=np.ones(16)),
        "output": nir.Output({"output": np.array([16])})},
        edges=[("input", "conv"), ("conv", "flat"), ("flat", "lif"), ("lif", "output")])
    assert {v.node for v in spinnaker.check_limits(graph)} == {"conv", "flat", "lif"}


def test_pynn_delays_are_taken_out_layer_by_layer():
    layers = [DenseSpikingLayer("a", np.ones((2, 3)), 0.1, 1.0), DenseSpikingLayer("b", np.ones((1, 2)), 0.1, 1.0)]
    result = {"layer0": np.array([[0, 1, 3]]), "layer1": np.array([[1, 0, 4], [0, 0, 1]])}  # (image, neuron, step)
    counts = spinnaker.pynn_counts(result, layers, steps=5, images=2)
    assert counts["a"][2, 0, 1] == 1 and counts["a"].sum() == 1
    assert counts["b"][2, 1, 0] == 1 and counts["b"].sum() == 1  # the step-1 spike precedes the pipeline delay


@pytest.mark.slow
def test_deploy_spinnaker_maps_on_a_virtual_board_and_pynn_brian2_equals_brian2(tiny_trained_run, tmp_path):
    done = subprocess.run([sys.executable, "-m", "bioaware.cli", "deploy", str(tiny_trained_run), "--target",
                           "spinnaker", "--images", "3", "--export-root", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads((tiny_trained_run / "compare" / "targets" / "spinnaker.json").read_text())
    pynn = report["columns"][-1]
    board = pynn["spinnaker_virtual_board"]
    assert board["neuron_cores"] >= 2 and board["chips_application"] >= 1 and board["mapping_seconds"] > 0
    for layer in ("hidden", "reconstruction"):
        same = pynn["vs_brian2_standard_schedule"][layer]
        assert same["spikes_trained"] == same["spikes_target"] and same["matched_within_1_step"] == 1.0
    assert (tiny_trained_run / "compare" / "targets" / "spinnaker" / "spinnaker" / ".spynnaker.cfg").is_file()
