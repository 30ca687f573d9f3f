"""The allocator setting of bioaware's processes: a new large tensor reuses the pages of one just freed."""

import os
import platform
import subprocess
import sys

import pytest

PROBE = """
import resource, sys
from bioaware.core.memory import reuse_freed_memory
import torch
print(reuse_freed_memory())
torch.ones(100_000_000)  # 400 MB, freed at once
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
x = torch.ones(50_000_000)  # 200 MB
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _probe(allocator: str) -> tuple[str, int]:
    """(whether the setting took effect, page faults while a 200 MB tensor is allocated and filled after a 400 MB
    one was freed)."""
    out = subprocess.run([sys.executable, "-c", PROBE], env={**os.environ, "BIOAWARE_ALLOCATOR": allocator},
                         capture_output=True, text=True, check=True).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting is for glibc's malloc; this is not glibc")
def test_freed_tensors_are_reused_instead_of_faulted_in_again():
    applied, faults = _probe("heap")
    system_applied, system_faults = _probe("system")
    assert applied == "True" and system_applied == "False"
    # 200 MB is 51,200 pages of 4 kB: the system setting maps and faults them in afresh (fewer with huge pages),
    # the heap hands back the pages just freed
    assert faults < 2_000 and system_faults > faults, (faults, system_faults)
