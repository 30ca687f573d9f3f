import math

import torch

from bioaware.data.encoders import bernoulli_rate, poisson_rate, rate_encode


def test_bernoulli_rate_statistics():
    x = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0]).repeat(400, 1)
    spikes = bernoulli_rate(x, steps=50, generator=torch.Generator().manual_seed(0))
    assert spikes.shape == (50, 400, 5)
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}
    rate = spikes.mean(dim=(0, 1))
    # 20,000 Bernoulli draws per pixel: standard error ≤ 0.0036
    assert torch.allclose(rate, x[0], atol=0.015)
    assert rate[0] == 0 and rate[-1] == 1


def test_max_rate_scales_probability():
    x = torch.full((1000, 1), 1.0)
    spikes = bernoulli_rate(x, 20, max_rate=0.25, generator=torch.Generator().manual_seed(1))
    assert abs(spikes.mean().item() - 0.25) < 0.015


def test_poisson_rate_probability():
    x = torch.tensor([0.0, 0.5, 1.0]).repeat(1000, 1)
    spikes = poisson_rate(x, 20, max_rate=2.0, generator=torch.Generator().manual_seed(2))
    expected = torch.tensor([0.0, 1 - math.exp(-1.0), 1 - math.exp(-2.0)])
    assert torch.allclose(spikes.mean(dim=(0, 1)), expected, atol=0.015)


def test_same_generator_state_same_spikes():
    x = torch.rand(8, 784, generator=torch.Generator().manual_seed(3))
    a = rate_encode("bernoulli", x, 15, 1.0, torch.Generator().manual_seed(4))
    b = rate_encode("bernoulli", x, 15, 1.0, torch.Generator().manual_seed(4))
    assert torch.equal(a, b)
