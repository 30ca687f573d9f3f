import pytest
import torch

from bioaware.train.losses import masked_membrane_loss
from bioaware.core.metrics import normalised_mse, spike_mse


def test_masked_loss_on_hand_made_tensors():
    # one step, one image, four output neurons covering the four (input, output) spike cases
    in_z = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]])
    out_z = torch.tensor([[[1.0, 0.0, 1.0, 0.0]]])
    out_v = torch.tensor([[[1.3, 0.4, 1.2, 0.7]]])
    # mask keeps only the disagreements: (1 - 0.4)² and (0 - 1.2)²
    assert masked_membrane_loss(out_v, out_z, in_z, v_th=1.0).item() == pytest.approx(0.5 * (0.36 + 1.44))
    # without mask every neuron counts
    full = 0.5 * (0.3 ** 2 + 0.6 ** 2 + 1.2 ** 2 + 0.7 ** 2)
    assert masked_membrane_loss(out_v, out_z, in_z, v_th=1.0, mask=False).item() == pytest.approx(full)


def test_masked_loss_averages_batch_and_uses_threshold():
    in_z = torch.ones(3, 2, 1)
    out_z = torch.zeros(3, 2, 1)
    out_v = torch.zeros(3, 2, 1, requires_grad=True)
    loss = masked_membrane_loss(out_v, out_z, in_z, v_th=2.0)
    assert loss.item() == pytest.approx(0.5 * 3 * 2 * 4 / 2)
    loss.backward()
    assert torch.allclose(out_v.grad, torch.full_like(out_v, -2.0 / 2))


def test_normalised_mse_properties():
    img = torch.rand(5, 784, generator=torch.Generator().manual_seed(0))
    assert normalised_mse(img, img) == pytest.approx(0.0, abs=1e-6)
    assert normalised_mse(img, 3 * img + 7) == pytest.approx(0.0, abs=1e-6)  # scale and offset free
    assert normalised_mse(img, -img) == pytest.approx(4.0, rel=1e-5)
    assert normalised_mse(img, torch.zeros_like(img)) == pytest.approx(1.0, rel=1e-5)  # silent output


def test_spike_mse():
    assert spike_mse(torch.tensor([[3.0, 0.0]]), torch.tensor([[1.0, 1.0]])) == pytest.approx(2.5)


@pytest.mark.parametrize("mask", [True, False])
def test_fused_loss_equals_its_formula(mask):
    g = torch.Generator().manual_seed(0)
    in_z = (torch.rand(6, 4, 30, generator=g) < 0.3).double()
    out_z = (torch.rand(6, 4, 30, generator=g) < 0.3).double()
    v = (torch.randn(6, 4, 30, generator=g, dtype=torch.float64) + 0.5).requires_grad_()
    loss = masked_membrane_loss(v, out_z, in_z, v_th=1.5, mask=mask)
    error = (1.5 * in_z - v) * ((in_z != out_z).double() if mask else 1.0)
    reference = 0.5 * error.pow(2).sum() / 4
    assert loss.item() == pytest.approx(reference.item())
    g1, = torch.autograd.grad(loss, v)
    g2, = torch.autograd.grad(reference, v)
    assert torch.allclose(g1, g2)
