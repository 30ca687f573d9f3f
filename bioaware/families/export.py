"""`bioaware export`: a trained run's spiking model → export/<name>/model.nir."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bioaware.core.errors import BioawareError
from bioaware.core.log import info
from bioaware.interchange.to_nir import layers_to_nir, write_graph
from bioaware.families.runs import build_tasks, open_run, restore
from bioaware.core.rundir import RunDir
from bioaware.train.tasks import Task

TRAINING_DT = 1e-3  # s: one training step is taken as 1 ms of continuous time
TIME_UNIT = 1e-3  # s: one time unit of a temporal-coding model (its input interval [0, 1]) is taken as 1 ms


def load_trained(run_dir: Path) -> tuple[Task, dict]:
    """The trained spiking task of a run directory and its resolved config."""
    run, cfg, config = open_run(run_dir)
    if cfg.model.kind == "ann_ae":
        raise BioawareError(f"{run_dir}: model.kind = {cfg.model.kind!r} is not a spiking model; nothing to export")
    last_spiking = [task for task, _ in build_tasks(cfg) if task.spiking][-1]  # a later spiking phase refines the first
    return restore(last_spiking, run, config), config


def trained_test_spikes(run_dir: Path, images: int, seed: int = 0):
    """(trained task, its first `images` test images [N, 784], their input spikes [T, N, 784]).

    Every exact-dynamics run (simulate, compare, the Brian2 benchmark) feeds these same spikes,
    drawn from a generator of their own (seed + 3) so that they never repeat training or test draws.
    """
    import torch

    from bioaware.core.config import DataSection
    from bioaware.data.datasets import load_images

    task, config = load_trained(run_dir)
    x = load_images(DataSection(**config["data"])).test_x[:images]
    return task, x, task.encode(x, torch.Generator().manual_seed(seed + 3))


def checkpoint_digest(run_dir: Path) -> str:
    """SHA-256 of the checkpoint an export is made from (the run's last spiking phase)."""
    run, cfg, _ = open_run(run_dir)
    phase = [task for task, _ in build_tasks(cfg) if task.spiking][-1].phase
    digest = hashlib.sha256()
    with open(run.checkpoint(phase), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    """Write the run's model as NIR (Δt, encoder, provenance and the checkpoint's SHA-256 in the graph
    metadata); returns the path (the folder for TTFS runs, one graph per network)."""
    task, config = load_trained(run_dir)
    m = config["model"]
    provenance = RunDir(run_dir).read_json("provenance.json") if (run_dir / "provenance.json").is_file() else {}
    provenance["checkpoint_sha256"] = checkpoint_digest(Path(run_dir))
    path = export_root / Path(run_dir).name / "model.nir"
    if m["kind"] == "comsa_ae":
        from bioaware.interchange.temporal_nir import temporal_to_nir

        tc = config["temporal"]
        write_graph(temporal_to_nir(task.model.layer_specs(), TIME_UNIT, {
            "model": m["kind"], "run": Path(run_dir).name, "invert": tc["invert"], "latency": tc["latency"],
            "no_spike_time": tc["no_spike_time"], "git_commit": provenance.get("git_commit", "unknown"),
            "checkpoint_sha256": provenance["checkpoint_sha256"],
            "host_side": "latency encoder: pixel p spikes once at t = 1 − p (invert) or p, in time units; "
                         "p = 1 of the coded image does not spike; outputs decode as clip(t − latency, 0, 1)"}), path)
        return path
    if m["kind"] in ("ttfs_classifier", "spiking_gan"):
        return export_ttfs(task, config, Path(run_dir).name, provenance, export_root)
    graph = layers_to_nir(task.model.layer_specs(), TRAINING_DT, {
        "model": m["kind"], "run": Path(run_dir).name, "steps": m["steps"], "encoder": m["encoder"],
        "max_rate": m["max_rate"], "surrogate_slope": m["surrogate_slope"],
        "git_commit": provenance.get("git_commit", "unknown"), "checkpoint_sha256": provenance["checkpoint_sha256"],
        "host_side": "rate encoder (input spike trains are generated on the host and fed to 'input')"})
    write_graph(graph, path)
    return path


def ttfs_networks(task: Task) -> dict[str, "TTFSNetwork"]:  # noqa: F821
    """The single-spike IF networks of a TTFS run: {"model": classifier} or {"generator", "discriminator"}."""
    if hasattr(task, "generator"):
        return {"generator": task.generator, "discriminator": task.discriminator}
    return {"model": task.model}


def export_ttfs(task: Task, config: dict, run_name: str, provenance: dict, export_root: Path) -> Path:
    """One NIR graph per single-spike IF network (IF nodes; refractory period and single-spike behaviour in
    each node's metadata); returns the folder. The GAN's training loop and the TTFS coder stay on the host."""
    steps = config["ttfs"]["steps"]
    folder = export_root / run_name
    for name, net in ttfs_networks(task).items():
        write_graph(layers_to_nir(net.layer_specs(TRAINING_DT), TRAINING_DT, {
            "model": config["model"]["kind"], "network": name, "run": run_name, "steps": steps,
            "git_commit": provenance.get("git_commit", "unknown"),
            "checkpoint_sha256": provenance["checkpoint_sha256"],
            "host_side": f"TTFS encoder: value p in [0, 1] spikes once at step floor({steps}·(1 − p)) (p = 0 never); "
                         f"outputs decode as p = 1 − t/{steps}; the GAN's adversarial loop is not part of the graph"}),
            folder / f"{name}.nir")
    return folder
