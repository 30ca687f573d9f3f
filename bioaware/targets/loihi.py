"""Loihi 2 through Lava: NIR (LIF/IF + Linear/Affine) → quantised Lava Dense + LIF processes.

Lava needs its own environment (Python 3.10, numpy < 2, no torch): this module (main environment)
checks the limits, quantises, writes a bundle of numpy arrays and runs `loihi_runner.py` there.

Fixed point (Lava's bit-accurate models): a spike of integer weight q adds q·2⁶ to the current u,
u decays by (4096 − du − 1)/4096 per step and feeds v, which decays by (4096 − dv)/4096; spike when
v > vth·2⁶. With du = 4095 the current lasts one step: the delta synapse of training. Weights are
scaled by S (`weight_scale`) and rounded to even integers in [−128, 126] (Lava truncates the lowest
bit of mixed-sign 8-bit weights), the threshold is round(θ·S) and dv = round(α·4096).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import nir
import numpy as np

from bioaware.core.environments import interpreter
from bioaware.core.errors import BioawareError
from bioaware.core.layers import DenseSpikingLayer
from bioaware.targets.base import TargetColumn
from bioaware.targets.limits import Violation, raise_if_any

RUNNER = Path(__file__).with_name("loihi_runner.py")
# lava-nc needs Python 3.10 and numpy < 2: any Python 3.10 interpreter makes the environment
ENV_COMMAND = "python3.10 -m venv .venv-loihi && .venv-loihi/bin/pip install lava-nc==0.10.0"
DECAY_UNITY = 4096  # 12-bit decay constants du, dv
WEIGHT_LEVELS = 126  # largest |weight| after scaling (even, mixed-sign 8-bit: −128 … 126)
VTH_MAX = 2 ** 17 - 1
ACTIVATION_MAX = 2 ** 15 - 1  # a_in is a 16-bit signed activation per step


def check_limits(graph: nir.NIRGraph) -> list[Violation]:
    """Loihi 2 / Lava limits of a feed-forward NIR graph, named by node."""
    found = []
    for name, node in graph.nodes.items():
        if isinstance(node, (nir.Input, nir.Output, nir.Linear, nir.LIF, nir.IF)):
            pass
        elif isinstance(node, nir.Affine):
            if np.any(np.asarray(node.bias) != 0):
                found.append(Violation(name, "Affine bias: Lava's Dense has none (a LIF bias would be needed)"))
        else:
            found.append(Violation(name, f"{type(node).__name__} is not mapped to Loihi by bioaware "
                                         "(supported: Linear/Affine + LIF/IF)"))
        meta = getattr(node, "metadata", None) or {}
        if float(meta.get("refractory_period", 0.0)) > 0:
            found.append(Violation(name, "refractory period: Lava's LIF has none"))
        if float(meta.get("v_reset", 0.0)) != 0.0:
            found.append(Violation(name, "v_reset ≠ 0: Loihi resets v to 0"))
        if isinstance(node, (nir.LIF, nir.IF)) and np.any(np.asarray(getattr(node, "v_leak", 0.0)) != 0):
            found.append(Violation(name, "v_leak ≠ 0: Loihi's LIF leaks to 0"))
    return found


def _integer_weights(w: np.ndarray, scale: float) -> np.ndarray:
    """Weights × scale as even integers in [−128, 126] (what Lava's 8-bit mixed-sign synapses keep)."""
    return np.clip(2 * np.round(w * scale / 2), -128, WEIGHT_LEVELS)


def weight_scale(w: np.ndarray) -> float:
    """Integer steps per unit weight: the clipping level (max |w| or a high percentile of it) with the
    smallest RMS quantisation error — clipping a few outliers buys resolution for all other weights."""
    def rms(scale: float) -> float:
        return float(np.sqrt(np.mean((_integer_weights(w, scale) / scale - w) ** 2)))
    levels = [np.abs(w).max(), *np.percentile(np.abs(w), [99.99, 99.9, 99.5, 99.0])]
    return min((WEIGHT_LEVELS / max(level, 1e-12) for level in levels), key=rms)


def quantise(layer: DenseSpikingLayer, name: str) -> tuple[dict, dict, list[Violation]]:
    """(fixed-point parameters, quantisation errors, violations) of one layer."""
    w = np.asarray(layer.weight, dtype=np.float64)
    scale = weight_scale(w)
    q = _integer_weights(w, scale)
    vth = int(round(layer.v_th * scale))
    dv = int(round(layer.leak * DECAY_UNITY))
    found = []
    if vth > VTH_MAX:
        found.append(Violation(name, f"threshold mantissa {vth} exceeds 17 bits"))
    if not 0 <= dv <= DECAY_UNITY - 1:
        found.append(Violation(name, f"dv {dv} outside 12 bits"))
    worst = np.clip(q, 0, None).sum(1).max()
    if worst > ACTIVATION_MAX:
        found.append(Violation(name, f"worst-case activation {worst:.0f} per step exceeds 16 bits"))
    errors = {"weight_scale": scale, "weight_rms_error_rel_threshold": float(np.sqrt(np.mean((q / scale - w) ** 2))
                                                                          / layer.v_th),
              "threshold_rel_error": abs(vth / scale - layer.v_th) / layer.v_th,
              "leak_error": abs(dv / DECAY_UNITY - layer.leak), "dv": dv, "vth_mantissa": vth,
              "distinct_weights": int(np.unique(q).size)}
    return {"w": q.astype(np.int32), "du": DECAY_UNITY - 1, "dv": dv, "vth": vth}, errors, found


def lava_python() -> str:
    """The Lava environment's interpreter: $BIOAWARE_LAVA_PYTHON, else `.venv-loihi/bin/python` in the
    repository bioaware runs from (then in the working directory)."""
    return interpreter(".venv-loihi", "BIOAWARE_LAVA_PYTHON", "Lava environment", ENV_COMMAND)


def ready() -> None:
    """Lava runs in its own environment: it must exist before any data is loaded or simulated."""
    lava_python()


def run_lava(layers: list[DenseSpikingLayer], input_spikes: np.ndarray, tag: str, window: int
             ) -> tuple[dict[str, np.ndarray], dict, float]:
    """Run the layers in Lava on spikes [T, images, N_in]; returns (counts per layer [T, images, N],
    quantisation report (fixed point only), Lava run seconds)."""
    steps, images, n_in = input_spikes.shape
    stream = np.zeros((n_in, images * window), dtype=np.int32 if tag == "fixed_pt" else np.float64)
    for i in range(images):
        stream[:, i * window:i * window + steps] = input_spikes[:, i, :].T
    arrays = {"tag": tag, "window": window, "images": images, "steps": steps, "layers": len(layers), "input": stream}
    report, violations = {}, []
    for k, layer in enumerate(layers):
        if tag == "fixed_pt":
            params, report[layer.name], found = quantise(layer, layer.name)
            violations += found
        else:
            params = {"w": np.asarray(layer.weight, dtype=np.float64), "du": 1.0, "dv": layer.leak, "vth": layer.v_th}
        arrays.update({f"{key}{k}": np.asarray(value) for key, value in params.items()})
    raise_if_any(violations, "Loihi 2 (fixed point)", "quantised model")
    with tempfile.TemporaryDirectory(prefix="bioaware-lava-") as tmp:
        bundle, out = Path(tmp) / "bundle.npz", Path(tmp) / "out.npz"
        np.savez(bundle, **arrays)
        done = subprocess.run([lava_python(), str(RUNNER), str(bundle), str(out)], capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise BioawareError(f"{RUNNER}: Lava run failed ({tag}): {tail[0]}")
        result = np.load(out)
        counts = {layer.name: result[f"layer{k}"].astype(np.float64) for k, layer in enumerate(layers)}
        return counts, report, float(result["seconds"])


def deploy(graph, layers: list[DenseSpikingLayer], input_spikes: np.ndarray, out_dir: Path) -> list:
    """Lava floating point and bit-accurate fixed point runs as comparison columns."""

    columns = []
    for tag in ("floating_pt", "fixed_pt"):
        counts, quantisation, seconds = run_lava(layers, input_spikes, tag, window=input_spikes.shape[0])
        details = {"quantisation": quantisation} if quantisation else {}
        columns.append(TargetColumn(f"Lava {tag}", counts, seconds, details))
    return columns
