"""TTFS classifier and Spiking-GAN end to end on a few hundred real MNIST images: train → metrics →
NIR export → Brian2 comparison; the shared sample-quality measures; config errors."""

import json

import nir
import numpy as np
import pytest
import torch

from conftest import _train_small

TTFS = {"ttfs": {"steps": 64, "target": "relative", "grad_norm": "l2"}}
SURROGATE = {"ttfs": {"steps": 64, "rule": "surrogate", "surrogate_steps": [5, 32], "init_low": [-17.3, -8.7],
                      "init_high": [17.3, 8.7]},
             "train": {"batch_size": 50, "optimizer": "adam", "lr": 0.1, "weight_decay": 0.0, "epochs": 2}}


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory, mnist_data):
    return _train_small(tmp_path_factory.mktemp("runs") / "ttfs_cls", mnist_data,
                        {"kind": "ttfs_classifier", "hidden": 100},
                        1500, 100, {"ttfs": {"target": "relative", "grad_norm": "l2"},
                                    "train": {"batch_size": 1, "optimizer": "sgd", "lr": 0.2, "checkpoint_every": 500}},
                        shuffle=True)


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory, mnist_data):
    return _train_small(tmp_path_factory.mktemp("runs") / "gan", mnist_data, {"kind": "spiking_gan", "hidden": 30},
                        600, 200, {"ttfs": {**TTFS["ttfs"], "digit": 1, "noise_size": 20},
                                   "train": {"batch_size": 16, "optimizer": "sgd", "lr": 0.05, "select_every": 2},
                                   "baselines": {"ann_gan": True, "adam_lr": 2e-3, "ann_gan_epochs": 2}})


def test_classifier_learns_and_reports_decisions(classifier_run):
    r = json.loads((classifier_run / "results.json").read_text())["results"]["snn"]
    assert r["accuracy"] > 0.3  # chance is 0.1; 1,500 images, one epoch
    assert 0 < r["decision_time"] < 256 and 0 < r["spikes_to_decision"] <= r["spikes"] <= 110
    assert set(r["per_digit"]) == {str(d) for d in range(10)}
    assert (classifier_run / "figures" / "per_digit_snn.png").stat().st_size > 0
    assert (classifier_run / "figures" / "hidden_filters_snn.png").stat().st_size > 0
    assert (classifier_run / "figures" / "latency_accuracy_snn.png").stat().st_size > 0


def test_deadline_makes_decisions_earlier(classifier_run, tmp_path, mnist_data):
    """The same run with the right neuron's target at step ≤ 30: decisions come sooner, on fewer spikes."""
    later = json.loads((classifier_run / "results.json").read_text())["results"]["snn"]
    config = json.loads((classifier_run / "config.json").read_text())
    sooner_run = _train_small(tmp_path / "deadline", mnist_data, config["model"], 1500, 100,
                              {"ttfs": {**config["ttfs"], "deadline": 30.0}, "train": config["train"]}, shuffle=True)
    sooner = json.loads((sooner_run / "results.json").read_text())["results"]["snn"]
    assert sooner["decision_time"] < 0.7 * later["decision_time"]
    assert sooner["spikes_to_decision"] < later["spikes_to_decision"] and sooner["accuracy"] > 0.3


def test_readout_phase_trains_the_output_layer_alone(classifier_run, tmp_path, mnist_data):
    """The same run with a readout phase: its S4NN phase is unchanged; the readout keeps that hidden layer, lowers
    the race loss on the training images, and is the network the run exports."""
    from bioaware.families.export import export_nir
    from bioaware.models.functional.ttfs import membrane_bins, ttfs_encode
    from bioaware.models.ttfs_net import TTFSNetwork
    from bioaware.train.losses import race_loss

    config = json.loads((classifier_run / "config.json").read_text())
    tt = {**config["ttfs"], "readout_epochs": 3, "readout_batch_size": 25}
    run = _train_small(tmp_path / "readout", mnist_data, config["model"], 1500, 100,
                       {"ttfs": tt, "train": config["train"]},
                       shuffle=True)
    results = json.loads((run / "results.json").read_text())["results"]
    assert results["snn"] == json.loads((classifier_run / "results.json").read_text())["results"]["snn"]
    assert 0 < results["readout"]["decision_time"] < 256 and results["readout"]["accuracy"] > 0.3
    s4nn, readout = (torch.load(run / f"{phase}.ckpt", weights_only=False)["task"]["model"]
                     for phase in ("snn", "readout"))
    assert torch.equal(s4nn["weights.0"], readout["weights.0"])
    assert not torch.equal(s4nn["weights.1"], readout["weights.1"])
    figures = {f.name for f in (run / "figures").iterdir()}
    assert {"per_digit_readout.png", "hidden_filters_snn.png"} <= figures
    assert "hidden_filters_readout.png" not in figures

    # as _train_small draws them
    trained_on = torch.randperm(len(mnist_data.train_x), generator=torch.Generator().manual_seed(0))[:1500]
    images, labels = mnist_data.train_x[trained_on], mnist_data.train_y[trained_on]
    net = TTFSNetwork([784, 100, 10], tt["thresholds"], tt["init_high"], tt["steps"])
    net.load_state_dict(s4nn)
    hidden = net(ttfs_encode(images, tt["steps"]))[0]
    loss = {name: race_loss(membrane_bins(hidden, w["weights.1"], tt["steps"]), labels, tt["thresholds"][1],
                            tt["readout_deadline"], tt["readout_margin"]).item()
            for name, w in (("s4nn", s4nn), ("readout", readout))}
    assert loss["readout"] < 0.7 * loss["s4nn"]
    graph = nir.read(export_nir(run, tmp_path) / "model.nir")
    assert np.array_equal(graph.nodes["classes.weight"].weight, readout["weights.1"].double().numpy())


def test_surrogate_rule_trains_the_classifier_it_exports(tmp_path, mnist_data):
    """`ttfs.rule = surrogate`: phase "surrogate" trains both layers; the network is the same single-spike IF
    classifier, exported as trained."""
    from bioaware.families.export import export_nir

    run = _train_small(tmp_path / "surrogate", mnist_data, {"kind": "ttfs_classifier", "hidden": 100}, 1500, 100,
                       SURROGATE, shuffle=True)
    r = json.loads((run / "results.json").read_text())["results"]["surrogate"]
    assert r["accuracy"] > 0.6 and 0 < r["decision_time"] < 64  # chance is 0.1; 1,500 images, two epochs
    assert {"per_digit_surrogate.png", "hidden_filters_surrogate.png"} <= {f.name for f in (run / "figures").iterdir()}
    trained = torch.load(run / "surrogate.ckpt", weights_only=False)["task"]["model"]
    assert (trained["weights.0"] < 0).any()  # mixed-sign hidden weights: the exact forward pass matters
    graph = nir.read(export_nir(run, tmp_path) / "model.nir")
    assert np.array_equal(graph.nodes["hidden.weight"].weight, trained["weights.0"].double().numpy())


def test_held_out_images_choose_the_kept_model_and_its_output_threshold(tmp_path, mnist_data):
    """`ttfs.held_out` + `train.select_every`: the last training images are not trained on; each check picks the
    output scale whose held-out decisions come by `ttfs.select_deadline`, and the saved network is the kept one,
    scaled: its decisions on those images are the logged ones."""
    from bioaware.families.export import load_trained
    from bioaware.train.ttfs_classifier import SCALES, summarise

    run = _train_small(tmp_path / "held", mnist_data, {"kind": "ttfs_classifier", "hidden": 100}, 1500, 100,
                       {"ttfs": {**SURROGATE["ttfs"], "held_out": 300, "select_deadline": 12.0},
                        "train": {**SURROGATE["train"], "select_every": 10}}, shuffle=True)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    checks = [r for r in rows if r["kind"] == "select"]
    kept = next(r for r in rows if r["kind"] == "kept")
    assert [r["step"] for r in checks] == [10, 20, 30, 40, 48]  # 1,200 images trained on, 24 batches an epoch
    assert max(len([r for r in rows if r["kind"] == "train" and r["epoch"] == e]) for e in (0, 1)) == 24
    chosen = next(r for r in checks if r["step"] == kept["step"])
    assert chosen["accuracy_held"] == max(r["accuracy_held"] for r in checks) > 0.6
    assert chosen["output_scale"] in SCALES.tolist() and chosen["decision_time_held"] <= 12.0
    picked = torch.randperm(len(mnist_data.train_x), generator=torch.Generator().manual_seed(0))[:1500][-300:]
    task, _ = load_trained(run)
    again = summarise(task.decisions(mnist_data.train_x[picked]), mnist_data.train_y[picked], 64)
    assert again["accuracy"] == pytest.approx(chosen["accuracy_held"])
    assert again["decision_time"] == pytest.approx(chosen["decision_time_held"])
    assert (run / "figures" / "selection.png").is_file()


def test_classifier_exports_and_agrees_with_brian2(classifier_run, tmp_path):
    from bioaware.compare.ttfs_report import compare_ttfs
    from bioaware.families.export import export_nir

    folder = export_nir(classifier_run, tmp_path)
    graph = nir.read(folder / "model.nir")
    assert isinstance(graph.nodes["hidden"], nir.IF) and graph.nodes["classes"].metadata["single_spike"]
    assert graph.nodes["hidden"].metadata["refractory_period"] > 256 * graph.metadata["dt"]
    report = compare_ttfs(classifier_run, images=12, factors=(1.0, 0.1))
    for rows in report["layers"].values():
        for layer in ("hidden", "classes"):
            assert rows[layer]["same_spiking"] == 1.0 and rows[layer]["same_time"] == 1.0
    assert report["task"]["brian2 sim_dt=1.0"]["accuracy"] == report["task"]["trained"]["accuracy"]
    assert (classifier_run / "compare" / "report.html").is_file()


def test_gan_without_images_of_its_digit_is_refused(mnist_data):
    from bioaware.families import checked_config
    from bioaware.data.datasets import ImageData
    from bioaware.core.errors import BioawareError
    from bioaware.train.gan import SpikingGANTask

    cfg = checked_config({"model": {"kind": "spiking_gan", "hidden": 10}, "ttfs": {**TTFS["ttfs"], "digit": 3}})
    zeros = mnist_data.train_y == 0
    data = ImageData(mnist_data.train_x[zeros][:20], mnist_data.train_y[zeros][:20], mnist_data.test_x[:5],
                     mnist_data.test_y[:5], source="zeros only")
    with pytest.raises(BioawareError, match="zeros only has no training images of digit 3"):
        SpikingGANTask(cfg.model, cfg.ttfs, cfg.train).training_set(data)


def test_gans_train_and_are_judged(gan_run):
    r = json.loads((gan_run / "results.json").read_text())["results"]
    assert set(r) == {"snn", "ann_gan"}
    for phase in r.values():
        assert 0.0 <= phase["recognised"] <= 1.0 and phase["frechet"] >= 0.0 and phase["digit"] == 1
        assert sum(phase["digit_histogram"]) == phase["n_samples"] == 5000
        # pixels; no test image is a training one
        assert phase["nearest_train"] > 0.0 and phase["nearest_train_real"] > 1.0
    assert (gan_run / "quality_classifier.pt").is_file()  # trained once, cached in the run dir
    assert (gan_run / "figures" / "samples_snn.png").is_file()
    assert (gan_run / "figures" / "samples_ann_gan.png").is_file()
    rows = [json.loads(line) for line in (gan_run / "metrics.jsonl").read_text().splitlines()]
    assert any("d_loss" in row and "g_loss" in row for row in rows)
    epochs = {phase: {row["epoch"] for row in rows if row["phase"] == phase and row["kind"] == "train"} for phase in r}
    assert epochs == {"snn": {0}, "ann_gan": {0, 1}}  # the ANN GAN gets its own number of epochs


def test_gans_keep_their_best_checked_model(gan_run, mnist_data):
    from bioaware.data.datasets import ImageData
    from bioaware.families.runs import build_tasks, open_run, restore

    results = json.loads((gan_run / "results.json").read_text())["results"]
    rows = [json.loads(line) for line in (gan_run / "metrics.jsonl").read_text().splitlines()]
    run, cfg, config = open_run(gan_run)
    data = ImageData(mnist_data.train_x[:600], mnist_data.train_y[:600], mnist_data.test_x[:200],
                     mnist_data.test_y[:200], source="test subset")  # the fixture's images
    for task, _ in build_tasks(cfg):
        checks = [r for r in rows if r["phase"] == task.phase and r["kind"] == "select"]
        assert [r["step"] for r in checks][:2] == [2, 4] and len(checks) >= 3  # every 2 batches and at the end
        best = min(checks, key=lambda r: r["score"])
        assert results[task.phase]["kept_batch"] == best["step"]
        again = task.validator(data, run, cfg.run.seed).check(restore(task, run, config), 0)
        assert again["frechet_train"] == pytest.approx(best["frechet_train"])  # the checkpoint is the kept model
    assert not list(gan_run.glob("*.best.ckpt"))
    assert (gan_run / "figures" / "selection.png").stat().st_size > 0


def test_gan_selection_survives_an_interruption(mnist_data, tmp_path):
    from bioaware.families import checked_config
    from bioaware.data.datasets import ImageData
    from bioaware.families.runs import run_training

    cfg = checked_config({"data": {"dataset": "mnist_5k"}, "model": {"kind": "spiking_gan", "hidden": 20},
                            "ttfs": {**TTFS["ttfs"], "digit": 1, "noise_size": 10},
                            "train": {"batch_size": 8, "optimizer": "sgd", "lr": 0.05, "select_every": 2,
                                      "checkpoint_every": 1}})
    train, test = mnist_data.train_y == 1, mnist_data.test_y == 1  # the embedded subset is sorted by digit
    data = ImageData(mnist_data.train_x[train][:48], mnist_data.train_y[train][:48], mnist_data.test_x[test][:50],
                     mnist_data.test_y[test][:50], source="test subset")
    straight = run_training(cfg, tmp_path / "straight", data=data)["snn"]
    assert run_training(cfg, tmp_path / "resumed", data=data, max_batches=3) == {}
    assert (tmp_path / "resumed" / "snn.best.ckpt").is_file()
    resumed = run_training(cfg, tmp_path / "resumed", data=data)["snn"]
    assert resumed == straight


def _tiny_spiking_gan(generator_loss: str = "adversarial", hidden_low: float = 0.0, output_low: float = -3.0,
                      select_every: int = 0, **ttfs):
    """A 100-100-784 Spiking-GAN (T = 64) of digit 1 (`ttfs` overrides): generator output weights
    U[output_low, 0.5 − output_low) (mean 0.25; the default −3 starts mostly dark), early hidden layer (θ 30,
    weights U[hidden_low, 5)), ungated discriminator gradient."""
    from bioaware.families import checked_config
    from bioaware.train.gan import SpikingGANTask

    cfg = checked_config({"model": {"kind": "spiking_gan", "hidden": 100}, "ttfs": {
        "steps": 64, "digit": 1, "thresholds": [30.0, 100.0], "init_low": [hidden_low, output_low],
        "init_high": [5.0, 0.5 - output_low],
        "target": "aggressive", "margin": 0.0, "grad_norm": "l2", "generator_lr": 0.02, "d_causal_input_grad": False,
        "generator_loss": generator_loss, **ttfs},
        "train": {"batch_size": 16, "optimizer": "sgd", "lr": 0.2, "select_every": select_every}})
    torch.manual_seed(0)
    return SpikingGANTask(cfg.model, cfg.ttfs, cfg.train).to("cpu")


def _train_on(task, images: torch.Tensor, batches: int = 150, seed: int = 0) -> torch.Tensor:
    """Train `task` on random batches of 16 `images` (drawn with `seed`); 200 samples afterwards."""
    rng = torch.Generator().manual_seed(seed)
    for _ in range(batches):
        task.train_batch(images[torch.randint(0, len(images), (16,), generator=rng)], rng)
    return task.sample(200, torch.Generator().manual_seed(1))


def _mean_image_corr(samples: torch.Tensor, real: torch.Tensor) -> float:
    """Correlation between the samples' mean image and the real images' mean image."""
    return float(torch.corrcoef(torch.stack([samples.mean(0), real.mean(0)]))[0, 1])


def test_spiking_gan_generator_learns_the_digits_shape(mnist_data):
    """From all-silent outputs to samples whose mean image correlates with the real ones' mean, in 150 batches."""
    task = _tiny_spiking_gan()
    w = task.generator.weights[1]
    assert -3.0 <= w.min() < 0.0 < w.max() < 3.5  # output weights drawn from [init_low, init_high)
    assert task.sample(200, torch.Generator().manual_seed(1)).max() == 0.0  # every generated pixel starts silent
    ones = mnist_data.train_x[mnist_data.train_y == 1]
    samples = _train_on(task, ones)
    assert _mean_image_corr(samples, ones) > 0.6
    assert samples.std(1).mean() > 0.15  # images with strokes, not uniform grey


def test_feature_matching_generator_draws_varied_ones(mnist_data):
    """Matching the discriminator's mean hidden spike times instead of fooling its output: the samples still
    look like the real ones on average, and they differ from each other more than the adversarial ones."""
    ones = mnist_data.train_x[mnist_data.train_y == 1]
    spread = {}
    for loss in ("adversarial", "feature_matching"):
        samples = _train_on(_tiny_spiking_gan(loss), ones)
        assert _mean_image_corr(samples, ones) > 0.6, loss
        spread[loss] = float(samples.std(0).mean())  # per-pixel spread across samples
    assert spread["feature_matching"] > 1.5 * spread["adversarial"], spread


def test_mode_seeking_term_spreads_pairs_and_keeps_the_fooling_loss():
    """The mode-seeking term is 0 for identical halves and pushes each pair's differing pixels apart; in the
    generator's loss its gradient is λ × the fooling gradient's size for every sample, and the value stays the
    fooling loss."""
    from bioaware.train.gan_losses import mode_seeking_loss

    task = _tiny_spiking_gan("feature_matching", mode_seeking=0.5)
    noise = task.noise_times(16, torch.Generator().manual_seed(0))
    fake = torch.tensor([[10.0, 64.0, 30.0]] * 8 + [[20.0, 64.0, 30.0]] * 8, requires_grad=True)
    mode_seeking_loss(fake, noise, 64).backward()
    assert float(mode_seeking_loss(fake[:, 1:].detach(), noise, 64)) == 0.0
    assert (fake.grad[:8, 0] > 0).all() and (fake.grad[8:, 0] < 0).all() and (fake.grad[:, 1:] == 0).all()

    rng = torch.Generator().manual_seed(1)  # any spike times will do for the real and the fake batch
    real = torch.randint(0, 65, (16, 784), generator=rng).float()
    fake = torch.randint(0, 65, (16, 784), generator=rng).float().requires_grad_(True)
    fool = task._fooling_loss(fake, real, None)
    fool_grad = torch.autograd.grad(fool, fake)[0]
    loss = task._generator_loss(fake, real, None, noise)
    assert float(loss.detach()) == pytest.approx(float(fool.detach()))
    (grad,) = torch.autograd.grad(loss, fake)
    added = (grad - fool_grad).norm(dim=1) / fool_grad.norm(dim=1)
    moved = fool_grad.norm(dim=1) > 0
    assert moved.any() and torch.allclose(added[moved], torch.full_like(added[moved], 0.5), rtol=1e-4)


def test_moment_matching_pushes_samples_apart_along_features_that_vary_too_little():
    """`ttfs.generator_loss = "moment_matching"`: 0 when fake and real hidden times share mean and spread; where the
    fake samples spread less than the real ones, a descent step moves them apart along that feature (plain feature
    matching moves them all alike), and a feature on which every sample agrees still gets a finite gradient."""
    from bioaware.train.gan_losses import feature_gap

    real = torch.tensor([[0.0, 5.0], [20.0, 5.0], [0.0, 5.0], [20.0, 5.0]])
    assert float(feature_gap(real, real, 64, spread=True)) == pytest.approx(0.0, abs=1e-9)
    fake = torch.tensor([[10.0, 5.0], [12.0, 5.0], [10.0, 5.0], [12.0, 5.0]], requires_grad=True)  # mean 11, real 10
    for spread in (False, True):
        (grad,) = torch.autograd.grad(feature_gap(fake, real, 64, spread), fake)
        assert torch.isfinite(grad).all() and (grad[:, 1] == 0).all()
        step = fake.detach() - 1000 * grad
        assert step[:, 0].mean() < 11.0  # both move the mean towards the real one
        if spread:
            assert step[:, 0].std() > fake[:, 0].std()
        else:
            assert (grad[:, 0] == grad[0, 0]).all() and grad[0, 0] > 0

    task = _tiny_spiking_gan("moment_matching")
    rng = torch.Generator().manual_seed(1)
    real = torch.randint(0, 65, (16, 784), generator=rng).float()
    fake = torch.randint(0, 65, (16, 784), generator=rng).float().requires_grad_(True)
    (grad,) = torch.autograd.grad(task._fooling_loss(fake, real, None), fake)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_mode_seeking_per_block_follows_each_digits_recognition():
    """`ttfs.mode_seeking_per_block`: the weights start at 0; a check halves the weight of each digit whose samples
    fell under the recognition target and doubles the others' (from at least a quarter of `ttfs.mode_seeking`, up
    to it); a one-digit batch's generator loss then adds that digit's weight × the fooling gradient's size."""
    from bioaware.train.gan import RECOGNISED_ENOUGH
    from bioaware.train.gan_losses import adapt_mode_seeking

    recognised = torch.tensor([0.95, 0.5, 0.9, 0.89, 1.0, 0.0, 0.99, 0.2, 0.92, 0.91])
    weights = torch.tensor([0.0, 0.0, 0.1, 0.5, 0.3, 0.8, 0.5, 0.8, 0.8, 0.2])
    adapted = adapt_mode_seeking(weights, recognised, 0.8, RECOGNISED_ENOUGH)
    assert adapted.tolist() == pytest.approx([0.2, 0.0, 0.2, 0.25, 0.6, 0.4, 0.8, 0.4, 0.8, 0.4])

    task = _tiny_spiking_gan("feature_matching", digit=-1, label_inputs=2, label_partition=True, mode_seeking=1.0,
                             mode_seeking_per_block=True, select_every=100)
    assert task.mode_seeking.tolist() == [0.0] * 10
    task.mode_seeking = torch.tensor([1.0, 1.0, 1.0, 0.25, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    rng = torch.Generator().manual_seed(1)
    real = torch.randint(0, 65, (16, 784), generator=rng).float()
    for digit, weight in ((3, 0.25), (4, 1.0)):
        digits = torch.full((16,), digit)
        noise = task.noise_times(16, rng, digits)
        fake = torch.randint(0, 65, (16, 784), generator=rng).float().requires_grad_(True)
        fool_grad = torch.autograd.grad(task._fooling_loss(fake, real, digits), fake)[0]
        (grad,) = torch.autograd.grad(task._generator_loss(fake, real, digits, noise), fake)
        moved = fool_grad.norm(dim=1) > 0
        added = (grad - fool_grad).norm(dim=1)[moved] / fool_grad.norm(dim=1)[moved]
        assert moved.any() and torch.allclose(added, torch.full_like(added, weight), rtol=1e-4), digit


def test_mode_seeking_generator_draws_more_varied_samples(mnist_data):
    """Feature matching with narrow output weights draws nearly one image whatever the noise; the mode-seeking
    term (λ 2) makes the samples differ more while their mean still looks like the real ones'. Measured over
    three batch orders: spread 1.69–1.92× (the 5k subset and the full MNIST alike), mean-image correlation
    0.72–0.75 vs 0.87–0.90 without (λ 1: 1.10–1.37×)."""
    ones = mnist_data.train_x[mnist_data.train_y == 1]
    spread, corr = {}, {}
    for weight in (0.0, 2.0):
        samples = _train_on(_tiny_spiking_gan("feature_matching", hidden_low=-4.0, mode_seeking=weight), ones)
        spread[weight] = float(samples.std(0).mean())
        corr[weight] = _mean_image_corr(samples, ones)
    assert spread[2.0] > 1.4 * spread[0.0] and min(corr.values()) > 0.6, (spread, corr)


def _isolated_pixels(samples: torch.Tensor) -> float:
    """Fraction of lit pixels none of whose four neighbours is lit (speckle; real digits: ~0)."""
    lit = (samples.view(-1, 1, 28, 28) > 0).float()
    cross = torch.tensor([[[[0.0, 1, 0], [1, 0, 1], [0, 1, 0]]]])
    alone = (lit > 0) & (torch.nn.functional.conv2d(lit, cross, padding=1) == 0)
    return float(alone.sum() / lit.sum().clamp_min(1))


@pytest.mark.slow
def test_signed_generator_hidden_weights_remove_speckle(mnist_data):
    """With all-positive hidden weights every generator hidden neuron fires whatever the noise, so pixels near
    threshold flicker; signed ones (U[-4, 5), the config's) let the noise decide which fire, and the feature-
    matching samples have fewer isolated pixels and a mean closer to the real ones'. Pooled over three batch
    orders: one order alone varies the ratio from 0.24 to 0.64 (full MNIST pooled 0.45, the 5k subset 0.30)."""
    ones = mnist_data.train_x[mnist_data.train_y == 1]
    isolated, corr = {}, {}
    for low in (0.0, -4.0):
        task = _tiny_spiking_gan("feature_matching", hidden_low=low)
        with torch.no_grad():
            hidden = task.generator(task.noise_times(200, torch.Generator().manual_seed(5)))[0]
        fires_for_some_noise = ((hidden < 64).float().mean(0) % 1.0 > 0).sum()
        assert (fires_for_some_noise > 10) if low < 0 else (fires_for_some_noise == 0), low
        runs = [_train_on(_tiny_spiking_gan("feature_matching", hidden_low=low), ones, seed=seed) for seed in range(3)]
        isolated[low] = sum(_isolated_pixels(samples) for samples in runs) / 3
        corr[low] = min(_mean_image_corr(samples, ones) for samples in runs)
    assert _isolated_pixels(ones[:200]) < 0.01
    assert isolated[-4.0] < 0.6 * isolated[0.0] and corr[-4.0] > max(corr[0.0], 0.8), (isolated, corr)


def test_wider_generator_output_init_gives_more_varied_samples(mnist_data):
    """Feature matching gives every fake sample the same gradient, so the variety between samples is mostly
    what the initial weights give: drawing the output weights from a wider range (same mean 0.25) makes the
    trained samples differ more from each other while their mean still looks like the real ones'."""
    ones = mnist_data.train_x[mnist_data.train_y == 1]
    spread, corr = {}, {}
    for low in (-3.0, -16.0):
        samples = _train_on(_tiny_spiking_gan("feature_matching", hidden_low=-4.0, output_low=low), ones)
        spread[low] = float(samples.std(0).mean())
        corr[low] = _mean_image_corr(samples, ones)
    assert spread[-16.0] > 1.5 * spread[-3.0] and min(corr.values()) > 0.8, (spread, corr)


def test_conditional_gan_draws_the_digit_asked_for(mnist_data):
    """All digits in one Spiking-GAN: generator and discriminator are told the digit by label inputs (each digit's
    drive a quarter of the generator's hidden neurons at once), batches hold one digit, and feature matching is
    done within the digit. Trained on zeros and ones, it draws zeros when asked for zeros and ones for ones."""
    task = _tiny_spiking_gan("feature_matching", hidden_low=-4.0, digit=-1, label_inputs=4, label_gate=0.25)
    assert task.supervised and task.one_label_batches
    label = task.generator.weights[0][:, 100:].view(100, 10, 4)
    assert ((label > 0).all(2).sum(0) == 25).all() and (label[label <= 0] == 0).all()
    assert float(label.sum(2).max()) == pytest.approx(1.5 * 30.0)  # a driven neuron fires at once (θ 30)
    real = {d: mnist_data.train_x[mnist_data.train_y == d] for d in (0, 1)}
    rng = torch.Generator().manual_seed(0)
    for k in range(300):
        d = k % 2
        task.train_batch(real[d][torch.randint(0, len(real[d]), (16,), generator=rng)], rng, torch.full((16,), d))
    samples = task.sample(200, torch.Generator().manual_seed(1))
    asked = task.intended(200)
    corr = {(a, d): _mean_image_corr(samples[asked == a], real[d]) for a in (0, 1) for d in (0, 1)}
    assert corr[0, 0] > corr[0, 1] + 0.1 and corr[1, 1] > corr[1, 0] + 0.1, corr


def test_label_partition_gives_each_digit_its_own_hidden_block(mnist_data):
    """With `ttfs.label_partition` each digit's label inputs silence every hidden block of both networks but the
    digit's own, those silencing weights get no gradient, and a training step on one digit leaves the other
    blocks' weights as they were: ten per-digit sub-networks in one generator and one discriminator."""
    task = _tiny_spiking_gan("feature_matching", hidden_low=-4.0, digit=-1, label_inputs=2, label_partition=True,
                             d_causal_input_grad=False)
    from bioaware.models.functional.ttfs import ttfs_encode

    block = torch.arange(100) // 10
    for net, first in ((task.generator, 100), (task.discriminator, 784)):
        label = net.weights[0][:, first:].view(100, 10, 2)
        silences = block[:, None] != torch.arange(10)
        assert (label[silences] < 0).all() and (label[~silences] == 0).all()
    rng = torch.Generator().manual_seed(0)
    threes = mnist_data.train_x[mnist_data.train_y == 3][:16]
    digits = torch.full((16,), 3)
    with torch.no_grad():
        g_hidden = task.generator(task.noise_times(16, rng, digits))[0]
        d_hidden = task.discriminator(task.with_labels(ttfs_encode(threes, 64), digits))[0]
    for hidden in (g_hidden, d_hidden):
        assert (hidden[:, block != 3] == 64).all() and (hidden[:, block == 3] < 64).any()
    before = [w.detach().clone() for w in (*task.generator.weights, *task.discriminator.weights)]
    task.train_batch(threes, rng, digits)
    after = [w.detach() for w in (*task.generator.weights, *task.discriminator.weights)]
    others = block != 3
    for k, (w0, w1) in enumerate(zip(before, after)):
        rows_or_columns = (w1 - w0).abs()[others] if k % 2 == 0 else (w1 - w0).abs()[:, others]
        assert rows_or_columns.max() < 1e-3 * w0.abs().max(), k  # weight decay only
        assert (w1 - w0).abs().max() > 1e-2, k  # block 3 did learn


def test_partitioned_gan_runs_one_block_as_the_whole_network_would(mnist_data):
    """A one-digit batch runs only its digit's hidden block: the same samples as the whole generator, and a
    training step that changes every weight as the whole-network step does (the other blocks are silent)."""
    def tiny():
        return _tiny_spiking_gan("feature_matching", hidden_low=-4.0, digit=-1, label_inputs=2, label_partition=True,
                                 d_causal_input_grad=False)

    sliced, whole = tiny(), tiny()
    whole.block_of = lambda digits: None  # every hidden neuron, silenced ones included
    assert whole.block_of(torch.full((4,), 3)) is None and int(sliced.block_of(torch.full((4,), 3)).sum()) == 10
    assert sliced.block_of(torch.tensor([3, 4])) is None  # a mixed batch runs the whole network
    assert torch.equal(sliced.sample(40, torch.Generator().manual_seed(1)),
                       whole.sample(40, torch.Generator().manual_seed(1)))
    threes = mnist_data.train_x[mnist_data.train_y == 3][:16]
    for task in (sliced, whole):
        task.train_batch(threes, torch.Generator().manual_seed(0), torch.full((16,), 3))
    for a, b in zip(sliced.model.parameters(), whole.model.parameters()):
        assert torch.allclose(a, b, atol=1e-5)
    assert sliced.silenced_spikes(mnist_data, 0, n=60) == {"g_silenced_spikes": 0.0, "d_silenced_spikes": 0.0}


def test_block_output_init_gives_each_digit_its_own_range():
    """`ttfs.block_output_init`: each digit block's generator output weights start in the digit's own range."""
    ranges = [[-32.0, 32.5]] * 10
    ranges[1] = [-3.0, 3.5]
    task = _tiny_spiking_gan("feature_matching", digit=-1, label_inputs=2, label_partition=True,
                             block_output_init=ranges)
    w = task.generator.weights[1].detach()
    block = torch.arange(100) // 10
    assert w[:, block == 1].min() >= -3.0 and w[:, block == 1].max() < 3.5
    assert w[:, block == 0].min() < -20.0 and w[:, block == 0].max() > 20.0


def test_exemplar_init_starts_each_block_from_its_digits_images(mnist_data):
    """`ttfs.exemplar_init`: every generator output column is scale·x + offset for a training image x of the
    column's block's digit, and no two columns of a block share an image."""
    keep = torch.cat([(mnist_data.train_y == d).nonzero().squeeze(1)[:60] for d in range(10)])
    images, labels = mnist_data.train_x[keep], mnist_data.train_y[keep]
    task = _tiny_spiking_gan("feature_matching", digit=-1, label_inputs=2, label_partition=True,
                             exemplar_init=[80.0, -25.0])
    task.init_from_data(images, labels, seed=0)
    pictures = ((task.generator.weights[1].detach().T + 25.0) / 80.0).cpu()  # [100, 784], back in pixel units
    flat = images.reshape(len(images), -1)
    for column, picture in enumerate(pictures):
        nearest = (flat - picture).abs().amax(1).argmin()
        assert (flat[nearest] - picture).abs().max() < 1e-4
        assert labels[nearest] == column // 10
    assert len({tuple(p.round(decimals=3).tolist()) for p in pictures}) == 100
    from bioaware.core.errors import BioawareError
    with pytest.raises(BioawareError, match="ttfs.exemplar_init needs 10 training images of digit"):
        task.init_from_data(images[::20], labels[::20], seed=0)  # 3 of each digit


def test_best_blocks_are_kept_per_digit_and_assembled():
    """Partitioned model selection: a digit's block is kept when its score beats that digit's best (lists compared
    in order), the summed score is what the loop compares, and assembling writes back exactly the kept blocks."""
    from bioaware.train.block_selection import BestBlocks

    hidden = torch.rand(20, 7), torch.rand(5, 20)  # a hidden layer's input weights (rows) and output weights (columns)
    blocks = BestBlocks(20)  # blocks of 2 neurons
    assert blocks.offer(3, [1, 50.0], 100, list(hidden)) and blocks.offer(4, [0, 80.0], 100, list(hidden))
    kept = [w.clone() for w in hidden]
    assert not blocks.offer(3, [1, 60.0], 200, [w + 1 for w in hidden])  # worse: digit 3 keeps batch 100's block
    assert blocks.offer(4, [0, 70.0], 200, [w + 1 for w in hidden])
    assert blocks.score() == [1, 120.0, -200] and blocks.steps() == {"3": 100, "4": 200}
    w = [torch.zeros(20, 7), torch.zeros(5, 20)]
    blocks.assemble(w)
    assert torch.equal(w[0][6:8], kept[0][6:8]) and torch.equal(w[1][:, 6:8], kept[1][:, 6:8])
    assert torch.equal(w[0][8:10], kept[0][8:10] + 1) and torch.equal(w[1][:, 8:10], kept[1][:, 8:10] + 1)
    assert (w[0][:6] == 0).all() and (w[0][10:] == 0).all() and (w[1][:, :6] == 0).all()
    again = BestBlocks(20)
    again.load_state_dict(blocks.state_dict())
    assert again.score() == blocks.score()


def test_gan_generator_and_discriminator_run_in_brian2(gan_run):
    from bioaware.compare.ttfs_report import compare_ttfs

    report = compare_ttfs(gan_run, images=8, factors=(1.0,))
    for layer, row in report["layers"]["1.0"].items():
        assert row["same_spiking"] == 1.0, layer
    assert report["task"]["brian2 sim_dt=1.0"]["frechet"] == pytest.approx(report["task"]["trained"]["frechet"])
    assert report["discriminator_on_real"]["brian2 sim_dt=1.0"] == report["discriminator_on_real"]["trained"]


def test_conditional_gans_train_are_judged_per_digit_and_run_in_brian2(tmp_path, mnist_data):
    """A class-conditional run end to end: both GANs train on batches of one digit, each sample is judged against
    the digit it was asked for, the discriminator's silent hidden neurons are re-drawn, and the exported
    generator and discriminator, label inputs included, spike in Brian2 exactly as trained."""
    from bioaware.compare.ttfs_report import compare_ttfs

    run = _train_small(tmp_path / "cgan", mnist_data, {"kind": "spiking_gan", "hidden": 30}, 320, 200,
                       {"ttfs": {**TTFS["ttfs"], "digit": -1, "noise_size": 20, "label_inputs": 2, "label_gate": 0.25,
                                 "reset_dead_every": 5, "reset_dead_below": 0.05},
                        "train": {"batch_size": 16, "optimizer": "sgd", "lr": 0.05},
                        "baselines": {"ann_gan": True, "adam_lr": 2e-3}}, shuffle=True)
    results = json.loads((run / "results.json").read_text())["results"]
    for phase in ("snn", "ann_gan"):
        assert 0.0 <= results[phase]["recognised"] <= 1.0 and results[phase]["frechet"] > 0, phase
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any(r.get("kind") == "train" and r["phase"] == "snn" for r in rows)
    report = compare_ttfs(run, images=8, factors=(1.0,))
    for layer, row in report["layers"]["1.0"].items():
        assert row["same_spiking"] == 1.0, layer
    assert report["task"]["brian2 sim_dt=1.0"]["frechet"] == pytest.approx(report["task"]["trained"]["frechet"])


def test_nearest_distance_finds_copies_of_the_training_set(mnist_data):
    """A sample copied from the training set is at distance 0 from it; a real test image is not; the distance is
    Euclidean in pixels."""
    from bioaware.evaluation.sample_quality import nearest_distance

    train, test = mnist_data.train_x[:300], mnist_data.test_x[:20]
    assert nearest_distance(train[100:120], train).abs().max() < 0.05  # cdist by matrix products: ~1e-2 rounding
    assert nearest_distance(test, train).min() > 1.0
    expected = float((test[0] - train[0]).norm())
    assert float(nearest_distance(test[:1], train[:1], chunk=1)) == pytest.approx(expected, rel=1e-4)


def test_sample_quality_measures(mnist_data):
    from bioaware.evaluation.digit_classifier import train_digit_classifier
    from bioaware.evaluation.sample_quality import frechet_distance, sample_quality

    judge = train_digit_classifier(mnist_data.train_x[:4000], mnist_data.train_y[:4000], epochs=3)
    real = mnist_data.test_x[:400]
    same = sample_quality(judge, real, real)
    assert same["frechet"] == pytest.approx(0.0, abs=1e-3) and same["variety"] == pytest.approx(1.0)
    one_image = sample_quality(judge, real[:1].repeat(400, 1), real)  # a generator that ignores its noise
    assert one_image["variety"] < 1e-6
    assert one_image["frechet_covariance_term"] == pytest.approx(same["frechet_covariance_term"] + one_image["frechet"]
                                                                 - one_image["frechet_mean_term"])
    noise = sample_quality(judge, torch.rand(400, 784), real)
    assert noise["frechet"] > 10 * max(same["frechet"], 1.0)
    sevens = mnist_data.test_x[mnist_data.test_y == 7][:100]
    as_seven, as_three = (sample_quality(judge, sevens, real, digit=d)["recognised"] for d in (7, 3))
    assert as_seven > 0.5 and as_three < 0.05
    per_sample = torch.tensor([7] * 50 + [3] * 50)  # a conditional generator's intended digits, one per sample
    assert sample_quality(judge, sevens, real, digit=per_sample)["recognised"] == pytest.approx(
        (sample_quality(judge, sevens[:50], real, digit=7)["recognised"] * 50
         + sample_quality(judge, sevens[50:], real, digit=3)["recognised"] * 50) / 100)
    rng = torch.Generator().manual_seed(0)
    a, b = torch.randn(500, 4, generator=rng).double().numpy(), torch.randn(500, 4, generator=rng).double().numpy()
    assert frechet_distance(a, b + 3.0) == pytest.approx(frechet_distance(a, b) + 4 * 9.0, rel=0.05)


@pytest.mark.parametrize("body, message", [
    ('[model]\nkind = "ttfs_classifier"\n[ttfs]\nthresholds = [100.0]', "ttfs.thresholds must be two positive numbers"),
    ('[model]\nkind = "spiking_gan"\n[ttfs]\ndigit = 12', "ttfs.digit must be a digit"),
    ('[model]\nkind = "spiking_gan"\n[ttfs]\ndigit = 3\nlabel_inputs = 10', "make a spiking_gan with ttfs.digit = -1"),
    ('[model]\nkind = "spiking_gan"\n[ttfs]\ndigit = -1\nlabel_gate = 0.5', "make a spiking_gan with ttfs.digit = -1"),
    ('[model]\nkind = "spiking_gan"\n[ttfs]\ndigit = -1\nlabel_partition = true',
     "make a spiking_gan with ttfs.digit = -1"),
    ('[model]\nkind = "spiking_gan"\n[ttfs]\ndigit = -1\nlabel_inputs = 2\nlabel_partition = true\nlabel_gate = 0.25',
     "replaces ttfs.label_gate"),
    ('[model]\nkind = "spiking_gan"\n[ttfs]\ndigit = -1\nlabel_inputs = 2\nlabel_partition = true\n'
     'block_output_init = [[-3.0, 3.5]]',
     "ttfs.block_output_init needs ttfs.label_partition and ten"),
    ('[model]\nkind = "ttfs_classifier"\n[ttfs]\ntarget = "relative"\ndeadline = 300', "ttfs.deadline works with"),
    ('[model]\nkind = "spiking_gan"\n[ttfs]\ntarget = "relative"\ndeadline = 50',
     "ttfs.deadline is a setting of ttfs_classifier"),
    ('[model]\nkind = "spiking_gan"\n[ttfs]\ninit_low = [0.0, 2.0]\ninit_high = [5.0, 1.0]',
     "ttfs.init_low must be two numbers below"),
    ('[model]\nkind = "ttfs_classifier"\n[ttfs]\ngrad_norm = "l3"', "ttfs.grad_norm"),
    ('[model]\nkind = "spiking_gan"\n[ttfs]\nreadout_epochs = 2',
     "ttfs.readout_epochs is a setting of ttfs_classifier; remove it for model.kind = 'spiking_gan'"),
    ('[model]\nkind = "ttfs_classifier"\n[ttfs]\nreadout_epochs = 2\nreadout_deadline = 256',
     "0 < ttfs.readout_deadline < ttfs.steps"),
    ('[model]\nkind = "ttfs_classifier"\n[ttfs]\nreadout_epochs = -1', "ttfs.readout_epochs must be ≥ 0"),
    ('[model]\nkind = "ttfs_classifier"\n[ttfs]\nheld_out = 5000',
     "classifier.s ttfs.held_out .images, ≥ 0. and train.select_every go"),
    ('[model]\nkind = "ttfs_classifier"\n[ttfs]\nheld_out = 5000\nselect_deadline = 300\n[train]\nselect_every = 100',
     "0 < ttfs.select_deadline ≤ ttfs.steps"),
    ('[model]\nkind = "roy_ae"\n[train]\nselect_every = 100',
     "train.select_every is a setting of ttfs_classifier, spiking_gan"),
    ('[model]\nkind = "ttfs_classifier"\n[ttfs]\nrule = "stdp"', "ttfs.rule is 's4nn' or 'surrogate'"),
    ('[model]\nkind = "ttfs_classifier"\n[ttfs]\nrule = "surrogate"\nsurrogate_steps = [10, 300]',
     "ttfs.rule is 's4nn' or 'surrogate'"),
    ('[model]\nkind = "spiking_gan"\n[ttfs]\nmode_seeking = -1.0', "ttfs.mode_seeking weighs"),
    ('[model]\nkind = "ttfs_classifier"\n[ttfs]\nmode_seeking = 0.5', "ttfs.mode_seeking is a setting of spiking_gan"),
    ('[model]\nkind = "spiking_gan"\n[ttfs]\nexemplar_init = [0.0, -25.0]', "ttfs.exemplar_init is a spiking_gan's"),
    ('[model]\nkind = "ttfs_classifier"\n[ttfs]\nexemplar_init = [80.0, -25.0]',
     "ttfs.exemplar_init is a setting of spiking_gan"),
    ('[model]\nkind = "spiking_gan"\n[ttfs]\nmode_seeking = 0.5\nmode_seeking_per_block = true\n'
     '[train]\nselect_every = 250',
     "ttfs.mode_seeking_per_block adapts"),
    ('[model]\nkind = "ttfs_classifier"\n[ttfs]\nreset_dead_below = 2.0', "ttfs.reset_dead_below must be a fraction"),
    ('[model]\nkind = "roy_ae"\n[baselines]\nann_gan = true', "baselines.ann_gan"),
    ('[model]\nkind = "spiking_gan"\n[baselines]\nann_gan = true\nann_gan_epochs = -1',
     "baselines.ann_gan_epochs must be"),
    ('[model]\nkind = "ttfs_classifier"\n[train]\nselect_every = 100',
     "classifier.s ttfs.held_out .images, ≥ 0. and train.select_every go"),
    ('[model]\nkind = "spiking_gan"\n[ttfs]\nblock_candidates = 3', "ttfs.block_candidates must be"),
    ('[model]\nkind = "spiking_gan"\n[ttfs]\nblock_candidates = 0', "ttfs.block_candidates must be"),
])
def test_ttfs_config_errors(write_toml, body, message):
    from bioaware.families import load_config
    from bioaware.core.errors import BioawareError

    with pytest.raises(BioawareError, match=message):
        load_config(write_toml(body))


def test_sweep_table_shows_classifier_accuracy_and_gan_quality(classifier_run, gan_run):
    from bioaware.families.sweep import results_table

    accuracy = json.loads((classifier_run / "results.json").read_text())["results"]["snn"]["accuracy"]
    gan = json.loads((gan_run / "results.json").read_text())["results"]["snn"]
    table = results_table([classifier_run, gan_run])
    assert f"| {classifier_run.name} | {accuracy:.4f} |" in table
    assert f"{gan['recognised']:.3f} recognised, FD {gan['frechet']:.1f}" in table


def test_block_candidates_are_ranked_and_the_end_picks_by_a_fresh_score(gan_run, mnist_data):
    """`ttfs.block_candidates`: each digit keeps its k best checked blocks, best first; when training ends each is
    scored again on more samples against other training images, and the best by that fresh score is assembled."""
    from types import SimpleNamespace

    from bioaware.train.block_selection import BestBlocks

    hidden = torch.rand(20, 7), torch.rand(5, 20)
    blocks = BestBlocks(20, candidates=2)
    assert blocks.offer(3, [0, 50.0], 100, list(hidden))
    assert not blocks.offer(3, [0, 60.0], 200, [w + 1 for w in hidden])  # kept second
    assert not blocks.offer(3, [0, 70.0], 300, [w + 2 for w in hidden])  # third of two: dropped
    assert [e["step"] for e in blocks.ranked(3)] == [100, 200] and blocks.score() == [0, 50.0, -200]
    blocks.pick(3, 1)
    assert blocks.steps() == {"3": 200}

    task = _tiny_spiking_gan("feature_matching", hidden_low=-4.0, digit=-1, label_inputs=2, label_partition=True,
                             block_candidates=2, select_every=100)
    dark = [w.detach().clone() for w in task._block_weights()]
    dark[1] -= 100.0  # generator output weights far below threshold: no pixel ever fires (blank samples)
    bright = [w.clone() for w in dark]
    bright[1] += 200.0  # … far above it: every pixel fires at the first hidden spike (white samples)
    task.blocks.offer(1, [0, 1.0], 100, dark)
    task.blocks.offer(1, [0, 2.0], 200, bright)
    task.validator(mnist_data, SimpleNamespace(path=gan_run), seed=0).finish(task)
    task.keep_selected()
    best, other = task.blocks.ranked(1)
    assert best["rescore"] < other["rescore"] and best["rescore"][1] != pytest.approx(other["rescore"][1])
    kept = dark if best["step"] == 100 else bright
    block = task.blocks.block == 1
    assert torch.equal(task.generator.weights[1][:, block], kept[1][:, block])
    assert torch.equal(task.generator.weights[0][block], kept[0][block])
