"""TTFS code, single-spike IF neurons, S4NN's temporal backprop, the surrogate rule's received spikes and the
readout phase's race loss, and the held-out choice of the output scale."""

import numpy as np
import pytest
import torch

from bioaware.models.functional.ttfs import if_spike_times, membrane_bins, received_by, ttfs_decode, ttfs_encode
from bioaware.train.losses import race_loss, ttfs_targets


def test_encoder_decoder_are_inverse():
    steps = 256
    pixels = torch.arange(256, dtype=torch.float32) / 255.0
    times = ttfs_encode(pixels, steps)
    assert times[0] == steps and times[-1] == 0  # black never fires, white fires first
    assert torch.equal(times, torch.floor(steps * (1 - torch.arange(256, dtype=torch.float64) / 255) + 1e-6).float())
    every_time = torch.arange(steps + 1, dtype=torch.float32)
    assert torch.equal(ttfs_encode(ttfs_decode(every_time, steps), steps), every_time)
    assert torch.allclose(ttfs_decode(ttfs_encode(pixels, steps), steps), pixels, atol=1 / steps)


def step_by_step(in_times: np.ndarray, weight: np.ndarray, threshold: float, steps: int) -> np.ndarray:
    """Reference: IF neurons stepped in time with a refractory period as long as the window."""
    batch, n_out = in_times.shape[0], weight.shape[0]
    v, out, refractory = np.zeros((batch, n_out)), np.full((batch, n_out), float(steps)), np.zeros((batch, n_out), bool)
    for s in range(steps):
        v = np.where(refractory, 0.0, v + (in_times == s).astype(float) @ weight.T)
        fire = (v >= threshold) & ~refractory
        out[fire] = s + 1
        refractory |= fire
        v[fire] = 0.0
    return np.minimum(out, steps)


def test_single_spike_times_equal_a_step_by_step_simulation():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(20, 60, generator=g) * (torch.rand(20, 60, generator=g) < 0.6)
    weight = torch.rand(15, 60, generator=g) * 0.6 - 0.2
    times = if_spike_times(ttfs_encode(x, 40), weight, 2.0, 40)
    reference = step_by_step(ttfs_encode(x, 40).numpy(), weight.numpy(), 2.0, 40)
    assert np.array_equal(times.numpy(), reference)
    assert 0 < (times < 40).float().mean() < 1  # some fire (once), some never: both cases covered
    # the membrane keeps rising after the spike, yet the neuron is not counted twice: one time per neuron
    v = membrane_bins(ttfs_encode(x, 40), weight, 40)
    assert ((v >= 2.0).sum(1) > 1).any()


def test_received_spikes_are_exact_and_their_surrogate_reaches_the_weights():
    """[t_j ≤ s] from `received_by` equals the single-spike times' (mixed-sign weights, so some membranes fall
    back below θ after crossing); the surrogate gradient of the received count reaches the weights."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(20, 60, generator=g) * (torch.rand(20, 60, generator=g) < 0.6)
    weight = (torch.rand(15, 60, generator=g) * 0.6 - 0.2).requires_grad_(True)
    in_times, at = ttfs_encode(x, 40), torch.randint(1, 40, (20, 3), generator=g)
    received = received_by(in_times, weight, 2.0, at, width=0.5)
    times = if_spike_times(in_times, weight.detach(), 2.0, 40)
    assert torch.equal(received, (times[:, None, :] <= at[:, :, None]).float())
    v = membrane_bins(in_times, weight.detach(), 40)
    assert ((v >= 2.0).cummax(1).values & (v < 2.0)).any()  # fell back below θ after crossing: still received
    assert 0 < received.mean() < 1
    received.sum().backward()
    assert weight.grad.abs().sum() > 0


def test_gradient_signs_on_a_two_input_neuron():
    """t_j = T − Σ w·[t_i < t_j]: a larger weight of an earlier input makes the spike earlier, a later
    input spike makes it later; an input arriving after the spike gets no gradient."""
    in_times = torch.tensor([[2.0, 5.0]], requires_grad=True)
    weight = torch.tensor([[1.0, 1.0]], requires_grad=True)
    t = if_spike_times(in_times, weight, threshold=2.0, steps=10)
    assert t.item() == 6.0  # crosses in step 5 (both inputs in), fires at 6
    t.sum().backward()
    assert (weight.grad < 0).all() and (in_times.grad > 0).all()

    in_times = torch.tensor([[2.0, 8.0]], requires_grad=True)
    weight = torch.tensor([[3.0, 1.0]], requires_grad=True)
    t = if_spike_times(in_times, weight, threshold=2.0, steps=10)
    assert t.item() == 3.0
    t.sum().backward()
    assert weight.grad[0, 0] < 0 and weight.grad[0, 1] == 0 and in_times.grad[0, 1] == 0


@pytest.mark.parametrize("norm", ["l1", "l2"])
def test_errors_are_normalised_per_sample(norm):
    in_times = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    weight = torch.ones(3, 2, requires_grad=True)
    t = if_spike_times(in_times, weight, 1.0, 8, norm=norm)
    (t * torch.tensor([[1.0], [100.0]])).sum().backward()  # sample 2's loss is 100× larger …
    w_small = weight.grad.clone()
    weight.grad = None
    t = if_spike_times(in_times, weight, 1.0, 8, norm=norm)
    (t * torch.tensor([[1.0], [1.0]])).sum().backward()  # … and yet the update is the same
    assert torch.allclose(w_small, weight.grad)


def test_aggressive_relative_and_symmetric_targets():
    times = torch.tensor([[30.0, 20.0, 256.0], [256.0, 256.0, 256.0]])
    desired = torch.tensor([0, 2])
    aggressive = ttfs_targets(times, desired, 256, 3.0)
    assert aggressive.tolist() == [[17.0, 256.0, 256.0], [256.0, 256.0, 0.0]]
    relative = ttfs_targets(times, desired, 256, 3.0, "relative")
    assert relative.tolist() == [[20.0, 23.0, 256.0], [256.0, 256.0, 253.0]]
    # a deadline of 60 steps pulls a right but late winner (80) forward; one already ahead of it keeps its own time
    late = torch.tensor([[80.0, 90.0, 62.5], [70.0, 50.0, 256.0]])
    with_deadline = ttfs_targets(late, torch.tensor([0, 0]), 256, 3.0, "relative", deadline=60.0)
    assert with_deadline.tolist() == [[60.0, 90.0, 63.0], [50.0, 53.0, 256.0]]
    # symmetric: the right neuron and its closest rival meet halfway, margin/2 on each side of their midpoint;
    # a right winner that keeps the margin (image 2) and outputs behind it get no error; silence: T − margin
    close = torch.tensor([[30.0, 20.0, 21.0], [10.0, 13.0, 256.0], [256.0, 256.0, 256.0]])
    symmetric = ttfs_targets(close, torch.tensor([0, 0, 1]), 256, 3.0, "symmetric")
    assert symmetric.tolist() == [[23.5, 26.5, 26.5], [10.0, 13.0, 256.0], [256.0, 253.0, 256.0]]


def test_ties_break_by_potential_and_s4nn_counts_them_right():
    """Image 1: both outputs fire at step 5, the wrong one has the higher potential → wrong, but right by S4NN's
    measure; image 2: the wrong neuron fires first → wrong by both; image 3: none fires, the right one has the
    higher potential at the window's end → right by both."""
    from bioaware.train.ttfs_classifier import decide, summarise

    steps = 10
    hidden = torch.tensor([[1.0], [1.0], [1.0]])
    output = torch.tensor([[5.0, 5.0], [3.0, 7.0], [10.0, 10.0]])
    w_out = torch.tensor([[1.0], [2.0]])
    d = decide(torch.zeros(3, 1), hidden, output, w_out, steps)
    assert d.predicted.tolist() == [1, 0, 1]
    r = summarise(d, torch.tensor([0, 1, 1]), steps)
    assert r["accuracy"] == pytest.approx(1 / 3) and r["accuracy_ties_count"] == pytest.approx(2 / 3)


def test_output_scale_takes_the_most_accurate_in_time_and_else_leaves_the_weights():
    """Hidden neuron 0 fires at step 2 into the wrong output (weight 3), neurons 1–4 at steps 10, 20, 30, 40 into
    the right one (3 each); θ = 10. Scaled by f the wrong output fires at step 3 once 3f ≥ 10 (f ≥ 3.33), the
    right one after 2 of its inputs when 6f ≥ 10, after 3 when 9f ≥ 10, after 4 when 12f ≥ 10, silent below."""
    from bioaware.train.ttfs_classifier import SCALES, output_scale

    hidden = torch.tensor([[2.0, 10.0, 20.0, 30.0, 40.0]] * 2)
    w_out = torch.tensor([[0.0, 3.0, 3.0, 3.0, 3.0], [3.0, 0.0, 0.0, 0.0, 0.0]])
    labels = torch.tensor([0, 0])
    f, r = output_scale(hidden, hidden, w_out, 10.0, labels, 64, deadline=60.0)
    assert f == max(x for x in SCALES.tolist() if 3 * x < 10)  # every f in [0.84, 3.33) is right: the earliest
    assert (r["accuracy"], r["decision_time"], r["no_output_spike"]) == (1.0, 21.0, 0.0)
    f, r = output_scale(hidden, hidden, w_out, 10.0, labels, 64, deadline=2.0)  # no f decides by step 2
    assert f == 1.0 and (r["accuracy"], r["decision_time"]) == (1.0, 41.0)


def test_dead_hidden_neurons_are_redrawn(mnist_data):
    from bioaware.core.config import ModelSection, TrainSection, TTFSSection
    from bioaware.train.ttfs_classifier import S4NNClassifierTask

    task = S4NNClassifierTask(ModelSection(hidden=6), TTFSSection(reset_dead_every=2), TrainSection(optimizer="sgd"))
    with torch.no_grad():
        task.model.weights[0][:3] = 0.0  # neurons 0–2 can never fire
    g = torch.Generator().manual_seed(0)
    x, y = mnist_data.train_x[:8], mnist_data.train_y[:8]
    task.train_batch(x, g, y)
    assert (task.model.weights[0][:3] == 0).all()  # not yet: the check comes every 2 batches
    task.train_batch(x, g, y)
    assert (task.model.weights[0][:3] != 0).any(dim=1).all()  # each dead neuron has fresh input weights
    # and enters silently
    assert (task.model.weights[1][:, :3] == 0).all() and (task.model.weights[1][:, 3:] != 0).any()
    state = task.state_dict()
    assert state["batches"] == 2 and state["seen"] == 0

    # a neuron firing for some images but fewer than `reset_dead_below` of them is re-drawn too; the others are kept
    quiet = S4NNClassifierTask(ModelSection(hidden=6), TTFSSection(reset_dead_every=1, reset_dead_below=0.99),
                               TrainSection(optimizer="sgd", lr=0.0))
    pixel = int(x[0].argmax())
    x = x.clone()
    x[1:, pixel] = 0.0  # only the first image is bright there
    with torch.no_grad():
        quiet.model.weights[0][0] = 0.0
        quiet.model.weights[0][0, pixel] = 200.0  # fires for 1 of the 8 images
        quiet.model.weights[0][1:] = 5.0  # fire for every image
    busy = quiet.model.weights[0][1:].clone()
    quiet.train_batch(x, g, y)
    assert quiet.model.weights[0][0].max() < 5.0  # re-drawn from U[0, 5)
    assert torch.equal(quiet.model.weights[0][1:], busy)


def test_race_loss_gradient_signs():
    """θ = 10, margin 2: the right neuron (0) reaches θ at step 5, a rival (1) peaks at 9 > θ − margin at step 3,
    a third (2) stays at 0. Raising the right one at its crossing lowers the loss, the rival's peak is pushed
    down; when the right neuron never reaches θ, τ is the deadline and the late term pushes it up there."""
    right = torch.arange(0.0, 20.0, 2.0)
    rival = torch.tensor([0.0, 3.0, 6.0, 9.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0])
    v = torch.stack([right, rival, torch.zeros(10)], 1)[None].requires_grad_(True)
    race_loss(v, torch.tensor([0]), 10.0, deadline=8, margin=2.0, temperature=1.0).backward()
    g = v.grad[0]
    assert g[5, 0] < 0 and g[3, 1] > 0 and g[5, 1] > 0 and g[5, 2] > 0
    assert g[6:].abs().sum() == 0 and g[:5, 0].abs().sum() == 0  # nothing after τ = 5; the right one only at τ

    slow = torch.stack([right / 4, rival, torch.zeros(10)], 1)[None].requires_grad_(True)  # reaches 4.5 at most
    race_loss(slow, torch.tensor([0]), 10.0, deadline=8, margin=2.0, temperature=1.0, late_weight=0.0).backward()
    without_late = slow.grad[0, 8, 0].item()
    slow.grad = None
    race_loss(slow, torch.tensor([0]), 10.0, deadline=8, margin=2.0, temperature=1.0).backward()
    assert without_late < 0 and slow.grad[0, 8, 0] < without_late and slow.grad[0, 9].abs().sum() == 0
