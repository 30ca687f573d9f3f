"""The Fully Spiking VAE: its dynamics against closed forms, the latent sampler, a tiny model (with its
same-run ANN VAE) that learns on real images and samples from its prior, tdBN folding, transposed convolutions
as convolutions, and the exported graphs in Brian2."""

import json

import numpy as np
import pytest
import torch

from bioaware.models.functional.fsvae import bernoulli_pick, lif_multiplicative_reset, membrane_readout, psp


@pytest.mark.parametrize("current, first_spikes", [(0.3, [1, 1, 1, 1, 1]), (0.1, [0, 0, 0, 0, 0]),
                                                   (0.17, [0, 1, 0, 1, 0])])
def test_lif_with_multiplicative_reset_follows_its_recursion(current, first_spikes):
    """u[t] = 0.25·u[t−1]·(1 − o[t−1]) + x: 0.3 fires every step; 0.1 settles at 0.133 < 0.2; 0.17 reaches
    0.2125 at the second step, resets to 0 by the multiplication, and repeats."""
    spikes = lif_multiplicative_reset(torch.full((5, 1), current), tau=0.25, v_th=0.2)
    assert spikes[:, 0].tolist() == first_spikes


def test_the_fused_scan_gives_the_step_by_step_spikes_and_gradients():
    """Gradients pass through the multiplicative reset too (∂u[t+1]/∂o[t] = −τ·u[t]), as the step-by-step
    autograd definition has them."""
    from bioaware.models.functional.fsvae import lif_multiplicative_reset_reference

    generator = torch.Generator().manual_seed(0)
    x = (0.3 * torch.randn(8, 40, 30, dtype=torch.float64, generator=generator)).requires_grad_()
    w = torch.randn(8, 40, 30, dtype=torch.float64, generator=generator)
    fused = lif_multiplicative_reset(x, 0.25, 0.2)
    reference = lif_multiplicative_reset_reference(x, 0.25, 0.2)
    assert torch.equal(fused, reference) and 0.05 < float(fused.detach().mean()) < 0.5
    (g_fused,), (g_reference,) = (torch.autograd.grad((o * w).sum(), x) for o in (fused, reference))
    assert torch.allclose(g_fused, g_reference, atol=1e-12) and float((g_fused != 0).float().mean()) > 0.5


@pytest.mark.parametrize("kind", ["conv", "conv held over the window", "linear"])
@pytest.mark.parametrize("training", [True, False])
def test_fused_tdbn_and_lif_equal_batch_norm_then_the_step_by_step_neuron(kind, training):
    """On the CPU a layer's tdBN and LIF neuron run as one pass (numba kernels): the same spikes, gradients
    (through the batch statistics too) and running statistics as torch's BatchNorm2d followed by the step-by-step
    autograd neuron. A convolution of an input held over the window is computed and normalised once. The surrogate's
    centre is set apart from both 0 and the threshold, so that the kernels are seen to take it."""
    import copy

    from bioaware.models.fsvae import FSVAEParameters, SpikingLayer
    from bioaware.models.functional.fsvae import lif_multiplicative_reset_reference

    generator = torch.Generator().manual_seed(0)
    steps, held, p = 6, kind == "conv held over the window", FSVAEParameters(surrogate_centre=0.1)
    if kind == "linear":
        layer = SpikingLayer(torch.nn.Linear(30, 20), 20, p, alpha=2.0)
        x = (torch.rand(steps, 40, 30, generator=generator) < 0.3).double()
    else:
        layer = SpikingLayer(torch.nn.Conv2d(3, 8, 3, 2, 1), 8, p)
        x = (torch.randn(40, 3, 8, 8, generator=generator) if held
             else (torch.rand(steps, 40, 3, 8, 8, generator=generator) < 0.3)).double()
    layer = layer.double()
    with torch.no_grad():  # running statistics of these inputs (momentum None: the first batch's own)
        layer.norm.momentum = None
        layer(x, steps if held else 0)
        layer.norm.momentum = 0.1
    layer.train(training)
    reference_layer = copy.deepcopy(layer)

    def reference(x):
        current = reference_layer.layer(x if held else x.flatten(0, 1))
        current = current.expand(steps, *current.shape) if held else current.reshape(*x.shape[:2], *current.shape[1:])
        return lif_multiplicative_reset_reference(reference_layer.norm(current), 0.25, 0.2, centre=0.1)

    x_fused, x_reference = x.clone().requires_grad_(), x.clone().requires_grad_()
    fused, expected = layer(x_fused, steps if held else 0), reference(x_reference)
    assert torch.equal(fused, expected) and 0.01 < float(fused.detach().mean()) < 0.6
    w = torch.randn(fused.shape, dtype=torch.float64, generator=generator)
    (fused * w).sum().backward()
    (expected * w).sum().backward()
    assert torch.allclose(x_fused.grad, x_reference.grad, atol=1e-12) and float(x_fused.grad.abs().max()) > 0.1
    for ours, theirs in zip(layer.parameters(), reference_layer.parameters()):
        assert torch.allclose(ours.grad, theirs.grad, atol=1e-10)
    for ours, theirs in zip(layer.buffers(), reference_layer.buffers()):
        assert torch.allclose(ours.double(), theirs.double(), atol=1e-14)
    assert int(layer.norm.num_batches_tracked) == 1 + int(training)


def test_tdbn_keeps_alpha_vth_outside_its_learned_scale():
    """As in the authors' tdBN, γ starts at 1 and multiplies α·V_th·x̂: the output is α·V_th times a plain batch
    norm's, and so is the gradient on γ (an optimiser's step on γ is relative to α·V_th); β's is a batch norm's."""
    from bioaware.models.fsvae import TDBatchNorm

    generator = torch.Generator().manual_seed(0)
    norm, plain = TDBatchNorm(6, v_th=0.2, alpha=2.0).double(), torch.nn.BatchNorm2d(6).double()
    x = torch.randn(5, 7, 6, 3, 3, dtype=torch.float64, generator=generator)
    ours, theirs = norm(x), plain(x.flatten(0, 1)).reshape(x.shape)
    assert torch.equal(norm.weight.detach(), torch.ones(6, dtype=torch.float64))
    assert torch.allclose(ours, 0.4 * theirs, atol=1e-14)
    w = torch.randn(x.shape, dtype=torch.float64, generator=generator)
    (ours * w).sum().backward()
    (theirs * w).sum().backward()
    assert torch.allclose(norm.weight.grad, 0.4 * plain.weight.grad, atol=1e-12)
    assert torch.allclose(norm.bias.grad, plain.bias.grad, atol=1e-12)
    assert torch.allclose(norm.running_var, plain.running_var, atol=1e-14)


def test_the_sampler_picks_one_of_k_and_reports_their_mean():
    spikes = (torch.rand(4000, 2 * 5, generator=torch.Generator().manual_seed(0)) < 0.3).float()
    sample, probability = bernoulli_pick(spikes, 5, torch.Generator().manual_seed(1))
    grouped = spikes.reshape(4000, 2, 5)
    assert torch.equal(probability, grouped.mean(2))
    assert ((grouped == sample.unsqueeze(2)).any(2)).all()  # each sample is one of its channel's k spikes
    assert abs(float(sample.mean()) - float(probability.mean())) < 0.02  # a fair pick: same mean


def test_psp_and_readout_are_their_filters():
    impulse = torch.zeros(6, 1)
    impulse[0] = 1.0
    assert psp(impulse, 2.0)[:, 0].tolist() == pytest.approx([0.5 * 0.5 ** t for t in range(6)])
    assert float(membrane_readout(impulse, 0.8)) == pytest.approx(float(torch.tanh(torch.tensor(0.8 ** 5))))


def test_the_decoder_reads_out_the_weighted_sum_as_the_per_step_membrane():
    """The readout is linear: one convolution of the decay-weighted sum of its inputs (bias counted Σ decay^(T−1−t)
    times) gives the membrane of one convolution per step."""
    from bioaware.models.fsvae import FSVAE, FSVAEParameters

    torch.manual_seed(0)
    model = FSVAE((8, 16), FSVAEParameters(steps=5, latent=12, k=3)).double()
    z = (torch.rand(5, 3, 12, dtype=torch.float64) < 0.4).double()
    x = model.from_latent(z)
    x = x.reshape(*x.shape[:2], -1, model.side, model.side)
    for layer in model.decoder:
        x = layer(x)
    per_step = torch.stack([model.readout(x_t) for x_t in x])
    assert torch.allclose(model.decode(z), membrane_readout(per_step, 0.8), atol=1e-12)


def test_a_tiny_fsvae_learns_real_digits_and_samples_from_its_prior(tmp_path, mnist_data):
    from bioaware.data.datasets import ImageData
    from bioaware.families import checked_config
    from bioaware.families.runs import run_training

    cfg = checked_config({"run": {"name": "fsvae"}, "model": {"kind": "fsvae"},
                          "fsvae": {"steps": 4, "latent": 16, "k": 4, "channels": [8, 16], "quality_samples": 200},
                          "train": {"epochs": 3, "batch_size": 50, "optimizer": "adamw", "lr": 3e-3,
                                    "weight_decay": 1e-3}, "baselines": {"ann_vae": True}})
    data = ImageData(mnist_data.train_x[:600], mnist_data.train_y[:600], mnist_data.test_x[:100],
                     mnist_data.test_y[:100], source="test subset")
    both = run_training(cfg, tmp_path / "fsvae", data=data)
    results = both["snn"]
    losses = [row["loss"] for row in map(json.loads, (tmp_path / "fsvae" / "metrics.jsonl").read_text().splitlines())
              if row.get("kind") == "train" and row["phase"] == "snn"]
    assert sum(losses[-5:]) / 5 < 0.6 * sum(losses[:5]) / 5, losses
    blank = float(4 * data.test_x.pow(2).mean())  # an all-background image, on the [−1, 1] scale
    assert results["mse_pm1"] == pytest.approx(4 * results["pixel_mse"]) and results["mse_pm1"] < 0.8 * blank
    assert 0.0 < results["hidden_spiking_fraction"] < 1.0
    assert (tmp_path / "fsvae" / "figures" / "samples_snn.png").is_file()
    assert both["ann_vae"]["mse_pm1"] < 0.8 * blank  # the same-run ANN VAE learns too
    for phase in ("snn", "ann_vae"):  # both judged on the same number of prior samples by the same two networks
        r = both[phase]
        assert r["quality_samples"] == 200 and 0.0 <= r["sample_recognised"] <= 1.0
        assert 0.0 < r["sample_frechet"] < 1e4 and 0.0 < r["sample_frechet_autoencoder"] < 1e4
    assert (tmp_path / "fsvae" / "quality_autoencoder.pt").is_file()
    assert (tmp_path / "fsvae" / "figures" / "samples_ann_vae.png").is_file()
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "bioaware", "sample", str(tmp_path / "fsvae"), "--n", "24"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "fsvae" / "figures" / "samples_24_seed0.png").is_file()


def test_fsvae_settings_are_checked(write_toml):
    from bioaware.core.errors import BioawareError
    from bioaware.families import load_config

    with pytest.raises(BioawareError, match="fsvae.channels must be 1 to 5 positive integers"):
        load_config(write_toml("[model]\nkind = 'fsvae'\n[fsvae]\nchannels = [8, 8, 8, 8, 8, 8]\n"))
    with pytest.raises(BioawareError, match="fsvae.k is a setting of spiking_vae; remove it for model.kind = 'roy_ae'"):
        load_config(write_toml("[fsvae]\nk = 5\n"))


@pytest.mark.parametrize("c_in, c_out, side, kernel, stride, padding, output_padding",
                         [(3, 2, 2, 3, 2, 1, 1), (4, 3, 5, 3, 2, 1, 0), (2, 2, 3, 4, 2, 1, 0), (2, 3, 3, 3, 1, 1, 0)])
def test_a_transposed_convolution_is_a_convolution_over_its_spread_input(c_in, c_out, side, kernel, stride, padding,
                                                                         output_padding):
    from bioaware.core.layers import transposed_as_conv
    from bioaware.interchange.linear_maps import conv_matrix

    layer = torch.nn.ConvTranspose2d(c_in, c_out, kernel, stride, padding, output_padding, bias=False).double()
    x = torch.randn(1, c_in, side, side, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    expected = layer(x)[0].detach().numpy()
    geometry = transposed_as_conv(layer.weight.detach().numpy(), (c_in, side, side), stride, padding, output_padding)
    assert geometry.out_shape == expected.shape
    assert np.abs(conv_matrix(geometry) @ x.reshape(-1).numpy() - expected.reshape(-1)).max() < 1e-12


def test_folding_tdbn_into_weights_and_biases_leaves_outputs_unchanged():
    """With running statistics far from (0, 1) and shifted tdBN biases, the folded layer specs run in discrete
    time give the model's own encoder spikes and decoder image (float64: exactly, up to rounding)."""
    from bioaware.models.discrete_reference import run_layers
    from bioaware.models.fsvae import FSVAE, FSVAEParameters
    from bioaware.models.fsvae_layers import decoder_layers, encoder_layers, mlp_layers

    torch.manual_seed(0)
    model = FSVAE((4, 8), FSVAEParameters(steps=4, latent=8, k=5))
    for norm in (m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)):
        norm.running_mean.uniform_(-0.1, 0.1)
        norm.running_var.uniform_(0.5, 2.0)
        norm.bias.data.uniform_(0.1, 0.3)  # about half the neurons driven above threshold
    model = model.double().eval()
    x = torch.rand(3, 1, 32, 32, dtype=torch.float64) * 2 - 1
    z = (torch.rand(4, 3, 8) < 0.4).double()
    with torch.no_grad():
        x_e, image = model.encode(x), model.decode(z)
    encoded = run_layers(encoder_layers(model), np.broadcast_to(x.reshape(1, 3, -1).numpy(), (4, 3, 1024)))
    assert x_e.sum() > 0 and np.array_equal(encoded["latent"], x_e.numpy())
    decoded = run_layers(decoder_layers(model), z.numpy())["readout"][-1]
    assert np.abs(np.tanh(decoded) - image.reshape(3, -1).numpy()).max() < 1e-12
    with torch.no_grad():
        prior = model.prior(z)
    assert np.array_equal(run_layers(mlp_layers(model.prior), z.numpy())["fc3"], prior.numpy())


def test_the_exported_fsvae_runs_in_brian2_as_trained(tmp_path, monkeypatch):
    """A tiny trained FSVAE → four NIR graphs (folded tdBN, Conv2d with bias, transposed convolutions as spread
    convolutions, LI readout); Brian2 runs encoder and decoder, the host samples z between them: in matched order
    every layer's spikes, z and the images equal the float64 reference; a finer step is reported beside it."""
    import nir

    from bioaware.compare import compare_family_run
    from bioaware.families import checked_config
    from bioaware.families.runs import run_training
    from bioaware.interchange.nir_graph import parse_graph

    monkeypatch.chdir(tmp_path)
    cfg = checked_config({"run": {"name": "fsvae"}, "model": {"kind": "fsvae"},
                          "data": {"dataset": "mnist_5k", "train_limit": 300, "test_limit": 50},
                          "fsvae": {"steps": 4, "latent": 16, "k": 4, "channels": [8, 16], "quality_samples": 0},
                          "train": {"epochs": 2, "batch_size": 50, "optimizer": "adamw", "lr": 3e-3}})
    run_training(cfg, tmp_path / "runs" / "fsvae")
    report = json.loads(compare_family_run("spiking_vae", tmp_path / "runs" / "fsvae", 4, (1.0, 0.5)).with_suffix(
        ".json").read_text())
    matched = report["brian2"][0]
    assert matched["simulation"] == "matched" and matched["z_identical_fraction"] == 1.0
    assert matched["image_rmse_vs_reference"] < 1e-9 and matched["sample_rmse_vs_reference"] < 1e-9
    assert report["trained_model_mse_pm1"] == pytest.approx(report["reference_mse_pm1"], abs=1e-5)
    assert all(r["matched_within_1_step"] == 1.0 and r["spikes_trained"] == r["spikes_brian2"]
               for r in matched["layers"].values())
    assert sum(r["spikes_trained"] for r in matched["layers"].values()) > 0
    assert len(report["brian2"]) == 2 and report["brian2"][1]["dt_ms"] == 0.5
    # the run's judges rate Brian2's reconstructions and samples as the trained model's (same images, float64)
    assert report["frechet_samples"]["classifier"] > 0 and report["frechet_reconstructions"]["autoencoder"] > 0
    for kind in ("reconstructions", "samples"):
        assert all(abs(d) < 1e-3 for d in matched[f"frechet_{kind}_delta"].values()), matched[f"frechet_{kind}_delta"]
    for name in ("encoder", "posterior", "prior", "decoder"):
        graph = nir.read(tmp_path / "export" / "fsvae" / f"{name}.nir")
        assert "one of its k output spikes" in graph.metadata["sampler"]
        parse_graph(graph, name)
    decoder = nir.read(tmp_path / "export" / "fsvae" / "decoder.nir")
    assert set(decoder.metadata["input_dilation"]) == {"up1.weight", "up2.weight"}
    assert isinstance(decoder.nodes["readout"], nir.LI) and isinstance(decoder.nodes["up1.weight"], nir.Conv2d)
    assert (tmp_path / "runs" / "fsvae" / "compare" / "samples.png").is_file()


def test_input_dilation_must_name_a_convolution():
    import nir

    from bioaware.core.errors import BioawareError
    from bioaware.interchange.nir_graph import parse_graph

    graph = nir.NIRGraph(nodes={"input": nir.Input({"input": np.array([2])}), "w": nir.Linear(np.ones((2, 2))),
                                "lif": nir.LIF(np.ones(2), np.ones(2), np.zeros(2), np.ones(2)),
                                "output": nir.Output({"output": np.array([2])})},
                         edges=[("input", "w"), ("w", "lif"), ("lif", "output")], metadata={"input_dilation": {"w": 2}})
    with pytest.raises(BioawareError, match="input_dilation names 'w', which is not a Conv node"):
        parse_graph(graph, "g.nir")


def test_colour_images_train_through_the_same_path(tmp_path):
    """CIFAR-10's path on synthetic 3×32×32 images (no CIFAR-10 copy is available offline): smooth colour gradients
    in [0, 1]; the FSVAE and its ANN VAE learn them, the figures are in colour and samples are not judged."""
    from bioaware.data.datasets import ImageData, cifar10
    from bioaware.core.errors import BioawareError
    from bioaware.families import checked_config
    from bioaware.families.runs import run_training

    generator = torch.Generator().manual_seed(0)
    ramp = torch.linspace(0, 1, 32)

    def images(n):
        colour = torch.rand(n, 3, 1, 1, generator=generator)
        slope = torch.rand(n, 1, 1, 1, generator=generator)
        return (colour * (1 - slope) + slope * ramp.view(1, 1, 1, 32) * ramp.view(1, 1, 32, 1)).reshape(n, -1)

    data = ImageData(images(300), torch.zeros(300, dtype=torch.long), images(50), torch.zeros(50, dtype=torch.long),
                     source="synthetic colour gradients", shape=(3, 32, 32))
    cfg = checked_config({"run": {"name": "colour"}, "model": {"kind": "fsvae"}, "data": {"dataset": "cifar10"},
                          "fsvae": {"steps": 4, "latent": 16, "k": 4, "channels": [8, 16]},
                          "train": {"epochs": 3, "batch_size": 50, "optimizer": "adamw", "lr": 3e-3},
                          "baselines": {"ann_vae": True}})
    results = run_training(cfg, tmp_path / "colour", data=data)
    grey = float(4 * (data.test_x - 0.5).pow(2).mean())  # a mid-grey image's MSE on [−1, 1]
    losses = [row["loss"] for row in map(json.loads, (tmp_path / "colour" / "metrics.jsonl").read_text().splitlines())
              if row.get("kind") == "train" and row["phase"] == "snn"]
    assert sum(losses[-3:]) < 0.8 * sum(losses[:3]), losses
    assert results["snn"]["mse_pm1"] < 0.9 * grey and results["ann_vae"]["mse_pm1"] < 0.9 * grey, (results, grey)
    assert "sample_frechet" not in results["snn"]
    assert (tmp_path / "colour" / "figures" / "samples_snn.png").is_file()
    with pytest.raises(BioawareError, match="no CIFAR-10 in data.root"):
        cifar10(tmp_path / "nothing", download=False)
    with pytest.raises(BioawareError, match="data.dataset = 'cifar10' is not for model.kind = 'roy_ae'"):
        checked_config({"data": {"dataset": "cifar10"}})
