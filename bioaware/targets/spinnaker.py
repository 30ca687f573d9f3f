"""SpiNNaker through PyNN: NIR (LIF/IF + Linear/Affine) → PyNN populations of delta-current LIF cells.

No NIR importer exists for SpiNNaker 1, so bioaware writes the PyNN network itself
(`pynn_runner.build`). sPyNNaker maps it on a virtual board (partitioning, placement, routing; no
hardware, no spikes back): cores, chips and mapping time are reported. The same PyNN network runs
on PyNN's Brian2 backend, and its spikes are compared with bioaware's Brian2 run. Expected
differences: PyNN's minimum synaptic delay (one time step per projection, taken out before
comparing: layer k's spikes are moved k + 1 steps earlier), its strict threshold (v > θ) and its
exact LIF integration at the time step.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nir
import numpy as np

from bioaware.brian.network import simulate
from bioaware.agreement.rate_model import layer_agreement
from bioaware.core.errors import BioawareError
from bioaware.core.timebase import TRAINING_DT
from bioaware.core.layers import DenseSpikingLayer, tau_from_leak
from bioaware.targets.base import TargetColumn, require_packages
from bioaware.targets.limits import Violation

MAX_DELAY_STEPS = 144  # sPyNNaker: 16 on the core, up to 144 with delay extensions
VIRTUAL_BOARD = "[Machine]\nvirtual_board = True\nversion = 5\n"


def ready() -> None:
    """sPyNNaker and PyNN come with bioaware's `targets` extra."""
    require_packages("spynnaker", "pyNN")


def check_limits(graph: nir.NIRGraph) -> list[Violation]:
    """What bioaware's PyNN writer and sPyNNaker's delta-current cells accept, named by node."""
    found = []
    for name, node in graph.nodes.items():
        if isinstance(node, nir.Affine) and np.any(np.asarray(node.bias) != 0):
            found.append(Violation(name, "Affine bias: not mapped (it would be i_offset of the next population)"))
        elif not isinstance(node, (nir.Input, nir.Output, nir.Linear, nir.Affine, nir.LIF, nir.IF)):
            found.append(Violation(name, f"{type(node).__name__} is not mapped to SpiNNaker by bioaware "
                                         "(supported: Linear/Affine + LIF/IF as IF_curr_delta)"))
        if isinstance(node, (nir.LIF, nir.IF)) and np.any(np.asarray(getattr(node, "v_leak", 0.0)) != 0):
            found.append(Violation(name, "v_leak ≠ 0: bioaware maps rest to 0 mV"))
    return found


def write_bundle(layers: list[DenseSpikingLayer], input_spikes: np.ndarray, path: Path, dt: float = TRAINING_DT
                 ) -> None:
    """The PyNN runner's input: layers and spikes [T, images, N] at step `dt` (s), delays of one step."""
    arrays = {"layers": len(layers), "input": input_spikes.astype(np.uint8), "dt_ms": dt * 1e3, "delay_ms": dt * 1e3}
    for k, layer in enumerate(layers):
        arrays.update({f"w{k}": np.asarray(layer.weight, dtype=np.float64),
                       f"tau_m{k}": tau_from_leak(layer.leak, dt) * 1e3, f"v_thresh{k}": layer.v_th})
    np.savez(path, **arrays)


def run_pynn(backend: str, bundle: Path, workdir: Path) -> dict:
    """Run pynn_runner in a subprocess with `workdir` as working and home directory (sPyNNaker's config)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / ".spynnaker.cfg").write_text(VIRTUAL_BOARD)
    (workdir / "xdg").mkdir(exist_ok=True)
    out = workdir / f"{backend}_out.npz"
    env = {**os.environ, "HOME": str(workdir.resolve()), "XDG_CONFIG_HOME": str((workdir / "xdg").resolve())}
    done = subprocess.run([sys.executable, "-m", "bioaware.targets.pynn_runner", backend, str(bundle.resolve()),
                           str(out.resolve())], cwd=workdir, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line for line in (done.stderr + done.stdout).strip().splitlines() if line.strip()]
        raise BioawareError(f"PyNN {backend} run failed: {lines[-1] if lines else 'no output'} "
                            f"(logs in {workdir})")
    with np.load(out) as result:
        return {key: result[key] for key in result.files}


def pynn_counts(result: dict, layers: list[DenseSpikingLayer], steps: int, images: int, delay_steps: int = 1
                ) -> dict[str, np.ndarray]:
    """Spike rows (image, neuron, step) of each layer → counts [T, images, N], PyNN's delays taken out."""
    counts = {}
    for k, layer in enumerate(layers):
        rows = result[f"layer{k}"]
        step = rows[:, 2] - (k + 1) * delay_steps
        keep = (step >= 0) & (step < steps)
        out = np.zeros((steps, images, layer.size))
        np.add.at(out, (step[keep], rows[keep, 0], rows[keep, 1]), 1.0)
        counts[layer.name] = out
    return counts


def deploy(graph, layers: list[DenseSpikingLayer], input_spikes: np.ndarray, out_dir: Path) -> list:
    """Virtual-board mapping on sPyNNaker (figures, no spikes) and the PyNN network on PyNN's Brian2 backend."""

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bioaware-pynn-") as tmp:
        bundle = Path(tmp) / "bundle.npz"
        write_bundle(layers, input_spikes, bundle)
        mapping = {key: float(value) for key, value in run_pynn("spinnaker", bundle, out_dir / "spinnaker").items()}
        brian = run_pynn("brian2", bundle, out_dir / "pynn_brian2")
    steps, images, _ = input_spikes.shape
    pynn = pynn_counts(brian, layers, steps, images)
    # bioaware's own Brian2 with the standard schedule at the same step is the like-for-like reference:
    # one step of transmission per layer, as PyNN's minimum delay
    start = time.perf_counter()
    exact = simulate(layers, TRAINING_DT, input_spikes, TRAINING_DT, order="exact")
    exact_counts = {layer.name: exact.counts(layer.name, steps, TRAINING_DT) for layer in layers}
    seconds = time.perf_counter() - start
    like_for_like = {layer.name: layer_agreement(exact_counts[layer.name], pynn[layer.name], "spikes_target")
                     for layer in layers}
    return [TargetColumn("Brian2 (standard schedule, Δt)", exact_counts, seconds),
            TargetColumn("PyNN on Brian2 (sPyNNaker's network; delays removed)", pynn, float(brian["seconds"]),
                         {"spinnaker_virtual_board": mapping, "vs_brian2_standard_schedule": like_for_like})]
