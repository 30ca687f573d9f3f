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


@pytest.mark.slow
def test_a_simulation_split_over_workers_gives_the_single_process_spikes(tiny_trained_run):
    """The trained tiny autoencoder's first 30 test images on cpp_standalone: in one process, and in three shards on a
    LocalCluster of three workers (each compiling its own project): the same spikes in every layer, image by image."""
    import numpy as np

    from bioaware.brian.network import simulate
    from bioaware.brian.sharded import simulate_on_cluster
    from bioaware.core.timebase import TRAINING_DT
    from bioaware.families.export import trained_test_spikes

    task, _, spikes = trained_test_spikes(tiny_trained_run, 30)
    layers = task.model.layer_specs()
    x = spikes.numpy()
    one = simulate(layers, TRAINING_DT, x, 0.1 * TRAINING_DT, device="cpp_standalone", max_copies=8)
    split = simulate_on_cluster(layers, TRAINING_DT, x, 0.1 * TRAINING_DT, "local:3", device="cpp_standalone",
                                max_copies=8)
    assert split.shards == 3 and split.copies == 8
    for layer in ("hidden", "reconstruction"):
        expected = one.counts(layer, x.shape[0], TRAINING_DT)
        assert expected.sum() > 0 and np.array_equal(split.counts(layer, x.shape[0], TRAINING_DT), expected), layer


def test_simulate_refuses_a_cluster_for_a_nir_file(tmp_path, capsys):
    from bioaware.cli import main

    graph = tmp_path / "g.nir"
    graph.write_bytes(b"")
    assert main(["simulate", str(graph), "--cluster", "local:2"]) == 2
    assert "--cluster splits a run's test images" in capsys.readouterr().err


@pytest.mark.slow
def test_a_run_whose_worker_dies_resumes_from_its_checkpoint(tmp_path, write_toml):
    """The worker process training a cell is killed (SIGKILL) after the run's first checkpoint: Dask runs the cell
    again on the restarted worker, and it resumes to the results of an uninterrupted run."""
    import os
    import signal
    import threading
    import time

    import psutil

    from bioaware.families.sweep import sweep

    config = write_toml(TINY.replace("train_limit = 64", "train_limit = 1600").replace("hidden = 8", "hidden = 64")
                        .replace("steps = 5", "steps = 15").replace("batch_size = 32", "batch_size = 32\nepochs = 6\n"
                                                                      "checkpoint_every = 10"))
    reference = sweep(config, ["model.leak=0.1"], out_root=tmp_path / "here")[0]
    run = tmp_path / "dask" / "cfg_leak0p1"
    done = {}
    thread = threading.Thread(target=lambda: done.update(
        runs=sweep(config, ["model.leak=0.1"], out_root=tmp_path / "dask", cluster="local:1")))
    thread.start()
    deadline = time.monotonic() + 120
    while not (run / "snn.ckpt").is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    def holds_the_lock(process) -> bool:
        try:
            return any(f.path == str(run / ".lock") for f in process.open_files())
        except psutil.Error:
            return False

    worker = next(p for p in psutil.process_iter() if p.pid != os.getpid() and holds_the_lock(p))
    os.kill(worker.pid, signal.SIGKILL)  # the Dask worker training the run
    thread.join(300)
    assert done["runs"] == [run]
    assert "resuming from" in (run / "train.log").read_text()
    assert json.loads((run / "results.json").read_text())["results"] == \
        json.loads((reference / "results.json").read_text())["results"]
