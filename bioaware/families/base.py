"""What a model family provides: the `model.kind` values it answers to, its own config checks and settings,
its training tasks, its NIR export and its console table of test metrics."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from bioaware.core.config import Config, TrainSection
from bioaware.core.errors import BioawareError
from bioaware.data.datasets import load_images

if TYPE_CHECKING:
    from bioaware.train.tasks import Task


def configured_images(cfg: Config):
    """The data of the image families: the configured image dataset."""
    return load_images(cfg.data)


@dataclass(frozen=True)
class Family:
    """One model family (registered in `bioaware.families.FAMILIES`).

    `settings` are the config keys ("section.key") that only this family uses (the TTFS classifier and the
    Spiking-GAN share some): set for a kind of another family, the config is refused.
    `export(task, config, run name, provenance, export_root)` writes the run's NIR graph(s) and returns the path.
    `load_data(config)` gives what its tasks train and are tested on (`train_x`, `train_y`, `test_x`, `test_y`,
    `test_images`: the image each test input should give back, `source`, `shape`).
    """

    name: str
    kinds: tuple[str, ...]
    page: str  # its page in docs/
    build_tasks: Callable[[Config], list[tuple["Task", TrainSection]]]
    validate: Callable[[Config, str], None]
    export: Callable[["Task", dict, str, dict, Path], Path]
    results_table: Callable[[dict], str]
    settings: tuple[str, ...] = ()  # "section.key" of the settings only this family uses
    paper: str = ""  # the published figures its results.json is written beside
    sweep_metrics: tuple[str, ...] = ("pixel_mse",)  # test metrics `bioaware sweep` plots against its grid
    datasets: tuple[str, ...] = ("mnist", "fashion_mnist", "mnist_5k")  # the data.dataset values it trains on
    load_data: Callable[[Config], object] = configured_images


def require_exact_training(cfg: Config, source: str) -> None:
    """The families trained by backpropagation through the whole window, on clean inputs."""
    if cfg.train.update != "bptt" or cfg.train.noise:
        raise BioawareError(f"{source}: model.kind = {cfg.model.kind!r} trains with train.update = 'bptt' "
                            "and no train.noise")
