"""Run directories never lose or misstate a result: refusal without damage, starting over without deleting,
one writer at a time, bad input as one line (real processes and files)."""

import json
import os
import random
import re
import signal
import subprocess
import sys
import time

import pytest

from bioaware.core import figures
from bioaware.core.rundir import STALE_TMP_SECONDS, RunDir, atomic_write_text

BIOAWARE = [sys.executable, "-m", "bioaware"]
TINY = ("[data]\ndataset = 'mnist_5k'\ntrain_limit = 200\ntest_limit = 50\n[model]\nhidden = 16\nsteps = 5\n"
        "[train]\nbatch_size = 50\ncheckpoint_every = 1\n")


def run(*args, env=None):
    return subprocess.run([*BIOAWARE, *map(str, args)], capture_output=True, text=True, env=env)


def one_line_error(result) -> bool:
    return (result.returncode == 2 and "Traceback" not in result.stderr
            and len([line for line in result.stderr.splitlines() if line.startswith("bioaware: error")]) == 1)


def test_a_refused_train_leaves_the_run_as_it_was(write_toml, tmp_path):
    out = tmp_path / "run"
    assert run("train", write_toml(TINY), "--out", out).returncode == 0
    before = {name: (out / name).read_bytes() for name in ("config.json", "provenance.json", "results.json",
                                                          "metrics.jsonl", "snn.ckpt")}
    refused = run("train", write_toml(TINY), "--out", out, "--set", "model.hidden=32")
    assert one_line_error(refused) and "checkpoint 16 vs config 32" in refused.stderr
    assert {name: (out / name).read_bytes() for name in before} == before
    assert run("evaluate", out).returncode == 0


def test_an_interrupted_run_is_evaluated_and_drawn_from_its_checkpoint(write_toml, tmp_path):
    out = tmp_path / "run"
    assert run("train", write_toml(TINY), "--out", out, "--max-batches", "2").returncode == 0
    assert not (out / "results.json").exists() and not (out / "figures" / "reconstruction_snn.png").exists()
    evaluated = run("evaluate", out)
    assert evaluated.returncode == 0 and "snn" in evaluated.stdout
    assert (out / "figures" / "reconstruction_snn.png").is_file()
    logged = [r for r in RunDir(out).metrics() if r.get("kind") == "evaluate"]  # the slice's metrics are kept
    assert [(r["phase"], r["step"]) for r in logged] == [("snn", 2)] and f"{logged[0]['mse']:.4f}" in evaluated.stdout
    assert not (out / "figures" / "test_metrics.png").exists()  # one point is no curve
    assert run("train", write_toml(TINY), "--out", out, "--max-batches", "2").returncode == 0
    assert run("evaluate", out).returncode == 0
    logged = [r for r in RunDir(out).metrics() if r.get("kind") == "evaluate"]
    assert [r["step"] for r in logged] == [2, 4]
    assert (out / "figures" / "test_metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_test_metric_curves_draw_what_changed_between_checkpoints(tmp_path):
    rows = [{"phase": phase, "kind": "evaluate", "step": step, "mse": mse, "n_test": 10000, "recognised": rec}
            for phase, step, mse, rec in [("snn", 720, 0.09, 0.65), ("snn", 2160, 0.07, 0.64),
                                          ("ann_vae", 720, 0.05, 0.38)]]
    path = tmp_path / "test_metrics.png"
    assert figures.test_curves(rows[:1] + rows[2:], path) == [] and not path.exists()  # one point per phase
    assert figures.test_curves(rows, path) == ["mse", "recognised"]  # the test-set size never changed
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fresh_moves_the_earlier_run_aside_and_deletes_nothing(write_toml, tmp_path):
    out = tmp_path / "run"
    assert run("train", write_toml(TINY), "--out", out).returncode == 0
    checkpoint = (out / "snn.ckpt").read_bytes()
    again = run("train", write_toml(TINY), "--out", out, "--fresh", "--set", "model.hidden=8", "--max-batches", "1")
    assert again.returncode == 0, again.stderr[-2000:]
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("run.previous-")]
    assert len(aside) == 1 and f"moved to {aside[0]}" in again.stderr
    assert (aside[0] / "snn.ckpt").read_bytes() == checkpoint and (aside[0] / "results.json").is_file()
    assert not (out / "results.json").exists()  # the new run has not finished: no stale results beside it
    assert json.loads((out / "config.json").read_text())["model"]["hidden"] == 8


def test_demo_resumes_instead_of_starting_over(tmp_path):
    out = tmp_path / "demo"
    first = run("demo", "--out", out, "--export-root", tmp_path / "export", "--max-batches", "2")
    assert first.returncode == 0 and "run the same command again to resume" in first.stderr
    second = run("demo", "--out", out, "--export-root", tmp_path / "export", "--max-batches", "2")
    assert second.returncode == 0 and "resuming from" in second.stderr
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()
             if '"train"' in line and '"snn"' in line]
    assert steps == [1, 2, 3, 4]


def test_one_writer_per_run_directory_and_a_killed_holder_frees_it(write_toml, tmp_path):
    slow = write_toml(TINY.replace("train_limit = 200", "train_limit = 4000")
                      .replace("[train]", "[train]\nepochs = 50"))
    out = tmp_path / "run"
    holder = subprocess.Popen([*BIOAWARE, "train", str(slow), "--out", str(out)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not (out / "metrics.jsonl").exists():
            time.sleep(0.2)
        second = run("train", slow, "--out", out)
        assert one_line_error(second) and f"another bioaware process (pid {holder.pid})" in second.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert run("train", slow, "--out", out, "--max-batches", "1").returncode == 0  # the lock died with its holder


@pytest.mark.parametrize("setting, message", [
    ("train.weight_decay=-10", "train.weight_decay must be ≥ 0, got -10.0"),
    ("data.train_limit=-1", "data.train_limit must be ≥ 0, got -1"),
    ("data.test_limit=-5", "data.test_limit must be ≥ 0, got -5"),
    ("train.lr=nan", "train.lr must be > 0"),
    ("baselines.sgd_lr=0", "baselines.sgd_lr must be > 0"),
])
def test_config_ranges_are_checked(write_toml, setting, message):
    from bioaware.core.errors import BioawareError
    from bioaware.families import load_config

    with pytest.raises(BioawareError, match=re.escape(message)):
        load_config(write_toml(TINY), [setting])


def test_a_file_in_the_way_is_a_one_line_error(write_toml, tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    result = run("train", write_toml(TINY), "--out", tmp_path / "a_file")
    assert one_line_error(result) and str(tmp_path / "a_file") in result.stderr
    out = tmp_path / "run"
    out.mkdir()
    (out / "figures").write_text("in the way")
    result = run("train", write_toml(TINY), "--out", out)
    assert one_line_error(result) and "figures" in result.stderr


def test_deploy_checks_the_toolchain_before_any_work(tmp_path):
    missing = tmp_path / "no-lava" / "python"
    result = run("deploy", tmp_path / "no-run", "--target", "loihi", env={**os.environ,
                                                                          "BIOAWARE_LAVA_PYTHON": str(missing)})
    assert one_line_error(result) and f"{missing}: Lava environment not found" in result.stderr


def test_temporary_files_left_by_a_killed_writer_are_cleaned_on_the_next_write(tmp_path):
    stale, fresh = tmp_path / ".model.nir.abc123.tmp", tmp_path / ".model.nir.def456.tmp"
    stale.write_text("torn")
    fresh.write_text("being written")
    old = time.time() - STALE_TMP_SECONDS - 60
    os.utime(stale, (old, old))
    atomic_write_text(tmp_path / "model.nir", "whole")
    assert (tmp_path / "model.nir").read_text() == "whole"
    assert not stale.exists() and fresh.exists()  # a recent one may belong to a write in progress


@pytest.mark.slow
def test_training_killed_at_random_batches_resumes_to_the_uninterrupted_result(write_toml, tmp_path):
    config = write_toml(TINY.replace("[train]", "[train]\nepochs = 3"))
    whole = tmp_path / "whole"
    assert run("train", config, "--out", whole).returncode == 0
    out, rng = tmp_path / "killed", random.Random(0)
    for _ in range(4):
        proc = subprocess.Popen([*BIOAWARE, "train", str(config), "--out", str(out)], stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(3.0, 8.0))  # start-up takes a few seconds: some kills land in training
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finished = run("train", config, "--out", out)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert json.loads((out / "results.json").read_text()) == json.loads((whole / "results.json").read_text())
    import torch

    a, b = (torch.load(d / "snn.ckpt", weights_only=True)["task"]["model"] for d in (whole, out))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not list(out.glob(".*.tmp"))
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert all(json.loads(line) for line in lines)


def test_a_small_file_declaring_a_huge_array_is_refused_before_reading(tmp_path):
    import h5py
    import nir
    import numpy as np

    path = tmp_path / "huge.nir"
    nir.write(path, nir.NIRGraph(nodes={"input": nir.Input(np.array([2])), "lin": nir.Linear(np.ones((2, 2))),
                                        "output": nir.Output(np.array([2]))},
                                 edges=[("input", "lin"), ("lin", "output")]))
    with h5py.File(path, "a") as f:  # 2**37 float32 (512 GiB) declared, none written: the file stays small
        del f["node/nodes/lin/weight"]
        f.create_dataset("node/nodes/lin/weight", shape=(1 << 18, 1 << 19), dtype="float32", chunks=(256, 512),
                         compression="gzip")
    assert path.stat().st_size < 1 << 20
    result = run("inspect", path)
    assert one_line_error(result)
    assert "dataset 'node/nodes/lin/weight' declares 137,438,953,472 numbers" in result.stderr
