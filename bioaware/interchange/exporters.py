"""Other frameworks' NIR exporters, called as they are, around their known bugs with nir 1.0.4.

- snnTorch 1.0.0's `export_to_nir` passes `v_reset` to `nir.LIF`/`nir.CubaLIF`, which nir 1.0.4 does
  not accept (TypeError), and writes 0 whatever the module's reset mechanism. `snntorch_to_nir` lets
  the exporter run and keeps what the module does: reset to zero goes into the node's metadata
  (`reset: to_value`, `v_reset`), which bioaware reads; reset by subtraction is NIR 1.0's own. snnTorch writes
  τ = Δt/(1 − β) and R = τ/Δt with Δt = 0.1 ms: its graphs mean `step:0.1ms` spikes, said in the
  graph's metadata.
- Norse 1.1.0's `to_nir` writes every neuron's parameters with size 1, τ as Δt²/τ (Δt/τ⁻¹ with τ⁻¹ in
  1/s: 10 µs for τ = 10 ms at Δt = 1 ms), and IF with R = 1 although Norse's IAF adds each input to v
  as it is (R = 1/Δt under `step:<Δt>` spikes); it leaves out that Norse resets to v_reset = 0.
  `norse_to_nir` corrects the three from the module's own parameters.
"""

from __future__ import annotations

import contextlib
import io

import nir
import numpy as np

SNNTORCH_DT = 1e-4  # s: the step snnTorch's exporter assumes


@contextlib.contextmanager
def _v_reset_to_metadata():
    """While it runs, nir.LIF/CubaLIF take `v_reset` and keep it in metadata (nir 1.0.4 has no such field)."""
    originals = nir.LIF, nir.CubaLIF

    def keeping(cls):
        def make(*args, v_reset=None, metadata=None, **kwargs):
            meta = dict(metadata or {})
            if v_reset is not None:
                meta.update(reset="to_value", v_reset=float(np.asarray(v_reset).reshape(-1)[0]))
            return cls(*args, metadata=meta, **kwargs)
        return make

    nir.LIF, nir.CubaLIF = keeping(originals[0]), keeping(originals[1])
    try:
        yield
    finally:
        nir.LIF, nir.CubaLIF = originals


def snntorch_to_nir(module, sample) -> nir.NIRGraph:
    """snnTorch's own `export_to_nir(module, sample)`, with each neuron's reset as its module does it.

    The exporter writes `v_reset = 0` whatever the module's `reset_mechanism`: a node whose module
    subtracts the threshold keeps NIR 1.0's reset by subtraction instead (its metadata says nothing)."""
    from snntorch.export_nir import export_to_nir

    with _v_reset_to_metadata(), contextlib.redirect_stdout(io.StringIO()):
        graph = export_to_nir(module, sample)
    modules = dict(module.named_modules())
    for name, node in graph.nodes.items():
        owner = modules.get(name) or modules.get(name.rsplit(".", 1)[0])
        if getattr(owner, "reset_mechanism", "zero") == "subtract" and isinstance(node, (nir.LIF, nir.CubaLIF)):
            node.metadata = {k: v for k, v in (node.metadata or {}).items() if k not in ("reset", "v_reset")}
    graph.metadata = {**(graph.metadata or {}), "spike_convention": f"step:{SNNTORCH_DT}", "exporter": "snntorch"}
    return graph


def norse_to_nir(module, sample, dt: float = 1e-3) -> nir.NIRGraph:
    """Norse's own `to_nir(module, sample)` with τ (s), R and reset as the Norse model computes them.

    `dt` is the Norse model's step (s): its graphs mean `step:<dt>` spikes, said in the metadata."""
    import norse.torch as norse

    graph = norse.to_nir(module, sample, dt=dt)
    cells = [m for m in module.modules() if type(m).__name__ in ("LIFBoxCell", "IAFCell", "LIBoxCell")]
    neurons = [name for name, node in graph.nodes.items() if isinstance(node, (nir.LIF, nir.IF, nir.LI))]
    widths = {dst: np.asarray(graph.nodes[src].weight).shape[0] for src, dst in graph.edges
              if isinstance(graph.nodes[src], (nir.Linear, nir.Affine))}
    reset = {"reset": "to_value", "v_reset": 0.0}
    for name, cell in zip(neurons, cells):
        node, n = graph.nodes[name], widths.get(name, 1)
        full = lambda v: np.broadcast_to(np.asarray(v, dtype=np.float64).reshape(-1), (n,)).copy()  # noqa: E731
        if isinstance(node, nir.IF):
            graph.nodes[name] = nir.IF(r=full(1.0 / dt), v_threshold=full(node.v_threshold), metadata=reset)
            continue
        tau = full(1.0 / cell.p.tau_mem_inv.detach().numpy())
        if isinstance(node, nir.LIF):
            graph.nodes[name] = nir.LIF(tau=tau, r=full(node.r), v_leak=full(node.v_leak),
                                        v_threshold=full(node.v_threshold), metadata=reset)
        else:
            graph.nodes[name] = nir.LI(tau=tau, r=full(node.r), v_leak=full(node.v_leak))
    graph.metadata = {**(graph.metadata or {}), "spike_convention": f"step:{dt}", "exporter": "norse"}
    return graph
