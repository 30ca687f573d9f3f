"""How this process's memory allocator treats large tensors.

glibc serves every allocation above 32 MB with a fresh mmap and returns it on free, so each large tensor a
training step creates (a layer's [T, B, C, H, W] currents, spikes and gradients: hundreds of MB for the FSVAE's
decoder) is faulted in page by page again, every batch. Keeping large blocks on the heap and never trimming it
lets freed pages be reused: the FSVAE trains about twice as fast on two CPU cores (benchmarks/fsvae_epoch.py),
for a resident size that stays at its peak instead of falling between batches.

bioaware's command line and its sweep workers call :func:`reuse_freed_memory` once at start-up;
BIOAWARE_ALLOCATOR=system leaves the C library's own settings.
"""

from __future__ import annotations

import ctypes
import os
import platform

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # mallopt parameters (malloc.h)
_NEVER = 2 ** 31 - 1  # largest int mallopt takes, bytes


def reuse_freed_memory() -> bool:
    """Keep large allocations on the heap and the heap untrimmed (glibc only; elsewhere nothing changes).
    Returns whether the setting is in effect."""
    if os.environ.get("BIOAWARE_ALLOCATOR", "heap") == "system":
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return bool(libc.mallopt(_M_MMAP_MAX, 0)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, _NEVER))
