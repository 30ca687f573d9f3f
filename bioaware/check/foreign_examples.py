"""Small networks built in snnTorch, Norse and sinabs and exported by their own NIR exporters.

Each example is the graph, the module it came from (run on a raster by `original`), an input raster and
its step: what the conformance tests check Brian2 against, and what `benchmarks/foreign_graphs.py` writes
out for `bioaware check`. Weights are set for moderate rates (well under one spike per step), where a
discrete-time model and its continuous-time reading can agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from bioaware.check.conformance import hooked_run, sequence_run


@dataclass
class Example:
    """A foreign graph and the module it was exported from."""

    name: str
    graph: object  # nir.NIRGraph
    original: Callable[[np.ndarray], dict[str, np.ndarray]]  # raster [T, n] → spikes (or states) by module name
    raster: np.ndarray  # [T, *input shape]
    step: float  # s
    spikes: str | None = None  # spike convention, when the graph does not say


def _raster(steps: int, shape: tuple, rate: float, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((steps, *shape)) < rate).astype(float)


def _snntorch_runner(net, shape):
    def run(raster):
        from snntorch import utils

        utils.reset(net)
        return hooked_run(net, raster.reshape(len(raster), -1), shape, False)
    return run


def snntorch_leaky() -> Example:
    """Linear (bias) → Leaky → Linear (bias) → Leaky, reset to zero, 20-30-10."""
    import snntorch as snn
    import torch

    from bioaware.interchange.exporters import snntorch_to_nir

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(20, 30), snn.Leaky(beta=0.9, init_hidden=True, reset_mechanism="zero"),
                              torch.nn.Linear(30, 10), snn.Leaky(beta=0.8, init_hidden=True, reset_mechanism="zero"))
    with torch.no_grad():
        net[0].weight.mul_(3)
        net[0].bias.add_(0.1)
    return Example("snntorch_leaky", snntorch_to_nir(net, torch.rand(1, 20)), _snntorch_runner(net, (20,)),
                   _raster(300, (20,), 0.2), 1e-4)


def snntorch_synaptic() -> Example:
    """Linear → Synaptic (CubaLIF), reset by subtraction, 12-20."""
    import snntorch as snn
    import torch

    from bioaware.interchange.exporters import snntorch_to_nir

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(12, 20, bias=False),
                              snn.Synaptic(alpha=0.8, beta=0.9, init_hidden=True, reset_mechanism="subtract"))
    return Example("snntorch_synaptic", snntorch_to_nir(net, torch.rand(1, 12)), _snntorch_runner(net, (12,)),
                   _raster(400, (12,), 0.3), 1e-4)


def snntorch_recurrent() -> Example:
    """12 inputs → 38 recurrent CubaLIF (RSynaptic, all-to-all, biases) → 7 LI readout.

    snnTorch exports no LI: the readout is a Leaky that never fires (threshold 1e9), exported as LIF and
    replaced by the LI of the same τ and R; its membrane is what `original` returns for 'readout'."""
    import nir
    import snntorch as snn
    import torch

    from bioaware.interchange.exporters import snntorch_to_nir

    torch.manual_seed(0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(12, 38)
            self.rsyn = snn.RSynaptic(alpha=0.8, beta=0.9, linear_features=38, all_to_all=True, init_hidden=True,
                                      reset_mechanism="subtract")
            self.fc2 = torch.nn.Linear(38, 7)
            self.readout = snn.Leaky(beta=0.9, threshold=1e9, init_hidden=True, output=True)

        def forward(self, x):
            return self.readout(self.fc2(self.rsyn(self.fc1(x))))

    net = Net()
    with torch.no_grad():
        net.fc1.weight.mul_(0.3)
        net.fc1.bias.mul_(0.1)
        net.rsyn.recurrent.weight.mul_(0.3)
        net.rsyn.recurrent.bias.mul_(0.1)
        net.fc2.weight.mul_(2)
    graph = snntorch_to_nir(net, torch.rand(1, 12))
    lif = graph.nodes["readout"]
    graph.nodes["readout"] = nir.LI(tau=lif.tau, r=lif.r, v_leak=lif.v_leak)

    def original(raster):
        from snntorch import utils

        utils.reset(net)
        spikes, membrane = [], []
        with torch.no_grad():
            for step in raster:
                _, v = net(torch.as_tensor(step, dtype=torch.float32)[None])
                spikes.append(net.rsyn.spk.reshape(-1).numpy().copy())
                membrane.append(v.reshape(-1).numpy().copy())
        return {"rsyn": np.stack(spikes), "readout": np.stack(membrane)}

    return Example("snntorch_recurrent", graph, original, _raster(400, (12,), 0.3), 1e-4)


def norse_lif_iaf_li() -> Example:
    """Linear → LIFBox → Linear → IAF → Linear → LIBox readout, 20-30-10-4, at Δt = 1 ms."""
    import norse.torch as norse
    import torch

    from bioaware.interchange.exporters import norse_to_nir

    torch.manual_seed(0)
    model = norse.SequentialState(torch.nn.Linear(20, 30, bias=False), norse.LIFBoxCell(),
                                  torch.nn.Linear(30, 10, bias=False), norse.IAFCell(),
                                  torch.nn.Linear(10, 4, bias=False), norse.LIBoxCell())
    with torch.no_grad():
        model[0].weight.mul_(8)
        model[2].weight.mul_(1.5)
    return Example("norse_lif_iaf_li", norse_to_nir(model, torch.rand(1, 20), dt=1e-3),
                   lambda r: hooked_run(model, r, (20,), True), _raster(200, (20,), 0.2), 1e-3)


def norse_li() -> Example:
    """Linear → LIBox readout, 20-4, at Δt = 1 ms."""
    import norse.torch as norse
    import torch

    from bioaware.interchange.exporters import norse_to_nir

    torch.manual_seed(0)
    model = norse.SequentialState(torch.nn.Linear(20, 4, bias=False), norse.LIBoxCell())
    return Example("norse_li", norse_to_nir(model, torch.rand(1, 20), dt=1e-3),
                   lambda r: hooked_run(model, r, (20,), True), _raster(200, (20,), 0.2), 1e-3)


def sinabs_conv() -> Example:
    """Conv2d → IAF → SumPool2d → Conv2d (stride 2) → IAF → Flatten → Linear → IAF on 1×8×8 inputs.

    Excitatory weights: sinabs floors v at −θ, which the file does not say. sinabs' IF graphs (R = 1,
    the input added as it is) mean Dirac spikes."""
    import sinabs
    import sinabs.layers as sl
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1, bias=False), sl.IAFSqueeze(batch_size=1),
                                sl.SumPool2d(2), torch.nn.Conv2d(4, 8, 3, stride=2, bias=False),
                                sl.IAFSqueeze(batch_size=1), torch.nn.Flatten(),
                                torch.nn.Linear(8, 5, bias=False), sl.IAFSqueeze(batch_size=1))
    with torch.no_grad():
        for layer, scale in ((model[0], 0.5), (model[3], 0.3), (model[6], 0.2)):
            layer.weight.abs_().mul_(scale)
    graph = sinabs.to_nir(model, torch.rand(1, 1, 8, 8))
    # sinabs 3.1.3 leaves torch tensors and unknown input types in the graph, which nir.write cannot store
    for node in graph.nodes.values():
        for attr, value in vars(node).items():
            if isinstance(value, torch.Tensor):
                setattr(node, attr, value.detach().numpy())
    graph.infer_types()

    def original(raster):
        from sinabs.utils import reset_states

        reset_states(model)  # the exporter's trace left state behind
        return sequence_run(model, raster, (1, 8, 8))

    return Example("sinabs_conv", graph, original, _raster(100, (1, 8, 8), 0.3), 1e-3, "dirac")


EXAMPLES = (snntorch_leaky, snntorch_synaptic, snntorch_recurrent, norse_lif_iaf_li, norse_li, sinabs_conv)
