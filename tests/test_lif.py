import pytest
import torch

from bioaware.models.functional.lif import LIFParameters, lif_scan, lif_scan_reference, lif_step


@pytest.mark.parametrize("leak", [0.0, 0.1, 0.5])
def test_fused_scan_equals_stepwise_autograd(leak):
    p = LIFParameters(leak, 1.0, 3.0)
    g = torch.Generator().manual_seed(0)
    currents = (torch.randn(20, 6, 9, generator=g, dtype=torch.float64) * 0.7 + 0.3).requires_grad_()
    z1, v1 = lif_scan(currents, p)
    z2, v2 = lif_scan_reference(currents, p)
    assert torch.equal(z1, z2) and torch.allclose(v1, v2)
    assert z1.sum() > 10  # the comparison covers spikes and resets
    wz, wv = torch.randn_like(z1), torch.randn_like(v1)
    g1, = torch.autograd.grad((z1 * wz).sum() + (v1 * wv).sum(), currents)
    g2, = torch.autograd.grad((z2 * wz).sum() + (v2 * wv).sum(), currents)
    assert torch.allclose(g1, g2, atol=1e-12)


def test_if_neuron_constant_current_closed_form():
    # α = 0, I = 0.3: V = 0.3, 0.6, 0.9, 1.2 → spike on every 4th step, reset to 0
    z, v = lif_scan(torch.full((12, 1), 0.3), LIFParameters(0.0, 1.0, 5.0))
    assert z[:, 0].nonzero().flatten().tolist() == [3, 7, 11]


def test_lif_neuron_constant_current_closed_form():
    # α = 0.5, I = 0.6: V_n = 0.6·(1 − 0.5ⁿ)/0.5 → 0.6, 0.9, 1.05 (spike at n = 3), period 3
    z, _ = lif_scan(torch.full((9, 1), 0.6), LIFParameters(0.5, 1.0, 5.0))
    assert z[:, 0].nonzero().flatten().tolist() == [2, 5, 8]
    # below rheobase (I / α < V_th) the neuron never fires
    z, _ = lif_scan(torch.full((50, 1), 0.45), LIFParameters(0.5, 1.0, 5.0))
    assert z.sum() == 0


def test_matches_norse_lif_box():
    """For α > 0 the neuron is Norse's LIF box with dt/τ = α and input I/α (forward spikes identical)."""
    from norse.torch.functional.lif_box import LIFBoxFeedForwardState, LIFBoxParameters, lif_box_feed_forward_step

    leak = 0.1
    currents = torch.rand(30, 4, 50, generator=torch.Generator().manual_seed(5), dtype=torch.float64) * 0.5
    ours, _ = lif_scan(currents, LIFParameters(leak, 1.0, 5.0))
    p = LIFBoxParameters(tau_mem_inv=torch.tensor(leak), v_th=torch.tensor(1.0), method="heaviside")
    state = LIFBoxFeedForwardState(v=torch.zeros(4, 50, dtype=torch.float64))
    norse = []
    for current in currents:
        z, state = lif_box_feed_forward_step(current / leak, state, p, dt=1.0)
        norse.append(z)
    assert ours.sum() > 100
    assert torch.equal(ours, torch.stack(norse).to(ours.dtype))


def test_surrogate_gradient_is_sigmoid_derivative():
    v = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)
    z, v_pre, _ = lif_step(v, torch.zeros(3), LIFParameters(0.0, 1.0, 4.0))
    z.sum().backward()
    s = torch.sigmoid(4.0 * (v.detach() - 1.0))
    assert torch.allclose(v.grad, 4.0 * s * (1 - s))
    assert z.tolist() == [0.0, 1.0, 1.0]


def test_autoencoder_window_equals_step_by_step():
    """RoyAutoencoder.forward (layer by layer over the window) = the online step loop, values and gradients."""
    from bioaware.data.encoders import bernoulli_rate
    from bioaware.models.roy_ae import RoyAutoencoder
    from bioaware.train.losses import masked_membrane_loss

    torch.manual_seed(0)
    model = RoyAutoencoder(784, 40, LIFParameters(0.1, 1.0, 2.0)).double()
    with torch.no_grad():
        model.encoder.weight.mul_(4.0)  # enough drive for hidden spikes
    x = bernoulli_rate(torch.rand(5, 784, dtype=torch.float64), 12, generator=torch.Generator().manual_seed(1))
    out = model(x)
    g_window = torch.autograd.grad(masked_membrane_loss(out.out_v, out.out_z, x), list(model.parameters()))
    state, zs, vs = None, [], []
    for x_t in x:
        step, state = model.step(x_t, state)
        zs.append(step.out_z)
        vs.append(step.out_v)
    z, v = torch.stack(zs), torch.stack(vs)
    g_steps = torch.autograd.grad(masked_membrane_loss(v, z, x), list(model.parameters()))
    assert out.hidden_z.sum() > 20 and z.sum() > 20
    assert torch.equal(out.out_z, z) and torch.allclose(out.out_v, v)
    for a, b in zip(g_window, g_steps):
        assert torch.allclose(a, b, atol=1e-10)


def test_surrogate_gradient_finite_far_below_threshold():
    # exp(−k·x) overflows float32 for k·x < −88; the gradient must stay finite (0), not NaN
    x = torch.tensor([-30.0, -1e4, 30.0], requires_grad=True)
    z, _, _ = lif_step(x, torch.zeros(3), LIFParameters(0.0, 1.0, 5.0))
    z.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad[0] < 1e-30
