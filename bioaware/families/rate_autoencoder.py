"""Rate-coded autoencoders (Roy et al. 2019): the LIF model `roy_ae`, the convolutional IF model `conv_if_ae`
(Speck-valid) and the ANN `ann_ae`; Bernoulli/Poisson input spikes, masked membrane loss."""

from __future__ import annotations

from pathlib import Path

from bioaware.core.config import Config, TrainSection, positive_ints
from bioaware.core.errors import BioawareError
from bioaware.families.ann_baselines import ann_baselines, mse_table
from bioaware.core.timebase import TRAINING_DT
from bioaware.families.base import Family
from bioaware.interchange.to_nir import layers_to_nir, write_graph
from bioaware.train.summary import PAPER
from bioaware.train.tasks import AnnAutoencoderTask, SpikingAutoencoderTask, Task


def build_tasks(cfg: Config) -> list[tuple[Task, TrainSection]]:
    """The configured autoencoder, then its ANN baselines."""
    m, t = cfg.model, cfg.train
    main = AnnAutoencoderTask(m, t.optimizer, t.lr, t.weight_decay, f"ann_{t.optimizer}", noise=t.noise) \
        if m.kind == "ann_ae" else SpikingAutoencoderTask(m, t)
    return [(main, t)] + ann_baselines(cfg)


def validate(cfg: Config, source: str) -> None:
    m = cfg.model
    if m.kind == "conv_if_ae" and not positive_ints(m.channels):
        raise BioawareError(f"{source}: model.channels must be a list of positive integers, e.g. [8, 2, 8]")
    if m.kind == "conv_if_ae" and (m.kernel_size % 2 == 0 or m.kernel_size > 16):
        raise BioawareError(f"{source}: model.kernel_size must be odd and at most 16 (Speck's limit)")
    if m.kind == "conv_if_ae" and cfg.train.update != "bptt":
        raise BioawareError(f"{source}: model.kind = 'conv_if_ae' trains with train.update = 'bptt' only")
    if cfg.train.device == "cuda" and m.kind in ("roy_ae", "conv_if_ae"):
        raise BioawareError(f"{source}: train.device = 'cuda' is for comsa_ae and ann_ae models; "
                            f"{m.kind} trains on the cpu")
    b = cfg.baselines
    if m.kind == "ann_ae" and (b.ann_sgd or b.ann_adam or b.ann_adam_inverted):
        raise BioawareError(f"{source}: [baselines] trains ANNs beside a spiking model; "
                            f"for model.kind = {m.kind!r} set train.optimizer instead")


def export(task: Task, config: dict, run_name: str, provenance: dict, export_root: Path) -> Path:
    """One graph of LIF (or IF) layers at the training step; the rate encoder stays on the host."""
    m = config["model"]
    path = export_root / run_name / "model.nir"
    write_graph(layers_to_nir(task.model.layer_specs(), TRAINING_DT, {
        "model": m["kind"], "run": run_name, "steps": m["steps"], "encoder": m["encoder"],
        "max_rate": m["max_rate"], "surrogate_slope": m["surrogate_slope"],
        "git_commit": provenance.get("git_commit", "unknown"), "checkpoint_sha256": provenance["checkpoint_sha256"],
        "host_side": "rate encoder (input spike trains are generated on the host and fed to 'input')"}), path)
    return path


FAMILY = Family(
    name="rate_autoencoder", kinds=("roy_ae", "conv_if_ae", "ann_ae"), page="docs/rate_autoencoder.md",
    build_tasks=build_tasks, validate=validate, export=export, results_table=mse_table,
    paper="Roy et al. 2019, Table 1 (test MSE): " + "; ".join(
        f"{data} {hidden} {model}: {mse}" for (data, hidden, model), mse in PAPER.items()))
