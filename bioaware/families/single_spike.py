"""What the two time-to-first-spike families share: one NIR graph per single-spike IF network."""

from __future__ import annotations

from pathlib import Path

from bioaware.core.timebase import TRAINING_DT
from bioaware.interchange.to_nir import layers_to_nir, write_graph
from bioaware.train.tasks import Task


def ttfs_networks(task: Task) -> dict:
    """The single-spike IF networks of a TTFS task: {"model": classifier} or {"generator", "discriminator"}."""
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
