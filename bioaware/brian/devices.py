"""Brian2 devices, chosen here and never in model code.

runtime (numpy code generation: no compiler, for small cases and tests), cython (runtime with
compiled loops), cpp_standalone (one C++ program per run; the default for batches).
cuda_standalone (brian2cuda) and genn (brian2genn) need their own environments (see docs/brian2.md).
"""

from __future__ import annotations

from pathlib import Path

from bioaware.core.errors import BioawareError

DEVICES = ("runtime", "cython", "cpp_standalone", "cuda_standalone", "genn")


def use_device(name: str, build_dir: Path | None = None, threads: int = 0) -> None:
    """Select the Brian2 device `name` (resetting any earlier one) for the next network."""
    import brian2

    if name not in DEVICES:
        raise BioawareError(f"unknown Brian2 device {name!r}; choose one of {', '.join(DEVICES)}")
    brian2.device.reinit()
    brian2.device.activate()
    brian2.prefs.reset_to_defaults()
    if name in ("runtime", "cython"):
        brian2.set_device("runtime")
        brian2.prefs.codegen.target = "numpy" if name == "runtime" else "cython"
        return
    if name == "cuda_standalone":
        try:
            import brian2cuda  # noqa: F401
        except ImportError:
            raise BioawareError("device cuda_standalone needs brian2cuda (its own environment: see docs/brian2.md, "
                                "'Devices')") from None
    if name == "genn":
        try:
            import brian2genn  # noqa: F401
        except ImportError:
            raise BioawareError("device genn needs brian2genn and GeNN 4.x (see docs/brian2.md, 'Devices')") from None
    if name == "genn":  # brian2genn builds when the network runs (a later build refuses the network's code)
        brian2.set_device(name, directory=str(build_dir) if build_dir else None, use_GPU=genn_uses_gpu())
        return
    brian2.set_device(name, build_on_run=False, directory=str(build_dir) if build_dir else None)
    if name == "cpp_standalone":
        brian2.prefs.devices.cpp_standalone.openmp_threads = threads
    if name == "cuda_standalone":  # CUDA 13's headers need C++17 in both compilers (measured with CUDA 13.0)
        brian2.prefs.devices.cuda_standalone.cuda_backend.extra_compile_args_nvcc += ["-std=c++17"]
        brian2.prefs.codegen.cpp.extra_compile_args_gcc += ["-std=c++17"]


def genn_uses_gpu() -> bool:
    """GeNN's CUDA backend where `nvidia-smi -L` lists a GPU (set $BIOAWARE_GENN_GPU to 1 or 0 to choose), else its
    single-threaded CPU backend."""
    import os
    import subprocess

    chosen = os.environ.get("BIOAWARE_GENN_GPU")
    if chosen in ("0", "1"):
        return chosen == "1"
    try:
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "GPU" in listed


def builds_after_run(name: str) -> bool:
    """Whether `name` is a standalone device whose project is built and run by `device.build` after `run`."""
    return name in ("cpp_standalone", "cuda_standalone")


def on_genn() -> bool:
    """Whether the current Brian2 device is brian2genn's (its own schedule, one clock, connectivity as arrays)."""
    import brian2

    return type(brian2.get_device()).__name__ == "GeNNDevice"
