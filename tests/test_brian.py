"""Brian2 engine: equality with the discrete model at matched order, convergence of exact dynamics,
closed-form spike times of single neurons, and identical results across CPU devices and threads."""

import math
import shutil

import numpy as np
import pytest
import torch

from bioaware.brian.equations import equation_text
from bioaware.brian.network import simulate
from bioaware.data.encoders import bernoulli_rate
from bioaware.core.errors import BioawareError
from bioaware.core.layers import DenseSpikingLayer, tau_from_leak
from bioaware.models.functional.lif import LIFParameters
from bioaware.models.roy_ae import RoyAutoencoder

DT, STEPS = 1e-3, 15


def network(leak):
    torch.manual_seed(0)
    model = RoyAutoencoder(784, 24, LIFParameters(leak, 1.0, 5.0))
    with torch.no_grad():
        model.encoder.weight.mul_(5.0)
        model.decoder.weight.mul_(5.0)
    x = bernoulli_rate(torch.rand(3, 784), STEPS, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        out = model(x)
    return model, x, out


@pytest.mark.parametrize("leak", [0.1, 0.0])
def test_matched_order_reproduces_the_discrete_model_exactly(leak):
    model, x, out = network(leak)
    run = simulate(model.layer_specs(), DT, x.numpy(), DT, order="matched")
    assert out.hidden_z.sum() > 50 and out.out_z.sum() > 500
    assert np.array_equal(run.counts("hidden", STEPS, DT), out.hidden_z.numpy())
    assert np.array_equal(run.counts("reconstruction", STEPS, DT), out.out_z.numpy())


def test_exact_dynamics_converge_to_the_discrete_model_as_dt_shrinks():
    model, x, out = network(0.1)
    errors = []
    for factor in (1, 10, 100):
        run = simulate(model.layer_specs(), DT, x.numpy(), DT / factor, order="exact")
        errors.append(np.abs(run.counts("reconstruction", STEPS, DT) - out.out_z.numpy()).sum())
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.01 * out.out_z.sum()


def test_lif_constant_current_fires_at_closed_form_times():
    import brian2 as b2

    from bioaware.brian.devices import use_device

    use_device("runtime")
    tau, drive, sim_dt = 0.01, 1.5, 1e-5
    group = b2.NeuronGroup(1, equation_text("lif"), threshold="v >= v_th", reset="v = v_reset", method="exact",
                           dt=sim_dt * b2.second)
    group.tau, group.r, group.i_bias, group.v_th, group.v_reset = tau * b2.second, 1.0, drive, 1.0, 0.0
    monitor = b2.SpikeMonitor(group)
    b2.Network(group, monitor).run(0.05 * b2.second)
    period = -tau * math.log(1 - 1 / drive)  # v(t) = I·(1 − e^(−t/τ)) reaches 1
    expected = period * np.arange(1, 1 + int(0.05 / period))
    times = np.asarray(monitor.t / b2.second)
    assert len(times) == len(expected)
    # Brian2 stamps a spike with the start of the step whose update crossed threshold, and the reset
    # happens on the grid, so spike k lies within k simulation steps of the closed form
    assert np.all(np.abs(times - expected) <= sim_dt * np.arange(1, len(times) + 1) + 1e-12)
    assert np.abs(times - expected).max() < 0.01 * period


def test_lif_known_spike_train_fires_at_closed_form_time():
    # one neuron, inputs of weight 0.4 at 1, 2, 3, 4 ms; τ from leak 0.1 per ms.
    # v after input k = 0.4·Σ_j e^(−(t_k − t_j)/τ) = 0.4·(1 + 0.9 + 0.81 + …): 0.4, 0.76, 1.084 → spike at 3 ms
    layer = DenseSpikingLayer("cell", np.array([[0.4]]), 0.1, 1.0)
    spikes = np.zeros((6, 1, 1))
    spikes[1:5, 0, 0] = 1
    v = 0.0
    for k in range(1, 6):
        v = v * math.exp(-DT / tau_from_leak(0.1, DT)) + spikes[k, 0, 0] * 0.4
        if v >= 1.0:
            expected = k * DT
            break
    run = simulate([layer], DT, spikes, DT / 100, order="exact")
    _, _, t = run.spikes["cell"]
    assert expected == pytest.approx(3e-3)
    assert t[0] == pytest.approx(expected, abs=DT / 100 + 1e-12)


@pytest.mark.skipif(shutil.which("g++") is None, reason="cpp_standalone needs a C++ compiler (g++ not found)")
@pytest.mark.slow
def test_cpp_standalone_and_openmp_threads_match_runtime(tmp_path):
    model, x, _ = network(0.1)
    reference = simulate(model.layer_specs(), DT, x.numpy(), DT / 10, order="exact")
    for threads in (0, 2):
        run = simulate(model.layer_specs(), DT, x.numpy(), DT / 10, order="exact", device="cpp_standalone",
                       build_dir=tmp_path / f"build{threads}", threads=threads)
        for name in ("hidden", "reconstruction"):
            assert np.array_equal(run.counts(name, STEPS, DT), reference.counts(name, STEPS, DT)), (name, threads)


def test_time_windows_give_the_same_spikes_as_parallel_copies():
    """7 images as 7 copies, or as 3 copies × 3 windows (membranes reset between windows): same spikes."""
    torch.manual_seed(0)
    model = RoyAutoencoder(784, 24, LIFParameters(0.0, 1.0, 5.0))  # IF: no leak, so a missing reset would show
    with torch.no_grad():
        model.encoder.weight.mul_(5.0)
        model.decoder.weight.mul_(5.0)
    x = bernoulli_rate(torch.rand(7, 784), STEPS, generator=torch.Generator().manual_seed(2)).numpy()
    for order in ("matched", "exact"):
        parallel = simulate(model.layer_specs(), DT, x, DT / 2, order=order)
        windowed = simulate(model.layer_specs(), DT, x, DT / 2, order=order, max_copies=3)
        assert windowed.copies == 3 and windowed.window_steps == STEPS + 2
        for name in ("hidden", "reconstruction"):
            assert parallel.counts(name, STEPS, DT).sum() > 100
            assert np.array_equal(windowed.counts(name, STEPS, DT), parallel.counts(name, STEPS, DT)), (order, name)


def _psp(equations: str, params: dict, target: str, t_end: float = 0.08, sim_dt: float = 1e-5):
    """Membrane of one neuron (no threshold) after one input spike of weight 0.5 at t = 0."""
    import brian2 as b2

    from bioaware.brian.devices import use_device

    use_device("runtime")
    neuron = b2.NeuronGroup(1, equation_text(equations), method="exact", dt=sim_dt * b2.second)
    for name, value in params.items():
        setattr(neuron, name, value)
    source = b2.SpikeGeneratorGroup(1, [0], [0.0] * b2.second, dt=sim_dt * b2.second)
    syn = b2.Synapses(source, neuron, on_pre=f"{target}_post += 0.5", dt=sim_dt * b2.second)
    syn.connect()
    monitor = b2.StateMonitor(neuron, "v", record=0, dt=sim_dt * b2.second)
    b2.Network(neuron, source, syn, monitor).run(t_end * b2.second)
    # the spike lands after the state update of step 0 and the monitor samples at the start of each
    # step, so sample k shows the membrane (k − 1)·dt after the spike: return that elapsed time
    return np.maximum(np.asarray(monitor.t / b2.second) - sim_dt, 0.0), np.asarray(monitor.v[0])


def test_cuba_lif_psp_closed_form():
    tm, ts, r = 0.01, 0.004, 2.0
    t, v = _psp("cuba_lif", {"tau_mem": tm * b2_second(), "tau_syn": ts * b2_second(), "r": r, "v_th": 10.0}, "I")
    expected = r * 0.5 * ts / (ts - tm) * (np.exp(-t / ts) - np.exp(-t / tm))
    assert np.abs(v - expected).max() < 1e-3 * expected.max()


def test_alpha_psp_closed_form():
    tau, r = 0.005, 1.0
    t, v = _psp("alpha_synapse", {"tau": tau * b2_second(), "r": r, "v_th": 10.0}, "I")
    expected = r * 0.5 * (t / tau) * np.exp(-t / tau)
    assert np.abs(v - expected).max() < 1e-3 * expected.max()
    assert t[np.argmax(v)] == pytest.approx(tau, abs=2e-5)  # peak at t = τ, height r·w/e


def test_li_decays_exponentially():
    tau = 0.02
    t, v = _psp("li", {"tau": tau * b2_second()}, "v")
    expected = 0.5 * np.exp(-t / tau)
    assert np.abs(v[1:] - expected[1:]).max() < 1e-3


def b2_second():
    import brian2

    return brian2.second


def test_time_windows_reset_the_refractory_state():
    """IF neurons that fire at most once (refractory longer than the run) fire once per image in every window."""
    rng = np.random.default_rng(3)
    once = {"refractory_period": 10.0}
    layers = [DenseSpikingLayer("hidden", rng.normal(0.2, 0.3, (30, 100)), 0.0, 1.0, dict(once)),
              DenseSpikingLayer("reconstruction", rng.normal(0.2, 0.3, (50, 30)), 0.0, 1.0, dict(once))]
    x = (rng.random((STEPS, 6, 100)) < 0.2).astype(float)
    parallel = simulate(layers, DT, x, DT, order="matched")
    windowed = simulate(layers, DT, x, DT, order="matched", max_copies=2)
    for name in ("hidden", "reconstruction"):
        counts = parallel.counts(name, STEPS, DT)
        assert counts.sum(0).max() == 1 and counts.sum() > 50  # single spike per neuron and image
        assert np.array_equal(windowed.counts(name, STEPS, DT), counts)



@pytest.mark.parametrize("tau_syn", [4e-3, None])  # None: τ_syn = τ_mem, the alpha synapse
def test_cuba_layer_psp_closed_form(tau_syn):
    leak, w, sim_dt = 0.1, 0.8, 1e-5
    tau_mem = tau_from_leak(leak, DT)
    tau_syn = tau_syn or tau_mem
    layer = DenseSpikingLayer("cell", np.array([[w]]), leak, 10.0, tau_syn=tau_syn)
    x = np.zeros((30, 1, 1))
    x[0, 0, 0] = 1
    run = simulate([layer], DT, x, sim_dt, record_v={"cell": [0]})
    t, v = run.traces["cell"]  # sampled after input, so sample k is k·dt after the spike
    if tau_syn == tau_mem:
        expected = w * (t / tau_mem) * np.exp(-t / tau_mem)
    else:
        expected = w * tau_syn / (tau_syn - tau_mem) * (np.exp(-t / tau_syn) - np.exp(-t / tau_mem))
    assert np.abs(v[0] - expected).max() < 1e-3 * expected.max()


def test_cuba_layer_fires_where_the_psp_crosses_threshold():
    leak, tau_syn = 0.1, 4e-3
    tau_mem = tau_from_leak(leak, DT)
    layer = DenseSpikingLayer("cell", np.array([[6.0]]), leak, 1.0, tau_syn=tau_syn)  # PSP peak 1.35
    x = np.zeros((20, 1, 1))
    x[0, 0, 0] = 1
    run = simulate([layer], DT, x, 1e-5)
    t = np.linspace(0, 0.02, 200_001)
    psp = 6.0 * tau_syn / (tau_syn - tau_mem) * (np.exp(-t / tau_syn) - np.exp(-t / tau_mem))
    assert run.spikes["cell"][2][0] == pytest.approx(t[np.argmax(psp >= 1.0)], abs=2e-5)


def test_readout_layer_records_a_decaying_membrane():
    rng = np.random.default_rng(1)
    layers = [DenseSpikingLayer("hidden", rng.normal(0.3, 0.2, (10, 20)), 0.1, 1.0, tau_syn=3e-3),
              DenseSpikingLayer("readout", rng.normal(0.0, 0.5, (4, 10)), 0.1, math.inf, readout=True)]
    x = (rng.random((15, 3, 20)) < 0.3).astype(float)
    parallel = simulate(layers, DT, x, DT / 10)
    t, v = parallel.traces["readout"]
    assert v.shape == (4, len(t)) and np.abs(v).max() > 0.1
    assert "readout" not in parallel.spikes
    windowed = simulate(layers, DT, x, DT / 10, max_copies=1)  # membranes and currents reset per image
    assert np.array_equal(windowed.counts("hidden", 15, DT), parallel.counts("hidden", 15, DT))


def test_alpha_layer_with_refractory_period_is_refused():
    tau = tau_from_leak(0.1, DT)
    layer = DenseSpikingLayer("cell", np.ones((1, 1)), 0.1, 1.0, {"refractory_period": 0.01}, tau_syn=tau)
    with pytest.raises(BioawareError, match="node 'cell': CubaLIF with τ_syn = τ_mem has no refractory period"):
        simulate([layer], DT, np.ones((3, 1, 1)), DT)


def test_convolutional_graph_matches_a_torch_reference(tmp_path):
    """Input (1, 8, 8) → Conv2d 3×3 pad 1 → LIF (2, 8, 8) → SumPool2d 2 → Flatten → Linear → IF (5):
    read from a NIR file, simulated in Brian2 (matched order), equal to the discrete model in torch."""
    import nir
    import torch.nn.functional as F

    from bioaware.interchange.from_nir import graph_to_layers, read_graph

    rng = np.random.default_rng(4)
    kernel = rng.normal(0.3, 0.4, (2, 1, 3, 3))
    dense = rng.normal(0.2, 0.3, (5, 32))
    tau = tau_from_leak(0.1, DT)
    graph = nir.NIRGraph(nodes={
        "input": nir.Input({"input": np.array([1, 8, 8])}),
        "conv": nir.Conv2d(input_shape=(8, 8), weight=kernel, stride=1, padding=1, dilation=1, groups=1,
                           bias=np.zeros(2)),
        "lif": nir.LIF(tau=np.full((2, 8, 8), tau), r=np.full((2, 8, 8), tau), v_leak=np.zeros((2, 8, 8)),
                       v_threshold=np.ones((2, 8, 8))),
        "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
        "flat": nir.Flatten({"input": np.array([2, 4, 4])}),
        "dense": nir.Linear(weight=dense),
        "if": nir.IF(r=np.ones(5), v_threshold=np.ones(5)),
        "output": nir.Output({"output": np.array([5])})},
        edges=[("input", "conv"), ("conv", "lif"), ("lif", "pool"), ("pool", "flat"), ("flat", "dense"),
               ("dense", "if"), ("if", "output")], metadata={"dt": DT})
    path = tmp_path / "conv.nir"
    nir.write(path, graph)
    layers, _ = graph_to_layers(read_graph(path), path)
    assert [layer.size for layer in layers] == [128, 5]
    x = (rng.random((STEPS, 3, 64)) < 0.3).astype(float)

    # the discrete model, with torch's own convolution and pooling
    def scan(currents, leak):
        v, out = torch.zeros_like(currents[0]), []
        for current in currents:
            v = (1 - leak) * v + current
            out.append((v >= 1.0).double())
            v = v * (1 - out[-1])
        return torch.stack(out)
    xs = torch.from_numpy(x).reshape(STEPS * 3, 1, 8, 8)
    conv_spikes = scan(F.conv2d(xs, torch.from_numpy(kernel), padding=1).reshape(STEPS, 3, 128), 0.1)
    pooled = F.avg_pool2d(conv_spikes.reshape(STEPS * 3, 2, 8, 8), 2) * 4
    out_spikes = scan(pooled.reshape(STEPS, 3, 32) @ torch.from_numpy(dense).T, 0.0)

    run = simulate(layers, DT, x, DT, order="matched", max_copies=2)  # sparse synapses, copies and windows
    assert conv_spikes.sum() > 50 and out_spikes.sum() > 10
    assert np.array_equal(run.counts("lif", STEPS, DT), conv_spikes.numpy())
    assert np.array_equal(run.counts("if", STEPS, DT), out_spikes.numpy())
