"""The Fully Spiking VAE: its dynamics against closed forms, the latent sampler, and a tiny model (with its
same-run ANN VAE) that learns on real images and samples from its prior."""

import json

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


def test_a_tiny_fsvae_learns_real_digits_and_samples_from_its_prior(tmp_path, mnist_data):
    from bioaware.data.datasets import ImageData
    from bioaware.families import checked_config
    from bioaware.families.runs import run_training

    cfg = checked_config({"run": {"name": "fsvae"}, "model": {"kind": "fsvae"},
                          "fsvae": {"steps": 4, "latent": 16, "k": 4, "channels": [8, 16]},
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
    assert (tmp_path / "fsvae" / "figures" / "samples_ann_vae.png").is_file()
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "bioaware", "sample", str(tmp_path / "fsvae"), "--n", "24"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "fsvae" / "figures" / "samples_24_seed0.png").is_file()
    refused = subprocess.run([sys.executable, "-m", "bioaware", "export", str(tmp_path / "fsvae")],
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "cannot be exported to NIR yet" in refused.stderr


def test_fsvae_settings_are_checked(write_toml):
    from bioaware.core.errors import BioawareError
    from bioaware.families import load_config

    with pytest.raises(BioawareError, match="fsvae.channels must be 1 to 5 positive integers"):
        load_config(write_toml("[model]\nkind = 'fsvae'\n[fsvae]\nchannels = [8, 8, 8, 8, 8, 8]\n"))
    with pytest.raises(BioawareError, match="fsvae.k is a setting of spiking_vae; remove it for model.kind = 'roy_ae'"):
        load_config(write_toml("[fsvae]\nk = 5\n"))
