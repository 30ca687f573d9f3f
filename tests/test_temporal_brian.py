"""The alpha-PSP temporal autoencoder ↔ NIR ↔ Brian2: exact dynamics equal the Lambert-W closed form."""

import numpy as np
import pytest
import torch

from bioaware.brian.temporal import simulate_alpha
from bioaware.interchange.temporal_nir import AlphaLayerSpec, temporal_from_nir, temporal_to_nir
from bioaware.models.comsa_ae import AlphaParameters, ComsaAutoencoder
from bioaware.models.functional.alpha_spike import alpha_spike_times


def closed_form(input_times: np.ndarray, layer: AlphaLayerSpec, pulse_times: np.ndarray) -> np.ndarray:
    """Spike times of `layer` (inf: none) for inputs [images, N] (inf: none), by the closed form in float64."""
    full = np.concatenate([np.where(np.isfinite(input_times), input_times, 1e3),
                           np.tile(pulse_times, (len(input_times), 1))], axis=1)
    w = np.concatenate([layer.weight, layer.pulse_weight], axis=1)
    t = alpha_spike_times(torch.from_numpy(full), torch.from_numpy(w), layer.decay, layer.v_th).numpy()
    return np.where(t < 1e3, t, np.inf)


def random_layers(seed: int, decay: float):
    rng = np.random.default_rng(seed)
    n, h, o, p = 16, 8, 6, 3
    theta = 1.0 / decay  # the peak PSP of a unit weight is 1/(K·e)
    return [AlphaLayerSpec("hidden", rng.normal(0.2, 0.5, (h, n)), rng.normal(0.3, 0.3, (h, p)),
                           np.array([0.1, 0.5, 0.9]), decay, theta),
            AlphaLayerSpec("reconstruction", rng.normal(0.4, 0.8, (o, h)), rng.normal(0.2, 0.3, (o, p)),
                           np.array([-0.2, 0.7, 1.5]), decay, theta)], rng.random((9, n))


@pytest.mark.parametrize("seed,decay,sim_dt", [(0, 1.0, 0.01), (1, 0.5, 0.01), (2, 1.0, 0.002)])
def test_brian2_spike_times_equal_the_closed_form_within_one_step(seed, decay, sim_dt):
    layers, x = random_layers(seed, decay)
    x[:, :3] = np.inf  # some inputs never spike
    run = simulate_alpha(layers, 1e-3, x, horizon=12.0, sim_dt=sim_dt, max_copies=4)  # 9 images: 4 copies × 3 windows
    hidden = closed_form(run.input_times, layers[0], run.pulse_times["hidden"])
    output = closed_form(run.times["hidden"], layers[1], run.pulse_times["reconstruction"])
    assert 0 < np.isfinite(output).mean() < 1  # spiking and silent neurons both occur
    for ref, got in ((hidden, run.times["hidden"]), (output, run.times["reconstruction"])):
        assert np.array_equal(np.isfinite(ref), np.isfinite(got))
        assert np.isfinite(ref).mean() > 0.1
        both = np.isfinite(ref)
        # Brian2 records the first step at or after the exact crossing, given the inputs it actually received
        assert np.all((got[both] - ref[both] >= -1e-9) & (got[both] - ref[both] < sim_dt + 1e-9))
    end_to_end = closed_form(hidden, layers[1], run.pulse_times["reconstruction"])
    both = np.isfinite(end_to_end) & np.isfinite(run.times["reconstruction"])
    assert np.all(np.abs(run.times["reconstruction"][both] - end_to_end[both]) < 3 * sim_dt)


def test_temporal_autoencoder_nir_round_trip(tmp_path):
    import nir

    torch.manual_seed(0)
    model = ComsaAutoencoder(784, 8, 4, AlphaParameters(decay=0.25, v_th=1.5))
    specs = model.layer_specs()
    path = tmp_path / "model.nir"
    nir.write(path, temporal_to_nir(specs, 1e-3, {"model": "comsa_ae"}))
    graph = nir.read(path)
    hidden = graph.nodes["hidden"]
    assert isinstance(hidden, nir.CubaLIF) and np.allclose(hidden.tau_syn, 4e-3) and np.allclose(hidden.tau_mem, 4e-3)
    assert hidden.metadata["spikes_at_most_once"]
    back, unit = temporal_from_nir(graph)
    assert unit == 1e-3 and [b.name for b in back] == ["hidden", "reconstruction"]
    for a, b in zip(specs, back):
        assert np.array_equal(a.weight, b.weight) and np.array_equal(a.pulse_weight, b.pulse_weight)
        assert np.array_equal(a.pulse_times, b.pulse_times)
        assert b.decay == pytest.approx(0.25) and b.v_th == 1.5
