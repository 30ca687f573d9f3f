"""The Brian2 engine against a NumPy implementation of the discrete-time model, without torch.

This module imports only numpy, brian2 and bioaware's light modules, so the environments that pin
another Brian2 (brian2genn: 2.5.4 with numpy < 2; brian2cuda: 2.8.0) can run it as they are:
`pip install --no-deps -e . pytest nir==1.0.4 h5py scipy` there, then
`python -m pytest tests/test_brian_reference.py`.
"""

import importlib.util
import shutil

import numpy as np
import pytest

from bioaware.brian.network import simulate
from bioaware.core.layers import DenseSpikingLayer


def discrete(layers, x):
    """Training-time update per layer (decay, add input, threshold, reset to 0): spikes [T, B, N]."""
    out = []
    for layer in layers:
        v = np.zeros((x.shape[1], layer.size))
        z = np.zeros((x.shape[0], x.shape[1], layer.size))
        for t in range(x.shape[0]):
            v = (1 - layer.leak) * v + x[t] @ layer.weight.T
            z[t] = v >= layer.v_th
            v[z[t] > 0] = 0.0
        out.append(z)
        x = z
    return out


def network(leak, seed=0):
    rng = np.random.default_rng(seed)
    layers = [DenseSpikingLayer("hidden", rng.normal(0.15, 0.3, (40, 100)), leak, 1.0),
              DenseSpikingLayer("reconstruction", rng.normal(0.1, 0.3, (100, 40)), leak, 1.0)]
    return layers, (rng.random((15, 6, 100)) < 0.2).astype(float)


@pytest.mark.parametrize("leak", [0.1, 0.0])
def test_matched_equals_numpy_and_exact_converges(leak):
    layers, x = network(leak)
    reference = discrete(layers, x)
    matched = simulate(layers, 1e-3, x, 1e-3, order="matched")
    exact = simulate(layers, 1e-3, x, 1e-5, order="exact")
    for layer, ref in zip(layers, reference):
        assert ref.sum() > 1000
        assert np.array_equal(matched.counts(layer.name, 15, 1e-3), ref)
        assert np.abs(exact.counts(layer.name, 15, 1e-3) - ref).sum() < 0.02 * ref.sum()


@pytest.mark.parametrize("device, module", [("cuda_standalone", "brian2cuda")])
def test_gpu_device_equals_numpy(device, module, tmp_path):
    """(GeNN runs its own schedule, not the matched order: tests/test_genn.py compares it with cpp_standalone.)"""
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (it needs its own environment, see docs/brian2.md)")
    if shutil.which("nvidia-smi") is None:
        pytest.skip("no NVIDIA GPU here (nvidia-smi not found)")
    layers, x = network(0.1)
    run = simulate(layers, 1e-3, x, 1e-3, order="matched", device=device, build_dir=tmp_path / device)
    for layer, ref in zip(layers, discrete(layers, x)):
        assert np.array_equal(run.counts(layer.name, 15, 1e-3), ref)
