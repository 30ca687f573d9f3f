"""The temporal-coding autoencoder end to end: train → export → Brian2 compare → analyse, plus sweep and config."""

import json

import pytest

from conftest import _train_small


@pytest.fixture(scope="module")
def comsa_run(tmp_path_factory, mnist_data):
    """784-16-784 alpha autoencoder (4 pulses per layer) and its inverted-image ANN, one epoch (63 batches) on 1000
    real images."""

    directory = tmp_path_factory.mktemp("runs") / "comsa"
    return _train_small(directory, mnist_data, {"kind": "comsa_ae", "hidden": 16}, 1000, 100,
                        extra={"temporal": {"pulses": 4}, "baselines": {"ann_adam_inverted": True},
                               "train": {"batch_size": 16, "lr": 3e-3}})


def test_training_reconstructs_better_than_a_blank_image(comsa_run, mnist_data):
    results = json.loads((comsa_run / "results.json").read_text())["results"]
    blank = float((mnist_data.test_x[:100] ** 2).mean())  # MSE of an all-black reconstruction
    assert set(results) == {"snn", "ann_adam_inverted"}
    assert results["snn"]["pixel_mse"] < 0.9 * blank
    assert 0 < results["snn"]["hidden_spiking_fraction"] <= 1
    assert (comsa_run / "figures" / "reconstruction_snn.png").is_file()


def test_export_then_brian2_agrees_with_the_closed_form(comsa_run, tmp_path):
    import nir

    from bioaware.compare.temporal_report import compare_temporal
    from bioaware.families.export import export_nir
    from bioaware.interchange.temporal_nir import temporal_from_nir
    from bioaware.families.runs import open_run

    path = export_nir(comsa_run, tmp_path)
    layers, unit = temporal_from_nir(nir.read(path))
    assert [layer.weight.shape for layer in layers] == [(16, 784), (784, 16)] and unit == 1e-3
    assert open_run(comsa_run)[1].model.kind == "comsa_ae"
    report = compare_temporal(comsa_run, images=6, steps=(0.01,))
    row = report["brian2"][0]
    for layer in ("hidden", "reconstruction"):
        assert row[layer]["same_spiking"] > 0.97
        assert row[layer]["mean_abs_dt"] < 0.02  # rounding of inputs to the step plus one step of detection
    assert abs(row["pixel_mse"] - report["trained_pixel_mse"]) < 0.01
    assert (comsa_run / "compare" / "spike_times.png").is_file()


def test_analyse_writes_embedding_accuracy_and_figures(comsa_run):
    from bioaware.compare.embedding import analyse_run

    result = analyse_run(comsa_run, n_train=200, n_test=100)
    assert 0.2 < result["svm_hidden_times"] <= 1 and 0.2 < result["svm_pixels"] <= 1  # well above chance (0.1)
    for name in ("tsne.png", "interpolation.png", "spike_times_hist.png", "weights_hist.png", "analysis.json"):
        assert (comsa_run / "analysis" / name).is_file()


def test_sweep_names_and_runs_every_point(tmp_path, write_toml):
    from bioaware.families.sweep import point_name, results_table, sweep

    assert point_name("comsa", {"model.hidden": "8", "train.noise": "0.2"}) == "comsa_hidden8_noise0p2"
    config = write_toml('[data]\ndataset = "mnist_5k"\ntrain_limit = 64\ntest_limit = 32\n'
                        '[model]\nkind = "comsa_ae"\nhidden = 4\n[temporal]\npulses = 2\n[train]\nbatch_size = 32\n')
    runs = sweep(config, ["model.hidden=4,6"], jobs=2, out_root=tmp_path / "runs")
    assert [r.name for r in runs] == ["cfg_hidden4", "cfg_hidden6"]
    table = results_table(runs)
    assert "| cfg_hidden6 |" in table and table.count("\n") == 3


@pytest.mark.parametrize("text,message", [
    ('[model]\nkind = "comsa_ae"\n[train]\nupdate = "per_step"', "bptt"),
    ('[train]\nnoise = -0.1', "train.noise"),
    ('[temporal]\nlatency = 5.0\nno_spike_time = 5.5', "no_spike_time"),
    ('[model]\nkind = "roy_ae"\n[train]\ndevice = "cuda"', "cuda"),
])
def test_temporal_config_errors_name_the_key(write_toml, text, message):
    from bioaware.families import load_config
    from bioaware.core.errors import BioawareError

    with pytest.raises(BioawareError, match=message):
        load_config(write_toml(text))


def test_latency_code_round_trip():
    import torch

    from bioaware.data.encoders import latency_decode, latency_encode

    x = torch.tensor([[0.0, 0.25, 0.5, 1.0]])
    for invert in (True, False):
        t = latency_encode(x, invert)
        assert (t == 1000.0).sum() == 1  # the value-1 pixel of the coded image does not spike
        assert torch.allclose(latency_decode(t + 2.0, 2.0, invert), x)


def test_output_pulses_start_over_their_span(write_toml):
    from bioaware.families import load_config
    from bioaware.core.errors import BioawareError
    from bioaware.models.comsa_ae import ComsaAutoencoder

    model = ComsaAutoencoder(784, 8, pulses=5, output_pulse_span=17.0)
    assert model.encoder.pulse_times.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert model.decoder.pulse_times.tolist() == pytest.approx([0.0, 4.25, 8.5, 12.75, 17.0])
    with pytest.raises(BioawareError, match="temporal.output_pulse_span"):
        load_config(write_toml('[model]\nkind = "comsa_ae"\n[temporal]\noutput_pulse_span = -1.0\n'))
