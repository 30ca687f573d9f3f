"""Run directories: resolved config, provenance, metrics (JSON lines), checkpoints, figures.

Every file but the metrics is written to a temporary name in the same folder and renamed into place, so an
interrupted run never leaves a half-written file behind; the metrics grow one synced line at a time (a line
cut off by a crash is dropped on resume). One process at a time writes a run directory (`RunDir.lock`).
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from bioaware.core.errors import BioawareError
from bioaware.core.log import info

STALE_TMP_SECONDS = 3600  # a temporary file this old belongs to no running write
PACKAGES = ("bioaware", "torch", "torchvision", "norse", "nir", "nirtorch", "brian2", "numpy", "matplotlib")


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` on a temporary file next to `path`, then rename it to `path`. Temporary files of
    `path` that a killed process left behind (more than an hour old) are removed first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        if time.time() - stale.stat().st_mtime > STALE_TMP_SECONDS:
            stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_writable(folder: Path) -> Path:
    """Create `folder` and write (then remove) a file in it: a read-only or missing place fails here, with an
    OSError naming it, before any long computation whose results would go there."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass
    return folder


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text))


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> str:
    """The commit of the bioaware source tree (with '+dirty' for local changes), or 'unknown'."""
    src = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=src, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=src,
                               capture_output=True, text=True).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class RunDir:
    """`runs/<name>/`: config.json, provenance.json, metrics.jsonl, results.json, *.ckpt, figures/."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.figures = self.path / "figures"
        self.figures.mkdir(parents=True, exist_ok=True)

    @property
    def metrics_file(self) -> Path:
        return self.path / "metrics.jsonl"

    def checkpoint(self, phase: str) -> Path:
        return self.path / f"{phase}.ckpt"

    def write_json(self, name: str, obj: Any) -> None:
        atomic_write_text(self.path / name, json.dumps(obj, indent=2, sort_keys=True) + "\n")

    def read_json(self, name: str) -> Any:
        return json.loads((self.path / name).read_text())

    @contextmanager
    def lock(self):
        """Hold the run directory for this process (an exclusive lock on `.lock`, which the system releases
        when the process ends, however it ends); another holder is an error naming its pid."""
        handle = open(self.path / ".lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise BioawareError(f"{self.path}: another bioaware process (pid {holder}) is writing this run "
                                "directory; wait for it to finish or stop it") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield self
        finally:
            handle.close()

    def wait_until_free(self, seconds: float) -> bool:
        """Wait up to `seconds` until no process holds this directory's lock; returns whether it is free."""
        deadline = time.monotonic() + seconds
        while True:
            with open(self.path / ".lock", "a+") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True  # closing the file releases it
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        return False
            time.sleep(0.5)

    def set_aside(self) -> Path | None:
        """Move everything of an earlier run here (checkpoints, metrics, results, figures, reports) into a new
        sibling folder `<name>.previous-<time>`, and return it (None: nothing to move). Nothing is deleted."""
        empty_figures = self.figures.is_dir() and not any(self.figures.iterdir())
        entries = [e for e in self.path.iterdir() if e.name != ".lock" and not (e == self.figures and empty_figures)]
        if not entries:
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.previous-{stamp}")
        for n in range(2, 1000):
            if not aside.exists():
                break
            aside = self.path.with_name(f"{self.path.name}.previous-{stamp}-{n}")
        aside.mkdir()
        for entry in entries:
            shutil.move(str(entry), aside / entry.name)
        self.figures.mkdir(exist_ok=True)
        return aside

    def record_start(self, config: dict[str, Any], extra: dict[str, Any]) -> None:
        """Write the resolved config and the provenance of this run (seed, versions, commit, command)."""
        self.write_json("config.json", config)
        self.write_json("provenance.json", {
            "seed": config["run"]["seed"], "versions": package_versions(), "git_commit": git_commit(),
            "command": sys.argv, "host": platform.node(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **extra})

    def metrics(self) -> list[dict[str, Any]]:
        """The logged rows; a last line cut off by a crash mid-append is dropped from the file (and said),
        any other unreadable line is an error naming it."""
        if not self.metrics_file.exists():
            return []
        lines = [line for line in self.metrics_file.read_text().splitlines() if line.strip()]
        rows = []
        for number, line in enumerate(lines, 1):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                if number < len(lines):
                    raise BioawareError(f"{self.metrics_file}: line {number} is not JSON; fix or remove it") from None
                info(f"{self.metrics_file}: dropped its last line, cut off mid-write ({line[:40]!r}…)")
                atomic_write_text(self.metrics_file, "".join(json.dumps(r) + "\n" for r in rows))
        return rows

    def log(self, row: dict[str, Any]) -> None:
        """Append one row, flushed and synced to disk before returning (a crash can cut only the last line)."""
        with self.metrics_file.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def forget_after(self, phase: str, step: int) -> None:
        """Drop the rows of `phase` logged after `step` (training that a resume will redo)."""
        rows = [r for r in self.metrics() if not (r.get("phase") == phase and r.get("step", -1) > step)]
        atomic_write_text(self.metrics_file, "".join(json.dumps(r) + "\n" for r in rows))
