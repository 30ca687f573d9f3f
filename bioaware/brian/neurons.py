"""The neuron registry: NIR node type ↔ equation file ↔ how Brian2 builds its group.

One entry per NIR neuron primitive. `jump` is how much an input of unit charge (a Dirac current of
area 1, in current·s) moves the variable `target`: v by r/τ (LIF, LI), r (IF, I), I by w_in/τ_syn
(CubaLIF, CubaLI); the builder multiplies it into each synapse's weight. `variables` are the
per-neuron arrays the group's equations read, from the NIR parameters (per-neuron arrays, s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class NeuronModel:
    """How one NIR neuron type becomes a Brian2 NeuronGroup."""

    equations: str  # stem of the file in equations/
    target: str  # the variable an input spike increments
    jump: Callable[[dict], np.ndarray]
    variables: Callable[[dict], dict[str, tuple[np.ndarray, bool]]]  # name → (values, in seconds?)
    threshold: str | None = None  # the NIR parameter compared against v (None: not spiking)


def _leaky(p):
    return {"tau": (p["tau"], True), "r": (p["r"], False), "v_leak": (p["v_leak"], False)}


def _cuba(p):
    return {"tau_mem": (p["tau_mem"], True), "tau_syn": (p["tau_syn"], True), "r": (p["r"], False),
            "w_in": (p["w_in"], False), "v_leak": (p["v_leak"], False)}


NEURONS: dict[str, NeuronModel] = {
    "LIF": NeuronModel("lif", "v", lambda p: p["r"] / p["tau"], _leaky, "v_threshold"),
    "LI": NeuronModel("li", "v", lambda p: p["r"] / p["tau"], _leaky),
    "IF": NeuronModel("if_refractory", "v", lambda p: p["r"], lambda p: {"r": (p["r"], False)}, "v_threshold"),
    "I": NeuronModel("integrator", "v", lambda p: p["r"], lambda p: {"r": (p["r"], False)}),
    "CubaLIF": NeuronModel("cuba_lif", "I", lambda p: p["w_in"] / p["tau_syn"], _cuba, "v_threshold"),
    "CubaLI": NeuronModel("cuba_li", "I", lambda p: p["w_in"] / p["tau_syn"], _cuba),
    "Threshold": NeuronModel("threshold", "x", lambda p: np.ones_like(p["threshold"]), lambda p: {}, "threshold"),
}


def solver(kind: str, params: dict) -> tuple[str, str]:
    """(equation file, Brian2 integration method) for a population of NIR type `kind`.

    IF and I have a constant dv/dt between inputs, which Euler integrates exactly.
    Brian2's exact solver divides by τ_syn − τ_mem: CubaLIF with τ_syn = τ_mem everywhere uses the alpha
    equations, and a CubaLIF/CubaLI where only some neurons have equal constants is integrated with rk4.
    """
    model = NEURONS[kind]
    if kind not in ("CubaLIF", "CubaLI"):  # dv/dt constant between inputs (IF, I): Euler is exact
        return model.equations, "exact" if kind in ("LIF", "LI") else "euler"
    same = np.isclose(params["tau_syn"], params["tau_mem"], rtol=1e-9)
    if kind == "CubaLIF" and same.all():
        return "alpha_synapse", "exact"
    return model.equations, "exact" if not same.any() else "rk4"
