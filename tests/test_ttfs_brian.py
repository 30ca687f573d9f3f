"""Brian2's IF neurons with a refractory period as long as the window (equations/if_refractory.eqs)
fire at the times of the discrete single-spike model."""

import numpy as np
import pytest
import torch

from bioaware.brian.ttfs import simulate_ttfs, undelayed
from bioaware.interchange.from_nir import graph_to_layers
from bioaware.interchange.to_nir import layers_to_nir
from bioaware.models.functional.ttfs import ttfs_encode
from bioaware.models.ttfs_net import TTFSNetwork

DT = 1e-3


@pytest.mark.parametrize("seed, sizes, thresholds, high", [(0, [50, 20, 5], [6.0, 5.0], [0.5, 2.0]),
                                                           (1, [30, 12, 8], [3.0, 2.0], [0.4, 0.8])])
def test_brian2_spike_times_equal_the_discrete_model(seed, sizes, thresholds, high):
    torch.manual_seed(seed)
    steps = 32
    net = TTFSNetwork(sizes, thresholds, high, steps)
    in_times = ttfs_encode(torch.rand(25, sizes[0]) * (torch.rand(25, sizes[0]) < 0.5), steps)
    with torch.no_grad():
        reference = [t.numpy() for t in net(in_times)]
    # through NIR and back, as `bioaware compare` runs it; max_copies 10 also exercises the time windows
    layers, _ = graph_to_layers(layers_to_nir(net.layer_specs(DT), DT, {}))
    assert all(layer.metadata["refractory_period"] > steps * DT for layer in layers)
    matched = simulate_ttfs(layers, in_times.numpy(), steps, DT, DT, max_copies=10)
    for k, name in enumerate(net.names):
        assert np.array_equal(matched[name], reference[k]), name
        assert 0 < (reference[k] < steps).mean() < 1 or k == 0
    # a 10× finer step fires every neuron of layer k exactly (k + 1)·0.9 steps earlier (so a few that the
    # discrete model fires only at the window's end, i.e. never, do fire): same order, same decisions
    fine = undelayed(simulate_ttfs(layers, in_times.numpy(), steps, DT, DT / 10, max_copies=10), net.names, steps, 0.1)
    for k, name in enumerate(net.names):
        assert np.allclose(fine[name], reference[k]), name
