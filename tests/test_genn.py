"""Brian2's GeNN device (brian2genn 1.7 on GeNN 4.9's single-threaded CPU backend, in its own environment, which
`simulate_graph(device="genn")` calls by itself) against cpp_standalone: the same spikes on the same schedule, or a
one-line refusal of what GeNN cannot run."""

import numpy as np
import pytest

from bioaware.brian.device_envs import device_python, genn_path
from bioaware.core.errors import BioawareError


def _missing() -> str:
    try:
        device_python("genn")
        genn_path()
    except BioawareError as exc:
        return str(exc)
    return ""


pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(_missing()), reason=f"GeNN environment: {_missing()}")]

REFUSALS = ("GeNN runs its own schedule", "needs a clock of its own", "GeNN allows one per pathway")


def _events(run, name) -> np.ndarray:
    """(neuron, step) of every spike of `name`, sorted."""
    index, times = run.spikes[name]
    return np.sort(index.astype(np.int64) * 1_000_000 + np.round(times / run.dt).astype(np.int64))


def test_the_exported_autoencoder_spikes_on_genn_as_on_cpp_standalone():
    """Roy et al.'s committed graph (784-196-784 LIF), 3 copies of random input spikes, 15 ms at 0.1 ms."""
    from bioaware.brian.nir_network import SpikeTrains, simulate_graph

    raster = np.random.default_rng(0).random((15, 3 * 784)) < 0.2
    steps, channels = np.nonzero(raster)
    inputs = {"input": SpikeTrains(channels, steps * 1e-3)}
    path = "export/roy_ae_mnist_best/model.nir"
    runs = {device: simulate_graph(path, inputs, 0.015, dt=1e-4, device=device, copies=3)
            for device in ("cpp_standalone", "genn")}
    for name in ("hidden", "reconstruction"):
        reference = _events(runs["cpp_standalone"], name)
        assert len(reference) > 100 if name == "hidden" else len(reference) > 0
        assert np.array_equal(reference, _events(runs["genn"], name)), name
    with pytest.raises(BioawareError, match="GeNN runs its own schedule"):
        simulate_graph(path, inputs, 0.015, dt=1e-3, device="genn", copies=3, order="matched")


@pytest.mark.parametrize("make", __import__("bioaware.compare.closed_forms", fromlist=["CASES"]).CASES,
                         ids=lambda make: make.__name__)
def test_conformance_graphs_run_on_genn_as_on_cpp_standalone_or_are_refused(make, tmp_path):
    import nir

    from bioaware.brian.nir_network import simulate_graph

    case = make()
    path = tmp_path / f"{make.__name__}.nir"
    nir.write(path, case.graph)
    reference = simulate_graph(path, case.inputs, case.duration, dt=1e-4, device="cpp_standalone")
    try:
        run = simulate_graph(path, case.inputs, case.duration, dt=1e-4, device="genn")
    except BioawareError as exc:
        assert any(reason in str(exc) for reason in REFUSALS) and "\n" not in str(exc), str(exc)
        return
    assert reference.spikes.keys() == run.spikes.keys()
    for name in reference.spikes:
        assert np.array_equal(_events(reference, name), _events(run, name)), name
