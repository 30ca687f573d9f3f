"""Training on real MNIST images: the loss falls, runs resume exactly, bad checkpoints are refused."""

import json

import pytest
import torch

from bioaware.families import checked_config
from bioaware.data.datasets import ImageData
from bioaware.core.errors import BioawareError
from bioaware.train.loop import batch_order, fit
from bioaware.train.tasks import evaluate
from bioaware.families.runs import run_training
from bioaware.core.rundir import RunDir
from bioaware.train.summary import collect, summary_table
from bioaware.train.tasks import SpikingAutoencoderTask

TINY = {"model": {"hidden": 64, "steps": 10, "surrogate_slope": 2.0},
        "train": {"epochs": 1, "batch_size": 20, "lr": 5e-3, "checkpoint_every": 3}}


def tiny(n_train, n_test, mnist_data, **overrides):
    raw = json.loads(json.dumps(TINY))
    for section, body in overrides.items():
        raw.setdefault(section, {}).update(body)
    data = ImageData(mnist_data.train_x[:n_train], mnist_data.train_y[:n_train],
                     mnist_data.test_x[:n_test], mnist_data.test_y[:n_test], source="test subset")
    return checked_config(raw), data


@pytest.mark.parametrize("update", ["bptt", "per_step"])
def test_tiny_autoencoder_loss_falls(mnist_data, tmp_path, update):
    cfg, data = tiny(300, 100, mnist_data, train={"epochs": 3, "update": update})
    task = SpikingAutoencoderTask(cfg.model, cfg.train)
    before = evaluate(task, data.test_x, 50, 0)
    run = RunDir(tmp_path / "run")
    fit(task, data.train_x, cfg.train, 0, run, cfg.to_dict())
    after = evaluate(task, data.test_x, 50, 0)
    losses = [r["loss"] for r in run.metrics()]
    assert len(losses) == 45
    assert sum(losses[-5:]) < 0.8 * sum(losses[:5])
    assert after["mse"] < before["mse"] - 0.3
    assert after["spike_mse"] < before["spike_mse"]


def test_one_label_batches():
    """Batches of consecutive indices hold one label each (every label's remainder at the end); still a permutation."""
    labels = torch.tensor([0] * 37 + [1] * 20 + [2] * 43)
    order = batch_order(len(labels), 8, torch.Generator().manual_seed(0), labels)
    assert sorted(order.tolist()) == list(range(100))
    full = 37 // 8 + 20 // 8 + 43 // 8
    batches = order[:8 * full].view(full, 8)
    assert all(len(labels[b].unique()) == 1 for b in batches)
    assert len(set(labels[batches[:, 0]][:6].tolist())) > 1  # the labels' batches are interleaved, not in label order
    assert torch.equal(order, batch_order(len(labels), 8, torch.Generator().manual_seed(0), labels))


def test_resume_repeats_the_uninterrupted_run(mnist_data, tmp_path):
    cfg, data = tiny(200, 20, mnist_data, train={"epochs": 2})  # 20 batches over 2 epochs
    straight = SpikingAutoencoderTask(cfg.model, cfg.train)
    torch.manual_seed(0)
    straight.model.load_state_dict(SpikingAutoencoderTask(cfg.model, cfg.train).model.state_dict())
    init = {k: v.clone() for k, v in straight.model.state_dict().items()}
    fit(straight, data.train_x, cfg.train, 0, RunDir(tmp_path / "a"), cfg.to_dict())

    run_b = RunDir(tmp_path / "b")
    first = SpikingAutoencoderTask(cfg.model, cfg.train)
    first.model.load_state_dict(init)
    assert fit(first, data.train_x, cfg.train, 0, run_b, cfg.to_dict(), max_batches=13) == 13
    resumed = SpikingAutoencoderTask(cfg.model, cfg.train)  # a fresh process would start from scratch
    assert fit(resumed, data.train_x, cfg.train, 0, run_b, cfg.to_dict()) == 20
    for key, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key
    steps = [r["step"] for r in run_b.metrics()]
    assert steps == list(range(1, 21))


def test_until_epoch_stops_every_model_at_the_same_epoch_of_the_run(mnist_data, tmp_path):
    """--until-epoch counts the run's epochs, not this call's batches: every phase stops at the end of that epoch,
    a repeat call trains nothing, a later epoch (past the schedule: its end) goes on and finishes."""
    cfg, data = tiny(100, 20, mnist_data, train={"epochs": 3}, baselines={"ann_adam": True})  # 5 batches an epoch
    run = RunDir(tmp_path / "run")

    def last_steps() -> dict[str, int]:
        rows = [r for r in run.metrics() if r.get("kind") == "train"]
        return {phase: max(r["step"] for r in rows if r["phase"] == phase) for phase in ("snn", "ann_adam")}

    assert run_training(cfg, run.path, data=data, max_batches=2) == {}
    assert run_training(cfg, run.path, data=data, until_epoch=1) == {}
    assert last_steps() == {"snn": 5, "ann_adam": 5}
    rows = len(run.metrics())
    assert run_training(cfg, run.path, data=data, until_epoch=1) == {} and len(run.metrics()) == rows
    assert run_training(cfg, run.path, data=data, until_epoch=2, max_batches=3) == {}
    assert last_steps() == {"snn": 8, "ann_adam": 8}
    assert set(run_training(cfg, run.path, data=data, until_epoch=9)) == {"snn", "ann_adam"}
    assert last_steps() == {"snn": 15, "ann_adam": 15}


def test_checkpoint_of_another_config_is_refused(mnist_data, tmp_path):
    cfg, data = tiny(40, 20, mnist_data)
    run_training(cfg, tmp_path / "run", data=data)
    other, _ = tiny(40, 20, mnist_data, model={"hidden": 16})
    with pytest.raises(BioawareError, match=r"snn.ckpt: checkpoint does not match the config \(model.hidden: "
                                            r"checkpoint 64 vs config 16\)"):
        run_training(other, tmp_path / "run", data=data)


def test_checkpoint_of_another_network_is_refused_before_anything_is_written(mnist_data, tmp_path):
    """A checkpoint whose tensors are not the network's (written by a version of bioaware that parametrised it
    otherwise) is refused with its path, before the run directory is touched."""
    cfg, data = tiny(40, 20, mnist_data)
    run = RunDir(tmp_path / "run")
    run_training(cfg, run.path, data=data, max_batches=1)
    ckpt = run.checkpoint("snn")
    state = torch.load(ckpt, weights_only=True)
    dropped = next(iter(state["task"]["model"]))
    del state["task"]["model"][dropped]
    torch.save(state, ckpt)
    rows = len(run.metrics())
    with pytest.raises(BioawareError, match=r"snn.ckpt: the snn network in this checkpoint is not the one this "
                                            r"version of bioaware builds \(.*Missing key.*\); train it again with "
                                            r"`bioaware train <config> --fresh`"):
        run_training(cfg, run.path, data=data)
    assert len(run.metrics()) == rows


def test_run_directory_records_everything(mnist_data, tmp_path):
    cfg, data = tiny(60, 40, mnist_data, baselines={"ann_sgd": True, "ann_adam": True})
    results = run_training(cfg, tmp_path / "run", data=data)
    assert set(results) == {"snn", "ann_sgd", "ann_adam"}
    run = tmp_path / "run"
    provenance = json.loads((run / "provenance.json").read_text())
    assert provenance["seed"] == 0 and provenance["versions"]["torch"].startswith("2.")
    assert provenance["git_commit"]
    assert json.loads((run / "config.json").read_text())["model"]["hidden"] == 64
    saved = json.loads((run / "results.json").read_text())["results"]
    assert saved["snn"]["mse"] == pytest.approx(results["snn"]["mse"])
    for name in ("loss.png", "reconstruction_snn.png", "reconstruction_ann_adam.png"):
        assert (run / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(run.glob("**/*.tmp"))
    table = summary_table(collect([run])).splitlines()
    assert len(table) == 2 + 3
    assert any(line.startswith("| run | snn | mnist | 64 | 10 | 0.1 | 2.0 | bptt | True |")
               and f"{results['snn']['mse']:.4f}" in line for line in table)


class _Payload:
    """Pickles as a call that creates a file: what a crafted checkpoint could run on load."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import pathlib

        return pathlib.Path.touch, (pathlib.Path(self.marker),)


def test_a_checkpoint_that_would_run_code_is_refused_without_running_it(tmp_path):
    from bioaware.core.config import Config
    from bioaware.core.checkpoint import load_checkpoint

    marker = tmp_path / "payload_ran"
    crafted = tmp_path / "snn.ckpt"
    torch.save({"task": _Payload(marker), "fingerprint": {}}, crafted)
    with pytest.raises(BioawareError, match="refused: the checkpoint holds objects other than tensors"):
        load_checkpoint(crafted, Config().to_dict())
    assert not marker.exists()
