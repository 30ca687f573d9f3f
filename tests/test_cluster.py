"""Sweeps on a real Dask LocalCluster (worker processes on this machine): the same runs and results as the
sequential sweep, a failing cell reported while the others finish, and clear errors for a bad --cluster."""

import json

import pytest

pytest.importorskip("distributed", reason="Dask (dask[distributed]) is not installed")

TINY = ('[data]\ndataset = "mnist_5k"\ntrain_limit = 64\ntest_limit = 32\n'
        '[model]\nkind = "roy_ae"\nhidden = 8\nsteps = 5\n[train]\nbatch_size = 32\n')


@pytest.mark.slow
def test_a_sweep_on_a_local_cluster_trains_what_the_sequential_sweep_trains(tmp_path, write_toml):
    from bioaware.families.sweep import results_table, sweep

    config = write_toml(TINY)
    sequential = sweep(config, ["model.hidden=4,8"], out_root=tmp_path / "here")
    clustered = sweep(config, ["model.hidden=4,8"], out_root=tmp_path / "dask", cluster="local:2")
    assert [r.name for r in clustered] == [r.name for r in sequential] == ["cfg_hidden4", "cfg_hidden8"]
    assert results_table(clustered) == results_table(sequential)
    for a, b in zip(sequential, clustered):
        assert json.loads((a / "results.json").read_text())["results"] == \
            json.loads((b / "results.json").read_text())["results"]


@pytest.mark.slow
def test_a_failing_cell_is_reported_and_the_others_finish(tmp_path, write_toml):
    from bioaware.core.errors import BioawareError
    from bioaware.families.sweep import sweep

    nowhere = 'dataset = "mnist_5k"\nroot = "nowhere"\ndownload = false'
    config = write_toml(TINY.replace('dataset = "mnist_5k"', nowhere))
    with pytest.raises(BioawareError, match="1 of 2 sweep runs failed: .*cfg_datasetmnist$"):
        sweep(config, ["data.dataset=mnist_5k,mnist"], out_root=tmp_path / "runs", cluster="local:2")
    assert (tmp_path / "runs" / "cfg_datasetmnist_5k" / "results.json").is_file()
    assert "data.root 'nowhere' does not exist" in (tmp_path / "runs" / "cfg_datasetmnist" / "train.log").read_text()


@pytest.mark.parametrize("spec, message", [("lokal", "give local, local:N or a scheduler address"),
                                           ("local:0", "at least 1"),
                                           ("tcp://127.0.0.1:9", "no Dask scheduler answers there")])
def test_cluster_addresses_are_checked(spec, message):
    from bioaware.core.cluster import open_client
    from bioaware.core.errors import BioawareError

    with pytest.raises(BioawareError, match=message):
        open_client(spec)
