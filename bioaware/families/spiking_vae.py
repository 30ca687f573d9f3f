"""Fully Spiking VAE (Kamata, Mukuta & Harada 2022), `fsvae`: convolutional LIF encoder and decoder, autoregressive
Bernoulli latent spikes, prior matched to the posterior on PSP-filtered firing probabilities."""

from __future__ import annotations

from pathlib import Path

from bioaware.core.config import Config, FSVAESection, TrainSection, is_number, positive_ints
from bioaware.core.errors import BioawareError
from bioaware.data.datasets import IMAGE_SHAPE
from bioaware.families.base import Family, require_exact_training
from bioaware.train.fsvae import AnnVAETask, FSVAETask
from bioaware.train.tasks import Task

IMAGE_SIDE = 32  # the model's input side (MNIST is padded to it)


def build_tasks(cfg: Config) -> list[tuple[Task, TrainSection]]:
    """The FSVAE, then (with baselines.ann_vae) the ANN VAE of the same architecture and training settings."""
    shape = IMAGE_SHAPE[cfg.data.dataset]
    tasks: list[tuple[Task, TrainSection]] = [(FSVAETask(cfg.fsvae, cfg.train, shape=shape), cfg.train)]
    if cfg.baselines.ann_vae:
        tasks.append((AnnVAETask(cfg.fsvae, cfg.train, shape=shape), cfg.train))
    return tasks


def validate(cfg: Config, source: str) -> None:
    channels = cfg.fsvae.channels
    if not positive_ints(channels) or IMAGE_SIDE % 2 ** len(channels):
        raise BioawareError(f"{source}: fsvae.channels must be 1 to 5 positive integers (each convolution halves the "
                            f"{IMAGE_SIDE}×{IMAGE_SIDE} image), e.g. [32, 64, 128, 256]; got {channels!r}")
    if not 0.0 <= cfg.fsvae.tau < 1.0 or not 0.0 < cfg.fsvae.readout_decay <= 1.0:
        raise BioawareError(f"{source}: fsvae.tau must be in [0, 1) and fsvae.readout_decay in (0, 1]")
    schedule = cfg.fsvae.scheduled_sampling
    if not (isinstance(schedule, list) and len(schedule) == 2 and all(is_number(v) and 0 <= v <= 1 for v in schedule)):
        raise BioawareError(f"{source}: fsvae.scheduled_sampling must be two probabilities [first, last] in [0, 1], "
                            f"e.g. [0.1, 0.3] ([0, 0]: teacher forcing only); got {schedule!r}")
    require_exact_training(cfg, source)


SAMPLER = ("host side, between steps: for each of the C latent channels, one of its k output spikes of the "
           "posterior (or prior) graph at step t, picked uniformly at random, is z[t]; z[t] is the decoder's input "
           "at step t and the posterior's and prior's second input at step t + 1 (z before the first step: 0)")


def export(task: Task, config: dict, run_name: str, provenance: dict, export_root: Path) -> Path:
    """Four NIR graphs at the training step, tdBN folded in: encoder (analog image → x^E), posterior, prior and
    decoder (z → readout membrane); returns the folder. The sampler between them stays on the host."""
    from bioaware.core.timebase import TRAINING_DT
    from bioaware.interchange.to_nir import layers_to_nir, write_graph
    from bioaware.models.fsvae_layers import decoder_layers, encoder_layers, mlp_layers

    model, fs = task.model, config["fsvae"]
    common = {"model": "fsvae", "run": run_name, "steps": fs["steps"], "latent": fs["latent"], "k": fs["k"],
              "git_commit": provenance.get("git_commit", "unknown"),
              "checkpoint_sha256": provenance["checkpoint_sha256"], "sampler": SAMPLER}
    graphs = {
        "encoder": (encoder_layers(model), True, "the image, 32×32 in [−1, 1] (28×28 images padded by 2 with −1), "
                    "is a constant current at every step; 'latent' spikes are x^E"),
        "posterior": (mlp_layers(model.posterior), False,
                      f"input: [x^E[t], z[t−1]] ({2 * fs['latent']} channels); output: k·C spikes, channel c·k + j"),
        "prior": (mlp_layers(model.prior), False,
                  f"input: z[t−1] ({fs['latent']} channels); output: k·C spikes, channel c·k + j"),
        "decoder": (decoder_layers(model), False, "input: z[t]; image = tanh(v of 'readout' at the last step), "
                    "after the input and before the next step's decay"),
    }
    folder = export_root / run_name
    for name, (layers, analog, role) in graphs.items():
        write_graph(layers_to_nir(layers, TRAINING_DT, {**common, "network": name, "role": role}, analog),
                    folder / f"{name}.nir")
    return folder


def results_table(results: dict) -> str:
    rows = [f"  {'model':<10} {'MSE [-1,1]':>11} {'MSE [0,1]':>10} {'latent rate':>12} {'FD classifier':>14} "
            f"{'FD autoencoder':>15} {'recognised':>11}"]
    for phase, r in results.items():
        rate = f"{r['hidden_spiking_fraction']:.3f}" if "hidden_spiking_fraction" in r else "-"
        quality = [f"{r[key]:.{digits}f}" if key in r else "-" for key, digits in
                   (("sample_frechet", 2), ("sample_frechet_autoencoder", 2), ("sample_recognised", 3))]
        rows.append(f"  {phase:<10} {r['mse_pm1']:>11.4f} {r['pixel_mse']:>10.4f} {rate:>12} {quality[0]:>14} "
                    f"{quality[1]:>15} {quality[2]:>11}")
    return "\n".join(rows)


FAMILY = Family(
    name="spiking_vae", kinds=("fsvae",), page="docs/fsvae.md", build_tasks=build_tasks, validate=validate,
    export=export, results_table=results_table,
    settings=(*(f"fsvae.{name}" for name in FSVAESection.__dataclass_fields__), "baselines.ann_vae"),
    sweep_metrics=("mse_pm1", "sample_frechet", "sample_frechet_autoencoder"),
    datasets=(*Family.datasets, "cifar10"),
    paper="Kamata et al. 2022, Table 1 (reconstruction MSE on [-1, 1]): MNIST 0.031, Fashion-MNIST 0.031, "
          "CIFAR-10 0.066")
