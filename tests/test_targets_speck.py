"""Speck: the convolutional IF autoencoder, its NIR export, limits by node, and sinabs against Brian2."""

import json
import subprocess
import sys

import nir
import numpy as np
import pytest
import torch

pytest.importorskip("sinabs", reason="sinabs not installed (pip install -e '.[targets]')")

from bioaware.interchange.from_nir import graph_to_layers  # noqa: E402
from bioaware.interchange.to_nir import layers_to_nir  # noqa: E402
from bioaware.models.conv_if_ae import ConvIFAutoencoder  # noqa: E402
from bioaware.targets import speck  # noqa: E402


def test_conv_layer_specs_equal_the_convolutions_and_survive_nir():
    torch.manual_seed(0)
    model = ConvIFAutoencoder((4, 2, 4))
    x = (torch.rand(5, 2, 784) < 0.3).float()
    layers = model.layer_specs()
    assert [layer.name for layer in layers] == ["conv0", "hidden", "conv2", "reconstruction"]
    direct = model.convs[0](x.reshape(10, 1, 28, 28)).reshape(10, -1).detach().numpy()
    assert np.allclose(direct, (layers[0].weight @ x.reshape(10, 784).numpy().T).T, atol=1e-5)
    graph = layers_to_nir(layers, 1e-3, {})
    assert isinstance(graph.nodes["hidden.weight"], nir.Conv2d) and isinstance(graph.nodes["hidden"], nir.IF)
    back, _ = graph_to_layers(graph)
    for a, b in zip(layers, back):
        assert abs(a.weight - b.weight).max() < 1e-12 and (a.leak, a.v_th) == (b.leak, b.v_th)


def test_limits_name_nodes_that_do_not_fit_speck():
    dense = layers_to_nir(ConvIFAutoencoder((4, 2, 4)).layer_specs(), 1e-3, {})
    assert speck.check_limits(dense) == []
    graph = nir.NIRGraph(nodes={
        "input": nir.Input({"input": np.array([784])}),
        "fc": nir.Linear(weight=np.zeros((196, 784))),
        "lif": nir.LIF(tau=np.full(196, 1e-2), r=np.full(196, 1e-2), v_leak=np.zeros(196), v_threshold=np.ones(196)),
        "output": nir.Output({"output": np.array([196])})},
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")])
    assert {v.node for v in speck.check_limits(graph)} == {"fc", "lif"}  # 784·256 kernel entries > 64 K; leaky
    big = nir.NIRGraph(nodes={
        "input": nir.Input({"input": np.array([1, 28, 28])}),
        "conv": nir.Conv2d(input_shape=(28, 28), weight=np.zeros((2, 1, 17, 17)), stride=1, padding=8, dilation=1,
                           groups=1, bias=np.zeros(2)),
        "if": nir.IF(r=np.ones((2, 28, 28)), v_threshold=np.ones((2, 28, 28))),
        "output": nir.Output({"output": np.array([2, 28, 28])})},
        edges=[("input", "conv"), ("conv", "if"), ("if", "output")])
    assert [v.node for v in speck.check_limits(big)] == ["conv"]


def test_discretised_weights_are_8_bit_integers():
    import sinabs

    graph = layers_to_nir(ConvIFAutoencoder((4, 2, 4)).layer_specs(), 1e-3, {})
    model = sinabs.from_nir(graph, batch_size=1).float()
    scales = speck.discretise(model, graph)
    assert set(scales) == {"conv0", "hidden", "conv2", "reconstruction"}
    weight = model.hidden_weight.weight.detach()
    assert torch.equal(weight, weight.round()) and weight.abs().max() == 127


def test_samna_stub_is_not_mistaken_for_the_chip_library():
    if speck.real_samna_available():
        pytest.skip("SynSense's samna is installed: chip_config is tested by test_chip_config_with_samna")
    from bioaware.core.errors import BioawareError
    with pytest.raises(BioawareError, match="samna"):
        speck.chip_config(layers_to_nir(ConvIFAutoencoder((4, 2, 4)).layer_specs(), 1e-3, {}))


@pytest.mark.skipif(not speck.real_samna_available(),
                    reason="samna (SynSense's chip library) is not installed; PyPI's samna is a stub that downloads it "
                           "from SynSense's index, which these machines cannot reach")
def test_chip_config_with_samna():
    assert speck.chip_config(layers_to_nir(ConvIFAutoencoder((4, 2, 4)).layer_specs(), 1e-3, {})) is not None


def test_deploy_speck_sinabs_with_trained_semantics_equals_brian2(conv_trained_run, tmp_path):
    done = subprocess.run([sys.executable, "-m", "bioaware.cli", "deploy", str(conv_trained_run), "--target", "speck",
                           "--images", "4", "--export-root", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads((conv_trained_run / "compare" / "targets" / "speck.json").read_text())
    columns = {c["simulation"]: c for c in report["columns"]}
    trained = columns["sinabs, reset to 0 (trained semantics)"]
    for layer in ("hidden", "reconstruction"):
        assert trained[layer]["vs_brian2"]["matched_within_1_step"] == 1.0
        assert trained[layer]["vs_brian2"]["spikes_trained"] == trained[layer]["vs_brian2"]["spikes_target"]
        assert trained[layer]["vs_trained"]["spikes_trained"] == trained[layer]["vs_trained"]["spikes_target"]
    assert len(columns["sinabs, Speck 8-bit weights"]["cores"]) == 4


def test_deploy_reports_violations_instead_of_a_traceback(tiny_trained_run, tmp_path):
    done = subprocess.run([sys.executable, "-m", "bioaware.cli", "deploy", str(tiny_trained_run), "--target", "speck",
                           "--export-root", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "cannot map to Speck" in done.stderr and "hidden: LIF" in done.stderr
