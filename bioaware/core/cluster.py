"""A Dask cluster to spread independent work over worker processes and machines: `--cluster local[:N]` starts a
`LocalCluster` of N single-threaded worker processes here (N: the CPU count), `--cluster tcp://host:8786` joins a
running scheduler (`dask scheduler`, then `dask worker tcp://host:8786` on each machine; workers need bioaware
installed and the data where the run configs say)."""

from __future__ import annotations

import os
import re

from bioaware.core.errors import BioawareError


def open_client(spec: str):
    """(a `distributed.Client` for `spec` ('local', 'local:N' or a scheduler address 'tcp://host:port'), CPU threads
    each task may use: the cores shared among a local cluster's workers; None for a remote one, whose workers are
    set up by their owner)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise BioawareError("--cluster needs Dask: pip install 'dask[distributed]'") from None
    match = re.fullmatch(r"local(?::(\d+))?", spec.strip())
    if match:
        workers = int(match.group(1) or os.cpu_count() or 1)
        if workers < 1:
            raise BioawareError(f"--cluster {spec}: the number of workers must be at least 1")
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
        return Client(cluster), max(1, (os.cpu_count() or 1) // workers)
    if not re.fullmatch(r"(tcp|tls)://[^\s:]+:\d+", spec.strip()):
        raise BioawareError(f"--cluster {spec!r}: give local, local:N or a scheduler address like tcp://host:8786")
    try:
        return Client(spec.strip(), timeout="20s"), None
    except OSError as exc:
        raise BioawareError(f"--cluster {spec}: no Dask scheduler answers there ({exc}); start one with "
                            "`dask scheduler`") from None
