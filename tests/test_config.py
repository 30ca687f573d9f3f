import pytest

from bioaware.families import load_config
from bioaware.core.errors import BioawareError


def test_defaults_and_name_from_file(write_toml):
    cfg = load_config(write_toml("[model]\nhidden = 32\n", "tiny_run.toml"))
    assert cfg.run.name == "tiny_run"
    assert cfg.model.hidden == 32
    assert cfg.model.steps == 15 and cfg.train.mask is True


def test_int_accepted_for_float(write_toml):
    assert load_config(write_toml("[train]\nlr = 1\n")).train.lr == 1.0


@pytest.mark.parametrize("text, message", [
    ("[model\nhidden = 3", "malformed TOML"),
    ("[model]\nhiden = 3\n", "unknown key 'model.hiden'"),
    ("[modle]\nhidden = 3\n", "unknown section [modle]"),
    ("[model]\nhidden = '3'\n", "model.hidden must be int"),
    ("[train]\nmask = 1\n", "train.mask must be bool"),
    ("[train]\nupdate = 'sometimes'\n", "train.update = 'sometimes' is not one of"),
    ("[model]\nsteps = 0\n", "model.steps must be > 0"),
    ("[model]\nleak = 1.5\n", "model.leak must be in [0, 1)"),
    ("[model]\nkind = 'ann_ae'\n[baselines]\nann_sgd = true\n", "[baselines] trains ANNs beside a spiking model"),
])
def test_bad_configs_name_file_and_problem(write_toml, text, message):
    path = write_toml(text)
    with pytest.raises(BioawareError) as err:
        load_config(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file():
    with pytest.raises(BioawareError, match="config file not found"):
        load_config("no/such/config.toml")


def test_overrides(write_toml):
    path = write_toml("[model]\nhidden = 32\n")
    cfg = load_config(path, ["run.seed=3", "model.leak=0.2", "data.dataset=fashion_mnist", "train.mask=false"])
    assert (cfg.run.seed, cfg.model.leak, cfg.data.dataset, cfg.train.mask) == (3, 0.2, "fashion_mnist", False)
    with pytest.raises(BioawareError, match="unknown key 'model.hiden'"):
        load_config(path, ["model.hiden=3"])
    with pytest.raises(BioawareError, match="expected section.key=value"):
        load_config(path, ["seed"])
