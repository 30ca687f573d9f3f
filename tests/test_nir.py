"""NIR export and import: round trips through real files, continuous-time parameters, bad files."""

import math
import subprocess
import sys

import nir
import numpy as np
import pytest
import torch

from bioaware.data.encoders import bernoulli_rate
from bioaware.core.errors import BioawareError
from bioaware.interchange.from_nir import graph_to_layers, read_graph
from bioaware.interchange.to_nir import layers_to_nir, write_graph
from bioaware.models.functional.lif import LIFParameters
from bioaware.models.roy_ae import RoyAutoencoder

DT = 1e-3


def model(leak=0.1, hidden=24):
    torch.manual_seed(0)
    m = RoyAutoencoder(784, hidden, LIFParameters(leak, 1.0, 5.0))
    with torch.no_grad():
        m.encoder.weight.mul_(5.0)
    return m


@pytest.mark.parametrize("leak", [0.1, 0.0])
def test_round_trip_through_a_file(tmp_path, leak):
    original = model(leak)
    path = tmp_path / "model.nir"
    write_graph(layers_to_nir(original.layer_specs(), DT, {"steps": 15, "encoder": "bernoulli"}), path)
    layers, meta = graph_to_layers(read_graph(path), path)
    assert meta["dt"] == DT and meta["steps"] == 15 and meta["encoder"] == "bernoulli"
    restored = RoyAutoencoder.from_layer_specs(layers)
    assert restored.p.leak == pytest.approx(leak, abs=1e-12)
    for a, b in zip(original.state_dict().values(), restored.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-7)
    x = bernoulli_rate(torch.rand(4, 784), 15, generator=torch.Generator().manual_seed(1))
    out_a, out_b = original(x), restored(x)
    assert out_a.hidden_z.sum() > 0
    assert torch.equal(out_a.out_z, out_b.out_z) and torch.equal(out_a.hidden_z, out_b.hidden_z)


def test_continuous_time_parameters():
    graph = layers_to_nir(model(0.1).layer_specs(), DT, {})
    lif = graph.nodes["hidden"]
    assert isinstance(lif, nir.LIF)
    tau = lif.tau[0]
    assert math.exp(-DT / tau) == pytest.approx(0.9)  # 1 − α = exp(−Δt/τ)
    assert np.allclose(lif.r, lif.tau) and np.all(lif.v_leak == 0) and np.all(lif.v_threshold == 1)
    assert lif.metadata["reset"] == "to_zero" and lif.metadata["v_reset"] == 0.0
    assert graph.nodes["hidden.weight"].weight.shape == (24, 784)
    assert graph.edges[0] == ("input", "hidden.weight") and graph.edges[-1] == ("reconstruction", "output")
    assert isinstance(layers_to_nir(model(0.0).layer_specs(), DT, {}).nodes["hidden"], nir.IF)


def _write_bad(tmp_path, mutate):
    graph = layers_to_nir(model().layer_specs(), DT, {})
    mutate(graph)
    path = tmp_path / "bad.nir"
    nir.write(path, graph)
    return path


def test_layer_specs_refuse_what_bioaware_models_do_not_have(tmp_path):
    path = _write_bad(tmp_path, lambda g: g.nodes.__setitem__("hidden", nir.Threshold(threshold=np.ones(24))))
    with pytest.raises(BioawareError, match="node 'hidden' is a Threshold, which bioaware's trained-model layers"):
        graph_to_layers(read_graph(path), path)


@pytest.mark.parametrize("mutate, message", [
    (lambda g: g.nodes.__setitem__("reconstruction.weight", nir.Linear(np.ones((784, 23)))),
     "shape mismatch at 'reconstruction.weight': weight (784, 23) after a layer of 24"),
    (lambda g: g.nodes["hidden.weight"].weight.__setitem__((0, 0), np.nan),
     "node 'hidden.weight' has NaN or infinite weights"),
    (lambda g: g.nodes.__setitem__("hidden.weight", nir.Conv2d(input_shape=(28, 28), weight=np.ones((24, 1, 3, 3)),
                                                               stride=1, padding=1, dilation=1, groups=1,
                                                               bias=np.zeros(24))),
     "shape mismatch at 'hidden.weight': needs (channels, height, width) input, got shape (784,)"),
])
def test_bad_graphs_are_one_line_errors(tmp_path, mutate, message):
    path = _write_bad(tmp_path, mutate)
    with pytest.raises(BioawareError, match=message.replace("(", r"\(").replace(")", r"\)")):
        graph_to_layers(read_graph(path), path)
    result = subprocess.run([sys.executable, "-m", "bioaware.cli", "inspect", str(path)], capture_output=True,
                            text=True)
    assert result.returncode == 2 and message in result.stderr and str(path) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(BioawareError, match="NIR file not found"):
        read_graph(tmp_path / "none.nir")
    junk = tmp_path / "junk.nir"
    junk.write_text("not hdf5")
    with pytest.raises(BioawareError, match="junk.nir: not a readable NIR file"):
        read_graph(junk)


def test_export_command_on_a_trained_run(tmp_path, write_toml):
    cfg = write_toml("[data]\ndataset = 'mnist_5k'\ntrain_limit = 200\ntest_limit = 50\n"
                     "[model]\nhidden = 16\nsteps = 5\n", "tiny.toml")
    run = tmp_path / "runs" / "tiny"
    cli = [sys.executable, "-m", "bioaware.cli"]
    assert subprocess.run([*cli, "train", str(cfg), "--out", str(run)], capture_output=True).returncode == 0
    result = subprocess.run([*cli, "export", str(run), "--to", "nir", "--export-root", str(tmp_path / "export")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "export" / "tiny" / "model.nir"
    layers, meta = graph_to_layers(read_graph(path), path)
    assert [layer.name for layer in layers] == ["hidden", "reconstruction"] and meta["steps"] == 5
    trained = torch.load(run / "snn.ckpt", weights_only=False)["task"]["model"]
    assert np.allclose(layers[0].weight, trained["encoder.weight"].double().numpy(), atol=1e-7)

    # the graph names its checkpoint: one written from another checkpoint is exported again before use
    from bioaware.families.export import checkpoint_digest, exported_graph
    from bioaware.core.checkpoint import save_checkpoint

    assert nir.read(path).metadata["checkpoint_sha256"] == checkpoint_digest(run)
    written = path.stat().st_mtime_ns
    assert exported_graph(run, tmp_path / "export") == path and path.stat().st_mtime_ns == written  # reused
    state = torch.load(run / "snn.ckpt", weights_only=True)
    state["task"]["model"]["encoder.weight"] *= 2
    save_checkpoint(run / "snn.ckpt", state)
    exported_graph(run, tmp_path / "export")
    layers, meta = graph_to_layers(read_graph(path), path)
    assert meta["checkpoint_sha256"] == checkpoint_digest(run)
    assert np.allclose(layers[0].weight, 2 * trained["encoder.weight"].double().numpy(), atol=1e-6)


def test_cuba_and_readout_layers_round_trip(tmp_path):
    from bioaware.core.layers import DenseSpikingLayer

    rng = np.random.default_rng(0)
    layers = [DenseSpikingLayer("cuba", rng.normal(size=(5, 8)), 0.1, 1.0, tau_syn=4e-3),
              DenseSpikingLayer("alpha", rng.normal(size=(4, 5)), 0.2, 1.5, tau_syn=-DT / math.log(0.8)),
              DenseSpikingLayer("readout", rng.normal(size=(3, 4)), 0.05, math.inf, readout=True)]
    graph = layers_to_nir(layers, DT, {})
    assert [type(graph.nodes[n]).__name__ for n in ("cuba", "alpha", "readout")] == ["CubaLIF", "CubaLIF", "LI"]
    path = tmp_path / "cuba.nir"
    write_graph(graph, path)
    restored, _ = graph_to_layers(read_graph(path), path)
    for a, b in zip(layers, restored):
        assert np.allclose(a.weight, b.weight) and a.leak == pytest.approx(b.leak)
        assert (a.tau_syn, a.readout) == pytest.approx((b.tau_syn, b.readout))
        assert a.v_th == b.v_th
    with pytest.raises(ValueError, match="two LIF/IF layers"):
        RoyAutoencoder.from_layer_specs(restored[:2])


def test_sparse_layer_weights_are_written_as_dense_linear_nodes(tmp_path):
    import scipy.sparse as sp

    from bioaware.core.layers import DenseSpikingLayer

    weight = sp.random(6, 10, density=0.3, random_state=0, format="csr")
    path = tmp_path / "sparse.nir"
    write_graph(layers_to_nir([DenseSpikingLayer("conv", weight, 0.1, 1.0)], DT, {}), path)
    (restored,), _ = graph_to_layers(read_graph(path), path)
    assert np.allclose(restored.weight, weight.toarray())
