"""`bioaware sweep`: one run config trained at every point of a grid of overrides, in parallel processes,
then one table of the test metrics of every run and model."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bioaware.families import load_config
from bioaware.core.errors import BioawareError
from bioaware.core.log import info


def parse_axis(text: str) -> tuple[str, list[str]]:
    """'section.key=v1,v2' → ('section.key', ['v1', 'v2'])."""
    key, sep, values = text.partition("=")
    if not sep or "." not in key or not values:
        raise BioawareError(f"--grid {text!r}: expected section.key=v1,v2,…, e.g. --grid model.hidden=8,16,32")
    return key.strip(), [v.strip() for v in values.split(",")]


def point_name(base: str, point: dict[str, str]) -> str:
    """runs/<base>_hidden8_noise0p2: the key's last part and the value, '.' written 'p'."""
    tags = [f"{k.rsplit('.', 1)[1]}{v.replace('.', 'p').replace('-', 'm')}" for k, v in point.items()]
    return "_".join([base] + tags)


def sweep(config: Path, axes: list[str], sets: list[str] = (), jobs: int = 1,
          out_root: Path | None = None, cluster: str | None = None) -> list[Path]:
    """Train `config` at every grid point (`--set` overrides in `sets` apply to all); returns the run directories.

    Each point runs `bioaware train` in its own process (log: <run>/train.log), `jobs` at a time here, or as one
    task each on a Dask `cluster` (`bioaware.core.cluster`), trained inside the worker process, which keeps its
    imports from run to run (a task whose worker dies runs again elsewhere and resumes from the run's checkpoint); a
    point that fails is reported and the others go on; an interrupted sweep resumes from every run's checkpoint.
    """
    base = load_config(config, list(sets))
    grid = dict(parse_axis(a) for a in axes)
    points = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    for point in points:  # every override must validate before anything trains
        load_config(config, list(sets) + [f"{k}={v}" for k, v in point.items()])
    root = Path(out_root) if out_root else Path(config).parent
    text = Path(config).read_text()
    cells = [(text, str(root / point_name(base.run.name, point)), list(sets) + [f"{k}={v}" for k, v in point.items()])
             for point in points]
    if cluster:
        done = _on_cluster(cells, cluster)
    else:
        info(f"sweep: {len(points)} runs of {config}, {jobs} at a time")
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            done = list(pool.map(lambda cell: train_cell(*cell), cells))
    for run_dir, code in done:
        info(f"{Path(run_dir).name}: done" if code == 0 else
             f"{Path(run_dir).name}: failed (exit {code}), see {Path(run_dir) / 'train.log'}")
    failed = [d for d, code in done if code]
    if failed:
        raise BioawareError(f"{len(failed)} of {len(points)} sweep runs failed: {', '.join(failed)}")
    return [Path(d) for d, _ in done]


def train_cell(config_text: str, run_dir: str, assignments: list[str], threads: int | None = None
               ) -> tuple[str, int]:
    """One grid point: its config (the text: nothing else is shipped to a worker) written into the run directory,
    trained there by `bioaware train` in a process of its own; returns (run directory, exit code).

    On Linux the training process gets SIGTERM when the process that started it dies (it saves a checkpoint after
    its batch and exits), and a cell first waits for the run directory to be free, so that a sweep started again at
    once resumes from that checkpoint."""
    from bioaware.core.rundir import RunDir

    path = Path(run_dir)
    path.mkdir(parents=True, exist_ok=True)
    RunDir(path).wait_until_free(120.0)
    (path / "sweep_config.toml").write_text(config_text)
    command = [sys.executable, "-m", "bioaware.cli", "train", str(path / "sweep_config.toml"), "--out", run_dir,
               "--set", f"run.name={json.dumps(path.name)}"]
    for assignment in assignments:
        command += ["--set", assignment]
    env = {**os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
    with open(path / "train.log", "a") as log:
        return run_dir, subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                       preexec_fn=_end_with_parent if sys.platform == "linux" else None).returncode


def train_in_worker(config_text: str, run_dir: str, assignments: list[str], threads: int | None = None
                    ) -> tuple[str, int]:
    """One grid point trained in this (worker) process, its output in <run>/train.log: what `train_cell` does,
    without a new process's start-up. A worker that dies takes the training with it, and the lock with it; the
    task's rerun resumes from the run's checkpoint. Returns (run directory, 0, or 2 for a refused run)."""
    import contextlib
    import traceback

    import torch

    from bioaware.core.errors import BioawareError
    from bioaware.core.memory import reuse_freed_memory
    from bioaware.families.runs import run_training

    reuse_freed_memory()
    path = Path(run_dir)
    path.mkdir(parents=True, exist_ok=True)
    (path / "sweep_config.toml").write_text(config_text)
    with open(path / "train.log", "a") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        if threads:
            torch.set_num_threads(threads)
        try:
            cfg = load_config(path / "sweep_config.toml", list(assignments) + [f"run.name={json.dumps(path.name)}"])
            run_training(cfg, path)
            return run_dir, 0
        except BioawareError as exc:
            print(f"bioaware: error: {exc}")
            return run_dir, 2
        except Exception:  # reported in the run's log, as `bioaware train` would print it
            traceback.print_exc()
            return run_dir, 1


def _end_with_parent() -> None:
    """In the training process before it starts (Linux): SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG)."""
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def _on_cluster(cells: list[tuple], spec: str) -> list[tuple[str, int]]:
    """Every cell as a Dask task, with a live line of runs done, failed and running; results in grid order."""
    from distributed import as_completed
    from tqdm.auto import tqdm

    from bioaware.core.cluster import open_client

    client, threads = open_client(spec)
    with client:
        info(f"sweep: {len(cells)} runs on {spec} ({len(client.scheduler_info()['workers'])} workers)")
        futures = [client.submit(train_in_worker, *cell, threads, key=f"sweep-{Path(cell[1]).name}", pure=False,
                                 retries=2) for cell in cells]
        codes, failed = {}, 0
        with tqdm(total=len(cells), desc="sweep", unit="run") as bar:
            for future, (run_dir, code) in as_completed(futures, with_results=True):
                codes[run_dir] = code
                failed += code != 0
                bar.update()
                bar.set_postfix(failed=failed, running=len(cells) - len(codes))
    return [(cell[1], codes[cell[1]]) for cell in cells]


def headline(result: dict, metric: str = "pixel_mse") -> str:
    """One phase's headline test figure: `metric` (else 'mse', else classifier accuracy), or a GAN's
    recognised fraction and Fréchet distance."""
    if "frechet" in result:
        return f"{result['recognised']:.3f} recognised, FD {result['frechet']:.1f}"
    value = next((result[k] for k in (metric, "mse", "accuracy") if result.get(k) is not None), None)
    return "-" if value is None else f"{value:.4f}"


def results_table(run_dirs: list[Path], metric: str = "pixel_mse") -> str:
    """Markdown: one row per run, one column per model phase, each phase's `headline` figure."""
    rows = []
    for d in run_dirs:
        path = Path(d) / "results.json"
        results = json.loads(path.read_text())["results"] if path.is_file() else {}
        rows.append((Path(d).name, {p: headline(r, metric) for p, r in results.items()}))
    phases = list(dict.fromkeys(p for _, r in rows for p in r))
    lines = ["| run | " + " | ".join(phases) + " |", "|---|" + "---|" * len(phases)]
    for name, r in rows:
        lines.append(f"| {name} | " + " | ".join(r.get(p, "-") for p in phases) + " |")
    return "\n".join(lines)


def sweep_figure(run_dirs: list[Path], axes: list[str], metrics: tuple[str, ...], path: Path,
                 phase: str = "snn") -> None:
    """One panel per test metric of `phase` against the first grid axis, one line per value of the second (each
    run's values read from its config.json); runs without results are left out."""
    from bioaware.core.figures import plt, save_figure

    keys = [parse_axis(a)[0] for a in axes]
    points = []
    for d in run_dirs:
        config, results = (Path(d) / "config.json"), (Path(d) / "results.json")
        if config.is_file() and results.is_file():
            values = json.loads(config.read_text())
            result = json.loads(results.read_text())["results"].get(phase, {})
            points.append(([values[k.split(".")[0]][k.split(".")[1]] for k in keys], result))
    fig, axs = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axs[0], metrics):
        lines = sorted({tuple(v[1:]) for v, _ in points})
        for line in lines:
            xy = sorted((v[0], r[metric]) for v, r in points if tuple(v[1:]) == line and metric in r)
            label = ", ".join(f"{k.split('.')[1]} = {v}" for k, v in zip(keys[1:], line)) or phase
            ax.plot([x for x, _ in xy], [y for _, y in xy], "o-", label=label)
        ax.set(xlabel=keys[0].split(".")[1], ylabel=metric, title=metric)
        ax.legend(fontsize=7)
    save_figure(fig, path)
