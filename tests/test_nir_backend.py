"""Brian2 as a NIR backend: closed forms per primitive, per-neuron parameters, nested graphs, the front door."""

import json

import nir
import numpy as np
import pytest

from bioaware.brian.nir_network import SpikeTrains, network_from_nir, simulate_graph
from bioaware.cli import main
from bioaware.compare.closed_forms import CASES, lif_bias, spike_time_errors, spike_times
from bioaware.interchange.nir_graph import parse_graph


@pytest.mark.parametrize("make", CASES, ids=lambda m: m.__name__)
def test_closed_form_spike_times_within_a_step(make):
    case = make()
    times = spike_times(case, 1e-4)
    errors = spike_time_errors(case, times)
    before_last = np.sum(times <= case.expected[-1] + case.tolerance(1e-4)[-1])
    assert before_last == len(case.expected), (case.name, times, case.expected)
    assert np.all(errors <= case.tolerance(1e-4)), (case.name, errors)


@pytest.mark.parametrize("make", [CASES[0], CASES[3]], ids=lambda m: m.__name__)
def test_spike_time_error_falls_with_dt(make):
    case = make()
    coarse = spike_time_errors(case, spike_times(case, 1e-4)).max()
    fine = spike_time_errors(case, spike_times(case, 1e-5)).max()
    assert fine < coarse / 3 and fine <= case.tolerance(1e-5).max()


def test_per_neuron_parameters_each_follow_their_closed_form():
    taus, biases = np.array([0.005, 0.01, 0.02]), np.array([1.5, 2.0, 3.0])
    nodes = {"in": nir.Input(np.array([1])), "drive": nir.Affine(np.zeros((3, 1)), biases),
             "lif": nir.LIF(taus, np.ones(3), np.zeros(3), np.ones(3)), "out": nir.Output(np.array([3]))}
    graph = nir.NIRGraph(nodes, [("in", "drive"), ("drive", "lif"), ("lif", "out")])
    run = simulate_graph(graph, {}, 0.03, dt=1e-5, spikes="dirac")
    index, t = run.spikes["lif"]
    for k in range(3):
        isi = taus[k] * np.log(biases[k] / (biases[k] - 1.0))
        first = np.sort(t[index == k])[0]
        assert abs(first - isi) <= 2e-5


def _flat_and_nested():
    w1, w2 = np.array([[1.2, 0.4], [0.3, 1.1]]), np.array([[0.9, 0.5]])
    lif = dict(tau=np.full(2, 0.01), r=np.full(2, 10.0), v_leak=np.zeros(2), v_threshold=np.ones(2))
    flat = nir.NIRGraph({"in": nir.Input(np.array([2])), "w1": nir.Linear(w1), "a": nir.LIF(**lif),
                         "w2": nir.Linear(w2), "b": nir.IF(np.ones(1), np.full(1, 0.5)),
                         "out": nir.Output(np.array([1]))},
                        [("in", "w1"), ("w1", "a"), ("a", "w2"), ("w2", "b"), ("b", "out")])
    inner = nir.NIRGraph({"i": nir.Input(np.array([2])), "w1": nir.Linear(w1), "a": nir.LIF(**lif),
                          "o": nir.Output(np.array([2]))}, [("i", "w1"), ("w1", "a"), ("a", "o")])
    nested = nir.NIRGraph({"in": nir.Input(np.array([2])), "sub": inner, "w2": nir.Linear(w2),
                           "b": nir.IF(np.ones(1), np.full(1, 0.5)), "out": nir.Output(np.array([1]))},
                          [("in", "sub"), ("sub", "w2"), ("w2", "b"), ("b", "out")])
    return flat, nested


def test_nested_graph_simulates_as_its_flat_equivalent(tmp_path):
    flat, nested = _flat_and_nested()
    spikes = {"in": SpikeTrains(np.array([0, 1, 0, 1, 0]), np.array([0.001, 0.002, 0.004, 0.005, 0.007]))}
    a = simulate_graph(flat, spikes, 0.02, spikes="dirac")
    b = simulate_graph(nested, spikes, 0.02, spikes="dirac")
    assert "sub.a" in parse_graph(nested).populations
    assert len(a.spikes["b"][1]) > 0
    np.testing.assert_allclose(a.spikes["a"][1], b.spikes["sub.a"][1])
    np.testing.assert_allclose(a.spikes["b"][1], b.spikes["b"][1])


def test_spike_convention_step_is_dirac_with_weights_times_dt():
    flat, _ = _flat_and_nested()
    spikes = {"in": SpikeTrains(np.array([0, 1, 0, 1]), np.array([0.001, 0.002, 0.003, 0.004]))}
    stepped = simulate_graph(flat, spikes, 0.02, spikes="step:0.5ms")
    scaled = nir.NIRGraph({k: (nir.Linear(v.weight * 5e-4) if k == "w1" else nir.Linear(v.weight * 5e-4)
                              if k == "w2" else v) for k, v in flat.nodes.items()}, flat.edges)
    dirac = simulate_graph(scaled, spikes, 0.02, spikes="dirac", dt=stepped.dt)
    np.testing.assert_allclose(stepped.spikes["a"][1], dirac.spikes["a"][1])


def test_network_from_nir_returns_a_named_brian2_network():
    import brian2 as b2

    case = lif_bias()
    built = network_from_nir(case.graph, {}, device="runtime")
    assert set(built.spike_monitors) == {"lif"}
    built.network.run(20 * b2.ms)
    assert built.spike_monitors["lif"].num_spikes == np.sum(case.expected < 0.02) == 2


def test_cpp_standalone_gives_the_runtime_spikes(tmp_path):
    flat, _ = _flat_and_nested()
    spikes = {"in": SpikeTrains(np.array([0, 1, 0, 1, 0]), np.array([0.001, 0.002, 0.004, 0.005, 0.007]))}
    a = simulate_graph(flat, spikes, 0.02, spikes="dirac")
    b = simulate_graph(flat, spikes, 0.02, spikes="dirac", device="cpp_standalone", build_dir=tmp_path / "build")
    for node in ("a", "b"):
        np.testing.assert_allclose(np.sort(a.spikes[node][1]), np.sort(b.spikes[node][1]))


def test_inspect_and_simulate_any_file(tmp_path, capsys):
    graph = lif_bias().graph
    graph.metadata = {}
    path = tmp_path / "user graph.nir"
    nir.write(path, graph)
    assert main(["inspect", str(path)]) == 0
    text = capsys.readouterr().out
    assert "lif [LIF 1] → NeuronGroup of 1, equations/lif.eqs" in text and "not stated" in text
    example = tmp_path / "spikes"
    assert main(["simulate", str(path), "--example-input", str(example)]) == 0
    out = tmp_path / "result"
    assert main(["simulate", str(path), "--input", str(example) + ".npz", "--spikes", "dirac", "--dt", "0.05ms",
                 "--duration", "50ms", "--record", "lif", "--out", str(out)]) == 0
    summary = json.loads((out / "simulate.json").read_text())
    assert summary["dt_s"] == pytest.approx(5e-5) and summary["spike_convention"] == "dirac"
    data = np.load(out / "spikes.npz")
    assert len(data["lif.times"]) == len(lif_bias().expected) == 5 and data["lif.v"].shape == (1, 1000)
    assert (out / "raster.png").stat().st_size > 0 and (out / "traces.png").stat().st_size > 0


@pytest.mark.parametrize("dims, kwargs", [
    (2, dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
    (2, dict(stride=1, padding="same", dilation=1, groups=1)),
    (1, dict(stride=2, padding=1, dilation=2, groups=1)),
])
def test_convolutions_compose_into_the_matrix_torch_computes(dims, kwargs):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    from bioaware.interchange.linear_maps import node_map

    rng = np.random.default_rng(0)
    shape = (4, 7, 6) if dims == 2 else (4, 9)
    weight = rng.normal(size=(6, 4 // kwargs["groups"], *((3,) * dims)))
    bias = rng.normal(size=6)
    make = nir.Conv2d if dims == 2 else nir.Conv1d
    node = make(input_shape=np.array(shape[1:]) if dims == 2 else shape[1], weight=weight, bias=bias, **kwargs)
    matrix, out_shape, node_bias = node_map(node, shape, "conv", "<test>")
    x = rng.normal(size=shape)
    conv = F.conv2d if dims == 2 else F.conv1d
    ref = conv(torch.from_numpy(x)[None], torch.from_numpy(weight), torch.from_numpy(bias), **kwargs)[0].numpy()
    assert out_shape == ref.shape
    np.testing.assert_allclose(matrix @ x.ravel() + node_bias, ref.ravel(), atol=1e-10)


def test_pooling_is_the_torch_window_sum_and_mean():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    from bioaware.interchange.linear_maps import node_map

    x = np.random.default_rng(1).normal(size=(3, 6, 6))
    for node, ref in ((nir.SumPool2d(np.array([2, 2]), np.array([2, 2]), np.array([0, 0])),
                       4 * F.avg_pool2d(torch.from_numpy(x)[None], 2)[0]),
                      (nir.AvgPool2d(np.array([3, 3]), np.array([1, 1]), np.array([1, 1])),
                       F.avg_pool2d(torch.from_numpy(x)[None], 3, 1, 1, count_include_pad=True)[0])):
        matrix, shape, _ = node_map(node, x.shape, "pool", "<test>")
        np.testing.assert_allclose(matrix @ x.ravel(), ref.numpy().ravel(), atol=1e-10)
