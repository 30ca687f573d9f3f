"""Audio → image synthesis (Roy, Panda & Roy 2019, section 3.2), `audiocoder`: a spiking audiocoder maps a spoken
digit's rate-coded spectrogram to a frozen MNIST autoencoder's hidden spike code; the autoencoder's decoder layer
draws the digit. ANN audiocoders (SGD, Adam) on a quantised ANN code train beside it."""

from __future__ import annotations

from pathlib import Path

from bioaware.core.config import Config, TrainSection
from bioaware.core.errors import BioawareError
from bioaware.core.timebase import TRAINING_DT
from bioaware.data.audio_pairs import load_audio_pairs
from bioaware.families.base import Family
from bioaware.interchange.to_nir import layers_to_nir, write_graph
from bioaware.train.audiocoder import audiocoder_tasks
from bioaware.train.tasks import Task

PAPER = {"A": 0.254, "B": 0.543}  # Roy et al. 2019, TI-46 digits: the SNN audiocoder's normalised MSE


def load_data(cfg: Config):
    return load_audio_pairs(cfg.data, cfg.audio, cfg.run.seed)


def build_tasks(cfg: Config) -> list[tuple[Task, TrainSection]]:
    return audiocoder_tasks(cfg)


def validate(cfg: Config, source: str) -> None:
    if cfg.train.update != "bptt" or cfg.train.noise or cfg.train.device != "cpu":
        raise BioawareError(f"{source}: model.kind = 'audiocoder' trains on the cpu with train.update = 'bptt' and "
                            "no train.noise")
    if cfg.model.steps < cfg.audio.hidden_steps:
        raise BioawareError(f"{source}: model.steps ({cfg.model.steps}) must be at least audio.hidden_steps "
                            f"({cfg.audio.hidden_steps}): the target code repeats over the audiocoder's window")


def export(task: Task, config: dict, run_name: str, provenance: dict, export_root: Path) -> Path:
    """One graph audio → image: the audiocoder's two LIF layers and the autoencoder's decoder layer, at the training
    step; the filterbank and the rate encoder stay on the host."""
    m, audio = config["model"], config["audio"]
    path = export_root / run_name / "model.nir"
    write_graph(layers_to_nir(task.model.layer_specs(), TRAINING_DT, {
        "model": m["kind"], "run": run_name, "steps": m["steps"], "encoder": m["encoder"],
        "max_rate": m["max_rate"], "surrogate_slope": m["surrogate_slope"],
        "spectrogram": {k: audio[k] for k in ("channels", "frames", "seconds")},
        "autoencoder": audio["autoencoder"], "autoencoder_sha256": task.autoencoder.sha256,
        "git_commit": provenance.get("git_commit", "unknown"), "checkpoint_sha256": provenance["checkpoint_sha256"],
        "host_side": "mel filterbank spectrogram (channel-major, channels × frames in [0, 1]) and its rate encoder: "
                     "input spike trains are generated on the host and fed to 'input'; the image is the spike count "
                     "of 'reconstruction'"}), path)
    return path


def results_table(results: dict) -> str:
    rows = [f"  {'model':<16} {'MSE (A)':>8} {'MSE (B)':>8} {'recognised':>10} {'read as said':>12}"]
    for phase, r in results.items():
        if "mse_nearest_of_label" not in r:  # the ANN image code: an autoencoder's own reconstruction
            rows.append(f"  {phase:<16} {r['mse']:>8.4f} {'-':>8} {'-':>10} {'-':>12}")
            continue
        rows.append(f"  {phase:<16} {r['mse']:>8.4f} {r['mse_nearest_of_label']:>8.4f} {r['recognised']:>10.3f} "
                    f"{r['read_as_spoken']:>12.3f}")
    return "\n".join(rows)


FAMILY = Family(
    name="audiocoder", kinds=("audiocoder",), page="docs/audiocoder.md", build_tasks=build_tasks, validate=validate,
    export=export, results_table=results_table, load_data=load_data, datasets=("fsdd", "tone_digits"),
    settings=tuple(f"audio.{key}" for key in ("autoencoder", "images", "pairing", "split", "test_fraction",
                                                "hidden_steps", "channels", "frames", "seconds", "tone_clips")),
    sweep_metrics=("mse", "mse_nearest_of_label", "recognised"),
    paper=f"Roy et al. 2019, section 3.2 (TI-46): SNN audiocoder normalised MSE, dataset A {PAPER['A']}, "
          f"dataset B {PAPER['B']}")

