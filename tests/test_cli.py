"""The command line as a user types it (subprocesses, real exit codes and messages)."""

import json
import signal
import subprocess
import sys
import time

import pytest

BIOAWARE = [sys.executable, "-m", "bioaware.cli"]


def run(*args, cwd=None):
    return subprocess.run([*BIOAWARE, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.mark.parametrize("args", [[], ["train"], ["evaluate"], ["summary"], ["demo"]])
def test_help_everywhere(args):
    result = run(*args, "--help")
    assert result.returncode == 0 and "usage: bioaware" in result.stdout


@pytest.mark.parametrize("text, message", [
    ("[model]\nhiden = 3\n", "unknown key 'model.hiden'"),
    ("[model\n", "malformed TOML"),
    ("[data]\nroot = '/no/such/root'\ndownload = false\n", "data.root '/no/such/root' does not exist"),
])
def test_bad_input_one_line_and_nonzero_exit(write_toml, tmp_path, text, message):
    result = run("train", str(write_toml(text)), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("bioaware: error")]) == 1


def test_python_dash_m_bioaware_is_the_command_line():
    result = subprocess.run([sys.executable, "-m", "bioaware", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "usage: bioaware" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["simulate", "runs/x", "--images", "0"], "argument --images: '0' must be at least 1"),
    (["simulate", "runs/x", "--copies", "-3"], "argument --copies: '-3' must be at least 1"),
    (["simulate", "runs/x", "--dt-factor", "abc"], "argument --dt-factor: 'abc' is not a number"),
    (["simulate", "runs/x", "--dt-factor", "0"], "argument --dt-factor: '0' must be a finite number > 0"),
    (["demo", "--epochs", "1.5"], "argument --epochs: '1.5' is not a whole number"),
    (["compare", "runs/x", "--dt-factors", "1,abc"], "--dt-factors: 'abc' is not a number"),
])
def test_bad_numbers_on_the_command_line_are_one_line_errors(args, message):
    result = run(*args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_demo_runs_the_whole_pipeline_and_its_pages_render(tmp_path):
    from browser import page_problems

    out, export = tmp_path / "demo", tmp_path / "export"
    result = run("demo", "--epochs", "1", "--images", "3", "--out", str(out), "--export-root", str(export))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "snn" in result.stdout and "ann_adam" in result.stdout
    assert (out / "figures" / "reconstruction_snn.png").is_file() and (export / "demo" / "model.nir").is_file()
    assert f"report: {out / 'compare' / 'report.html'}" in result.stdout
    pages = [out / "compare" / name for name in ("report.html", "targets.html", "check/check.html")]
    assert json.loads((out / "compare" / "targets" / "spinnaker.json").read_text())["columns"]
    assert {str(p): page_problems(p) for p in pages} == {str(p): [] for p in pages}
    again = run("evaluate", str(out))
    assert again.returncode == 0 and "snn" in again.stdout


def test_sigint_saves_checkpoint_and_resume_finishes(write_toml, tmp_path):
    cfg = write_toml("[data]\ndataset = 'mnist_5k'\ntest_limit = 100\n[model]\nhidden = 32\nsteps = 8\n"
                     "[train]\nepochs = 3\ncheckpoint_every = 1000\n")
    out = tmp_path / "run"
    proc = subprocess.Popen([*BIOAWARE, "train", str(cfg), "--out", str(out)], stderr=subprocess.PIPE, text=True)
    metrics = out / "metrics.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and not (metrics.exists() and len(metrics.read_text().splitlines()) >= 5):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    stderr = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, stderr[-2000:]
    assert "checkpoint saved; run the same command again to resume" in stderr
    assert (out / "snn.ckpt").is_file() and not list(out.glob("*.tmp"))
    result = run("train", str(cfg), "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "resuming from" in result.stderr
    steps = [int(line.split('"step": ')[1].split(",")[0]) for line in metrics.read_text().splitlines()
             if '"train"' in line]
    assert steps == list(range(1, 121))


def test_a_metrics_line_cut_off_mid_write_does_not_block_resume(write_toml, tmp_path):
    cfg = write_toml("[data]\ndataset = 'mnist_5k'\ntrain_limit = 200\ntest_limit = 50\n[model]\nhidden = 16\n"
                     "steps = 5\n[train]\ncheckpoint_every = 1\n")
    out = tmp_path / "run"
    assert run("train", str(cfg), "--out", str(out), "--max-batches", "2").returncode == 0
    metrics = out / "metrics.jsonl"
    metrics.write_text(metrics.read_text() + '{"phase": "snn", "st')  # a crash in the middle of an append
    result = run("train", str(cfg), "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "dropped its last line, cut off mid-write" in result.stderr
    rows = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert any(r.get("phase") == "snn" and "mse" in r for r in rows)


def test_run_name_cannot_leave_the_runs_folder(write_toml, tmp_path):
    cfg = write_toml("[model]\nhidden = 16\n")
    result = run("train", str(cfg), "--set", 'run.name="../../escaped"')
    assert result.returncode == 2 and "run.name = '../../escaped' must be a plain name" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path.parent / "escaped").exists() and not (tmp_path / "escaped").exists()
