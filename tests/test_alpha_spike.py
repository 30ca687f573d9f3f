"""Lambert W, the closed-form alpha-neuron spike time and its exact gradients (Comşa et al. 2022)."""

import math

import numpy as np
import pytest
import scipy.special
import torch

from bioaware.models.functional.alpha_spike import alpha_potential, alpha_spike_times
from bioaware.models.functional.lambertw import lambertw0


def test_lambertw_matches_scipy_on_random_inputs():
    rng = np.random.default_rng(0)
    z = np.concatenate([-1 / math.e + rng.random(500) * (1 / math.e),  # [−1/e, 0)
                        -1 / math.e + 10.0 ** rng.uniform(-14, -3, 200),  # next to the branch point
                        10.0 ** rng.uniform(-8, 200, 500)])
    ours = lambertw0(torch.from_numpy(z)).numpy()
    ref = scipy.special.lambertw(z).real
    assert np.max(np.abs(ours - ref) / (1 + np.abs(ref))) < 1e-7  # √ε next to the branch point, ~1e-15 elsewhere
    far = z > -0.3
    assert np.max(np.abs(ours[far] - ref[far]) / (1 + np.abs(ref[far]))) < 1e-13
    assert torch.isnan(lambertw0(torch.tensor([-0.5], dtype=torch.float64))).all()  # no real solution
    assert lambertw0(torch.tensor([-1 / math.e], dtype=torch.float64)).item() == pytest.approx(-1.0, abs=1e-7)


def first_crossing(times, weight, decay, theta, horizon=6.0, steps=120_001):
    """Brute force: the first grid time at which the alpha potential reaches θ (1000 when it never does)."""
    grid = torch.linspace(0, horizon, steps, dtype=torch.float64)
    above = alpha_potential(grid, times, weight, decay) >= theta
    first = above.to(torch.uint8).argmax(dim=2)
    return torch.where(above.any(dim=2), grid[first], torch.full_like(grid[first], 1000.0)), grid[1] - grid[0]


@pytest.mark.parametrize("decay,theta", [(1.0, 1.0), (0.5, 3.0), (2.0, 0.3)])
def test_spike_times_equal_the_first_threshold_crossing(decay, theta):
    gen = torch.Generator().manual_seed(int(decay * 10))
    times = torch.rand(5, 15, generator=gen, dtype=torch.float64)
    times[:, :3] = 1000.0  # silent inputs play no part
    weight = torch.randn(7, 15, generator=gen, dtype=torch.float64) * 0.6 + 0.25
    t = alpha_spike_times(times, weight, decay, theta)
    ref, step = first_crossing(times, weight, decay, theta)
    spiking = ref < 1000
    assert 0.2 < spiking.double().mean() < 1.0  # both kinds of neuron occur
    assert torch.equal(t < 1000, spiking)
    assert torch.all((t[spiking] - ref[spiking]).abs() <= step)


def test_gradients_match_finite_differences():
    gen = torch.Generator().manual_seed(1)
    times = torch.rand(3, 12, generator=gen, dtype=torch.float64).requires_grad_()
    weight = (torch.randn(5, 12, generator=gen, dtype=torch.float64) * 0.5 + 0.4).requires_grad_()
    assert (alpha_spike_times(times, weight) < 1000).any()
    assert torch.autograd.gradcheck(lambda x, w: alpha_spike_times(x, w, 1.0, 1.0, clip=1e9), (times, weight),
                                    eps=1e-7, atol=1e-5)


def test_silent_neuron_gets_no_time_gradient_and_the_weight_penalty():
    times = torch.tensor([[0.1, 0.3, 0.5]], dtype=torch.float64, requires_grad=True)
    weight = torch.tensor([[2.0, 2.0, 2.0], [0.01, 0.01, 0.01]], dtype=torch.float64, requires_grad=True)
    t = alpha_spike_times(times, weight, penalty=0.5)
    assert t[0, 0] < 1000 and t[0, 1] == 1000  # strong neuron spikes, weak one never does
    (t[0, 0] + t[0, 1]).backward()
    assert torch.all(weight.grad[1] == -0.5)  # pushed to grow; descent raises its weights
    assert torch.all(weight.grad[0] < 0)  # stronger weights make the spiking neuron earlier


def test_derivatives_are_clipped():
    times = torch.tensor([[0.0, 0.9]], dtype=torch.float64, requires_grad=True)
    weight = torch.tensor([[2.7183, 0.0]], dtype=torch.float64, requires_grad=True)  # barely reaches θ: ∂t/∂w is huge
    t = alpha_spike_times(times, weight, clip=1e9)
    (g_free,) = torch.autograd.grad(t.sum(), weight)
    t = alpha_spike_times(times, weight, clip=2.0)
    (g_clipped,) = torch.autograd.grad(t.sum(), weight)
    assert g_free.abs().max() > 2.0 and g_clipped.abs().max() <= 2.0


def test_late_input_after_the_spike_is_not_causal():
    times = torch.tensor([[0.0, 5.0]], dtype=torch.float64, requires_grad=True)
    weight = torch.tensor([[3.0, -10.0]], dtype=torch.float64, requires_grad=True)
    t = alpha_spike_times(times, weight)
    assert t.item() < 5.0
    t.sum().backward()
    assert times.grad[0, 1] == 0 and weight.grad[0, 1] == 0
