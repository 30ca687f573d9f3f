"""Model families: the registry that maps each `model.kind` to the family that builds, checks and exports it.

A new family is one module here with a `FAMILY` (see `bioaware.families.base.Family`) and one line below.
"""

from __future__ import annotations

from pathlib import Path

from bioaware.core.config import Config, config_from_dict, read_config
from bioaware.core.errors import BioawareError
from bioaware.families import (audiocoder, rate_autoencoder, spiking_gan, spiking_vae, temporal_autoencoder,
                               ttfs_classifier)
from bioaware.families.base import Family

FAMILIES: dict[str, Family] = {f.name: f for f in (
    rate_autoencoder.FAMILY, temporal_autoencoder.FAMILY, ttfs_classifier.FAMILY, spiking_gan.FAMILY,
    spiking_vae.FAMILY, audiocoder.FAMILY)}
KINDS: dict[str, Family] = {kind: family for family in FAMILIES.values() for kind in family.kinds}


def family_of(cfg: Config) -> Family:
    return KINDS[cfg.model.kind]


def load_data(cfg: Config):
    """The data `cfg`'s tasks train and are tested on, as its family loads it."""
    return family_of(cfg).load_data(cfg)


def checked_config(raw: dict, source: str = "<config>") -> Config:
    """A config dict validated by its sections, then by its model family."""
    cfg = config_from_dict(raw, source)
    if cfg.model.kind not in KINDS:
        raise BioawareError(f"{source}: model.kind = {cfg.model.kind!r} is not one of {tuple(KINDS)}")
    family = family_of(cfg)
    if cfg.data.dataset not in family.datasets:
        raise BioawareError(f"{source}: data.dataset = {cfg.data.dataset!r} is not for model.kind = "
                            f"{cfg.model.kind!r}; use one of {family.datasets}")
    defaults = Config()
    for other in FAMILIES.values():
        for key in set(other.settings) - set(family.settings):
            section, name = key.split(".")
            if getattr(getattr(cfg, section), name) != getattr(getattr(defaults, section), name):
                users = ", ".join(f.name for f in FAMILIES.values() if key in f.settings)
                raise BioawareError(f"{source}: {key} is a setting of {users}; remove it for model.kind = "
                                    f"{cfg.model.kind!r}")
    family.validate(cfg, source)
    return cfg


def load_config(path: str | Path, overrides: list[str] = ()) -> Config:
    """Read and validate a TOML run config (plus `--set` overrides); the run name defaults to the file's stem."""
    raw, source = read_config(path, overrides)
    cfg = checked_config(raw, source)
    if cfg.run.name and (Path(cfg.run.name).name != cfg.run.name or cfg.run.name in (".", "..")):
        raise BioawareError(f"{path}: run.name = {cfg.run.name!r} must be a plain name (no folders: it names the run "
                            "directory beside the config); use --out for another place")
    if not cfg.run.name:
        cfg.run.name = Path(path).stem
    return cfg
