"""Training across processes: `torchrun --nproc_per_node 2 -m bioaware train` (a real gloo group on the cpu) trains
as one process does on the whole batch — the same losses and weights after k batches, one writer, and resume."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

CONFIG = """
[data]
dataset = "mnist_5k"
train_limit = 400
test_limit = 100

[model]
hidden = 32
steps = 8
surrogate_slope = 2.0

[train]
epochs = 1
batch_size = 50
lr = 5e-3

[baselines]
ann_adam = true
"""


def _train(config: Path, out: Path, processes: int, batches: int) -> subprocess.CompletedProcess:
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"] \
        if processes > 1 else [sys.executable]
    return subprocess.run(launcher + ["-m", "bioaware", "train", str(config), "--out", str(out), "--max-batches",
                                      str(batches)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONFAULTHANDLER": "1"})


def _losses(run: Path) -> list[tuple]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [(r["phase"], r["step"], r["loss"]) for r in rows if r.get("kind") == "train"]


def _weights(run: Path, phase: str) -> dict:
    return torch.load(run / f"{phase}.ckpt", weights_only=True)["task"]["model"]


@pytest.mark.slow
def test_two_processes_train_as_one_and_resume(tmp_path):
    config = tmp_path / "tiny.toml"
    config.write_text(CONFIG)
    for batches in (3, 3):  # the second call resumes from the checkpoints the first one left
        one, two = _train(config, tmp_path / "one", 1, batches), _train(config, tmp_path / "two", 2, batches)
        # a process that dies prints its Python stacks (faulthandler) above torchrun's summary: show both
        assert one.returncode == 0, one.stderr[-8000:]
        assert two.returncode == 0, two.stderr[-8000:]
    single, shared = _losses(tmp_path / "one"), _losses(tmp_path / "two")
    # written once per batch (process 0 alone writes): each call trains three batches of each phase
    calls = [[(phase, s) for phase in ("snn", "ann_adam") for s in steps] for steps in ((1, 2, 3), (4, 5, 6))]
    assert [(p, s) for p, s, _ in shared] == [(p, s) for p, s, _ in single] == calls[0] + calls[1]
    assert [loss for *_, loss in shared] == pytest.approx([loss for *_, loss in single], rel=1e-5)
    for phase in ("snn", "ann_adam"):
        a, b = _weights(tmp_path / "one", phase), _weights(tmp_path / "two", phase)
        assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a), phase
    assert json.loads((tmp_path / "two" / "provenance.json").read_text())["processes"] == 2


@pytest.mark.slow
def test_a_model_that_cannot_share_its_batches_is_refused(tmp_path):
    config = tmp_path / "fsvae.toml"
    config.write_text('[data]\ndataset = "mnist_5k"\n[model]\nkind = "fsvae"\n[fsvae]\nchannels = [4]\n'
                      '[train]\noptimizer = "adamw"\n')
    result = _train(config, tmp_path / "run", 2, 1)
    assert result.returncode != 0
    assert "does not train across processes; run it without torchrun" in result.stderr
    assert not (tmp_path / "run" / "snn.ckpt").exists()
