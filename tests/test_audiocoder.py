"""Audio → image: the FSDD-layout loader on generated clips, spectrogram features, splits and pairings, the frozen
autoencoder's hidden code, a tiny audiocoder that learns, its exported audio-to-image graph in Brian2, and
`bioaware speak2digit`."""

from pathlib import Path

import numpy as np
import pytest
import torch

from bioaware.core.errors import BioawareError
from bioaware.data.spoken_digits import read_recordings, write_tone_digits

REPO = Path(__file__).resolve().parents[1]
AUTOENCODER = REPO / "export" / "roy_ae_mnist_best" / "model.nir"


@pytest.fixture(scope="module")
def tone_root(tmp_path_factory):
    return write_tone_digits(tmp_path_factory.mktemp("tones"), clips_per_digit=2, seed=3)


def test_the_loader_reads_fsdd_layout_and_refuses_a_folder_without_clips(tone_root, tmp_path):
    clips = read_recordings(tone_root)
    assert len(clips) == 10 * 4 * 2  # digits × generated speakers × clips
    assert sorted({c.digit for c in clips}) == list(range(10))
    assert {c.speaker for c in clips} == {"alto", "bass", "tenor", "soprano"}
    assert all(c.waveform.dtype == np.float32 and 0.1 < np.abs(c.waveform).max() <= 1.0 for c in clips)
    first = next(c for c in clips if c.path.name == "3_bass_1.wav")
    assert (first.digit, first.speaker) == (3, "bass")
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings" / "notes.txt").write_text("no clips")
    with pytest.raises(BioawareError, match="no .*wav recordings.*free-spoken-digit-dataset"):
        read_recordings(tmp_path)
    with pytest.raises(BioawareError, match="does not exist"):
        read_recordings(tmp_path / "missing")


def test_spectrograms_have_the_configured_shape_and_range_and_tell_digits_apart(tone_root):
    from bioaware.data.audio_features import Filterbank

    clips = read_recordings(tone_root)
    bank = Filterbank(channels=39, frames=64, seconds=1.0)
    features = bank.features([c.waveform for c in clips])
    assert features.shape == (len(clips), 39 * 64) and features.min() >= 0.0 and features.max() == 1.0
    short = bank.features([clips[0].waveform[:400]])  # 50 ms: padded, so the same width
    assert short.shape == (1, 39 * 64)
    # by one speaker, clips of one digit are nearer each other than clips of different digits (channel profiles)
    profiles = features.reshape(len(clips), 39, 64).mean(2)
    digits = np.array([c.digit for c in clips])
    speaker = np.array([c.speaker for c in clips])
    distance = np.linalg.norm(profiles[:, None] - profiles[None], axis=2)
    by_one = speaker[:, None] == speaker[None]
    same = distance[by_one & (digits[:, None] == digits[None]) & ~np.eye(len(clips), dtype=bool)].mean()
    assert same < 0.7 * distance[by_one & (digits[:, None] != digits[None])].mean()


def test_splits_and_pairings(tone_root, mnist_data):
    from bioaware.data.audio_pairs import pair_images, split_clips

    clips = read_recordings(tone_root)
    train, test = split_clips(clips, "random", 0.15, seed=0)
    assert len(test) == 12 and len(train) == 68 and not set(train) & set(test)
    train, test = split_clips(clips, "speaker:tenor", 0.15, seed=0)
    assert {clips[i].speaker for i in test} == {"tenor"} and "tenor" not in {clips[i].speaker for i in train}
    with pytest.raises(BioawareError, match="no clips of speaker 'theo'.*alto, bass, soprano, tenor"):
        split_clips(clips, "speaker:theo", 0.15, seed=0)
    labels = np.array([c.digit for c in clips])
    fixed = pair_images(labels, mnist_data, "fixed", np.random.default_rng(0))
    assert np.array_equal(mnist_data.train_y.numpy()[fixed], labels)
    assert all(len(set(fixed[labels == d])) == 1 for d in range(10))  # dataset A: one image per digit
    random = pair_images(labels, mnist_data, "random", np.random.default_rng(0))
    assert np.array_equal(mnist_data.train_y.numpy()[random], labels)
    assert len(set(random)) > 60  # dataset B: an image per clip


def test_the_frozen_autoencoders_code_is_its_hidden_spikes(mnist_data):
    from bioaware.models.roy_ae import RoyAutoencoder
    from bioaware.interchange.from_nir import graph_to_layers, read_graph
    from bioaware.data.encoders import rate_encode
    from bioaware.train.audiocoder import FrozenAutoencoder, repeated

    frozen = FrozenAutoencoder(AUTOENCODER)
    images = mnist_data.train_x[:6]
    code = frozen.code(torch.cat([images, images[:2]]), steps=5, seed=0)
    assert code.shape == (8, 5, 196) and set(code.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(code[6:], code[:2])  # equal images, equal code
    # the same spikes as the autoencoder rebuilt from the graph, on the same input draw
    model = RoyAutoencoder.from_layer_specs(graph_to_layers(read_graph(AUTOENCODER), AUTOENCODER)[0])
    distinct, which = torch.unique(images, dim=0, return_inverse=True)
    spikes = rate_encode("bernoulli", distinct, 5, 1.0, torch.Generator().manual_seed(0))
    assert torch.equal(model(spikes).hidden_z.transpose(0, 1)[which], code[:6])
    tiled = repeated(code, 12)
    assert tiled.shape == (12, 8, 196) and torch.equal(tiled[5], tiled[0]) and torch.equal(tiled[11], tiled[1])
    with pytest.raises(BioawareError, match="does not exist"):
        FrozenAutoencoder("missing.nir")


def _tiny_config(root: Path, **audio) -> dict:
    return {"run": {"name": "tiny_audio"}, "data": {"dataset": "tone_digits", "root": str(root)},
            "model": {"kind": "audiocoder", "hidden": 256, "steps": 20, "surrogate_slope": 2.0},
            "audio": {"autoencoder": str(AUTOENCODER), "images": "mnist_5k", "hidden_steps": 5, "tone_clips": 3,
                      **audio},
            "train": {"epochs": 12, "batch_size": 10, "lr": 1e-3},
            "baselines": {"ann_sgd": True, "ann_adam": True}}


@pytest.fixture(scope="module")
def tiny_audio_run(tmp_path_factory):
    from bioaware.families import checked_config
    from bioaware.families.runs import run_training

    root = tmp_path_factory.mktemp("audio")
    run_dir = root / "tiny_audio"
    run_training(checked_config(_tiny_config(root)), run_dir)
    return run_dir


def test_a_tiny_audiocoder_learns_to_draw_the_spoken_digit(tiny_audio_run):
    import json

    rows = [json.loads(line) for line in (tiny_audio_run / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in rows if r.get("phase") == "snn" and r.get("kind") == "train"]
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5])
    results = json.loads((tiny_audio_run / "results.json").read_text())["results"]
    assert set(results) == {"snn", "ann_image_code", "ann_sgd", "ann_adam"}
    snn = results["snn"]
    # the target code decodes to the paired image; the audiocoder's code gets part of the way (untrained: MSE ≈ 1)
    assert snn["target_code_mse"] < 0.3 and snn["mse"] < 0.8
    assert snn["read_as_spoken"] >= 0.2  # ten digits: chance is 0.1
    assert 0.0 < snn["code_rate"] < 1.0 and snn["code_bits_equal"] > 0.6
    assert results["ann_adam"]["mse"] < 1.0
    assert (tiny_audio_run / "figures" / "speech_to_image_snn.png").stat().st_size > 10_000


def test_the_exported_audio_to_image_graph_runs_in_brian2_as_trained(tiny_audio_run, tmp_path):
    """Three LIF layers, audio → code → image; Brian2 in the training update order gives the trained model's
    spikes in every layer."""
    from bioaware.brian.network import simulate
    from bioaware.core.timebase import TRAINING_DT
    from bioaware.families.export import export_nir, trained_test_spikes
    from bioaware.interchange.from_nir import graph_to_layers, read_graph

    path = export_nir(tiny_audio_run, tmp_path)
    graph = read_graph(path)
    layers, metadata = graph_to_layers(graph, path)
    assert [layer.name for layer in layers] == ["audio_hidden", "hidden", "reconstruction"]
    assert [layer.weight.shape for layer in layers] == [(256, 39 * 64), (196, 256), (784, 196)]
    assert metadata["spectrogram"] == {"channels": 39, "frames": 64, "seconds": 1.0}
    task, images, spikes = trained_test_spikes(tiny_audio_run, 3)
    assert images.shape == (3, 784) and spikes.shape == (20, 3, 39 * 64)
    for layer, trained in zip(layers, task.model.layer_specs()):
        assert np.allclose(layer.weight, trained.weight, atol=1e-6)
    with torch.no_grad():
        out = task.model(spikes)
    run = simulate(layers, TRAINING_DT, spikes.numpy(), TRAINING_DT, order="matched")
    for name, trained in out.by_layer().items():
        assert np.array_equal(run.counts(name, 20, TRAINING_DT), trained.numpy()), name


def test_speak2digit_turns_a_wav_file_into_a_digit_image(tiny_audio_run, tone_root, tmp_path, capsys):
    from PIL import Image

    from bioaware.cli import main

    clip = tone_root / "recordings" / "4_alto_0.wav"
    out = tmp_path / "digit.png"
    assert main(["speak2digit", str(clip), "--run", str(tiny_audio_run), "-o", str(out)]) == 0
    assert Image.open(out).size == (224, 224)
    assert (tmp_path / "digit_panel.png").is_file()
    assert "classifier reads" in capsys.readouterr().out
    assert main(["speak2digit", str(tmp_path / "none.wav"), "--run", str(tiny_audio_run)]) == 2
    (tmp_path / "bad.wav").write_text("not audio")
    assert main(["speak2digit", str(tmp_path / "bad.wav"), "--run", str(tiny_audio_run)]) == 2
    err = capsys.readouterr().err
    assert "none.wav: no such file" in err and "bad.wav: not a readable wav file" in err


def test_audiocoder_configs_are_checked(tmp_path):
    from bioaware.families import checked_config

    with pytest.raises(BioawareError, match="audio.split = 'speaker:'"):
        checked_config(_tiny_config(tmp_path, split="speaker:"))
    with pytest.raises(BioawareError, match="model.steps \\(20\\) must be at least audio.hidden_steps"):
        checked_config(_tiny_config(tmp_path, hidden_steps=30))
    with pytest.raises(BioawareError, match="audio.hidden_steps is a setting of audiocoder"):
        checked_config({"model": {"kind": "roy_ae"}, "audio": {"hidden_steps": 5}})
    with pytest.raises(BioawareError, match="data.dataset = 'tone_digits' is not for model.kind = 'roy_ae'"):
        checked_config({"model": {"kind": "roy_ae"}, "data": {"dataset": "tone_digits"}})


@pytest.mark.slow
def test_compare_judges_the_brian2_images_as_the_trained_ones(tiny_audio_run):
    """`bioaware compare` on an audiocoder run: every layer of the matched-order run equals the trained model, and
    its images are judged (MSE, classifier) exactly as the trained model's."""
    import json

    from bioaware.compare import compare_family_run

    compare_family_run("audiocoder", tiny_audio_run, 3, (0.1,))
    report = json.loads((tiny_audio_run / "compare" / "report.json").read_text())
    assert report["layers"] == ["audio_hidden", "hidden", "reconstruction"]
    matched = report["brian2"][0]
    assert all(matched[layer]["matched_within_1_step"] == 1.0 for layer in report["layers"])
    assert matched["mse"] == pytest.approx(report["trained_model_mse"], abs=1e-6)
    for key, value in report["trained_model"].items():
        assert matched[key] == pytest.approx(value, abs=1e-6), key
    assert "read_as_spoken (trained)" in (tiny_audio_run / "compare" / "report.html").read_text()
