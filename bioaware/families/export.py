"""`bioaware export`: a trained run's spiking model → export/<name>/model.nir."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bioaware.core.config import Config
from bioaware.core.errors import BioawareError
from bioaware.core.log import info
from bioaware.core.rundir import RunDir
from bioaware.families import family_of
from bioaware.families.runs import build_tasks, open_run, restore
from bioaware.train.tasks import Task


def _last_spiking(run_dir: Path) -> tuple[RunDir, Config, dict, Task]:
    """(run, config, resolved config dict, its last spiking task, untrained): the phase an export is made from
    (a later spiking phase refines the earlier ones)."""
    run, cfg, config = open_run(run_dir)
    spiking = [task for task, _ in build_tasks(cfg) if task.spiking]
    if not spiking:
        raise BioawareError(f"{run_dir}: model.kind = {cfg.model.kind!r} is not a spiking model; nothing to export")
    return run, cfg, config, spiking[-1]


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_trained(run_dir: Path) -> tuple[Task, dict]:
    """The trained spiking task of a run directory (its last spiking phase) and its resolved config."""
    run, _, config, task = _last_spiking(run_dir)
    return restore(task, run, config), config


def trained_test_spikes(run_dir: Path, images: int, seed: int = 0, data=None):
    """(trained task, the images its first `images` test inputs should give back [N, 784], their input spikes
    [T, N, features]); `data` is the run's data when the caller has loaded it already.

    Every exact-dynamics run (simulate, compare, the Brian2 benchmark) feeds these same spikes,
    drawn from a generator of their own (seed + 3) so that they never repeat training or test draws.
    """
    import torch

    from bioaware.families import checked_config, load_data

    task, config = load_trained(run_dir)
    data = data or load_data(checked_config(config))
    return task, data.test_images[:images], task.encode(data.test_x[:images], torch.Generator().manual_seed(seed + 3))


def checkpoint_digest(run_dir: Path) -> str:
    """SHA-256 of the checkpoint an export is made from (the run's last spiking phase)."""
    run, _, _, task = _last_spiking(run_dir)
    return _file_digest(run.checkpoint(task.phase))


def exported_graph(run_dir: Path, export_root: Path = Path("export"), name: str = "model.nir") -> Path:
    """The path of the run's exported graph `name`, exported first when it is missing or was written from
    another checkpoint than the run's (the graph's metadata records the checkpoint's SHA-256)."""
    import nir

    path = export_root / Path(run_dir).name / name
    digest = checkpoint_digest(Path(run_dir))
    if path.is_file():
        try:
            if nir.read(path).metadata.get("checkpoint_sha256") == digest:
                return path
        except Exception:  # unreadable: written again below
            pass
        info(f"{path} was not exported from this run's checkpoint: exporting again")
    export_nir(Path(run_dir), export_root)
    return path


def export_nir(run_dir: Path, export_root: Path = Path("export")) -> Path:
    """Write the run's model as NIR with its family's exporter (Δt, encoder, provenance and the checkpoint's
    SHA-256 in the graph metadata); returns the path (the folder for TTFS runs, one graph per network)."""
    run, cfg, config, task = _last_spiking(run_dir)
    restore(task, run, config)
    provenance = run.read_json("provenance.json") if (run.path / "provenance.json").is_file() else {}
    provenance["checkpoint_sha256"] = _file_digest(run.checkpoint(task.phase))
    return family_of(cfg).export(task, config, Path(run_dir).name, provenance, export_root)
