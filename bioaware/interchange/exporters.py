"""Other frameworks' NIR exporters, called as they are, around their known bugs with nir 1.0.4.

- snnTorch 1.0.0's `export_to_nir` passes `v_reset` to `nir.LIF`/`nir.CubaLIF`, which nir 1.0.4 does
  not accept (TypeError). `snntorch_to_nir` lets the exporter run and keeps what it meant: the value
  goes into the node's metadata (`reset: to_value`, `v_reset`), which bioaware reads. snnTorch writes
  τ = Δt/(1 − β) and R = τ/Δt with Δt = 0.1 ms: its graphs mean `step:0.1ms` spikes, said in the
  graph's metadata.
- Norse 1.1.0's `to_nir` writes every neuron's parameters with size 1 and, for `time_scaling_factor`
  other than 1, τ scaled wrongly; `norse_to_nir` passes the module's real τ (s) per neuron.
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
    """snnTorch's own `export_to_nir(module, sample)`, with its `v_reset` kept in node metadata."""
    from snntorch.export_nir import export_to_nir

    with _v_reset_to_metadata(), contextlib.redirect_stdout(io.StringIO()):
        graph = export_to_nir(module, sample)
    graph.metadata = {**(graph.metadata or {}), "spike_convention": f"step:{SNNTORCH_DT}", "exporter": "snntorch"}
    return graph


def norse_to_nir(module, sample, dt: float = 1e-3) -> nir.NIRGraph:
    """Norse's own `to_nir(module, sample)`, with every neuron's parameters at full size and τ in s.

    `dt` is the Norse model's step (s): its graphs mean `step:<dt>` spikes, said in the metadata."""
    import norse.torch as norse

    graph = norse.to_nir(module, sample)
    cells = [m for m in module.modules() if hasattr(m, "p") and hasattr(m.p, "tau_mem_inv")]
    neurons = [name for name, node in graph.nodes.items() if isinstance(node, (nir.LIF, nir.CubaLIF, nir.LI))]
    widths = {}
    for src, dst in graph.edges:
        node = graph.nodes[src]
        if isinstance(node, (nir.Linear, nir.Affine)):
            widths[dst] = np.asarray(node.weight).shape[0]
    for name, cell in zip(neurons, cells):
        node, n = graph.nodes[name], widths.get(name, 1)
        full = lambda v: np.broadcast_to(np.asarray(v, dtype=np.float64).reshape(-1), (n,)).copy()  # noqa: E731
        tau = full(1.0 / cell.p.tau_mem_inv.detach().numpy())
        if isinstance(node, nir.LIF):
            graph.nodes[name] = nir.LIF(tau=tau, r=full(node.r), v_leak=full(node.v_leak),
                                        v_threshold=full(node.v_threshold), metadata=dict(node.metadata or {}))
        elif isinstance(node, nir.LI):
            graph.nodes[name] = nir.LI(tau=tau, r=full(node.r), v_leak=full(node.v_leak))
    graph.metadata = {**(graph.metadata or {}), "spike_convention": f"step:{dt}", "exporter": "norse"}
    return graph
