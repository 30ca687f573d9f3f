"""Speck through sinabs: NIR (IF + Conv2d/Linear/SumPool2d/Flatten) → sinabs → Speck's 8-bit discretisation.

Speck (SynSense DYNAP-CNN) runs integrate-and-fire neurons only, on 9 cores; each layer (a
convolution with its IF neurons) needs one core whose kernel memory holds
c_in·2^(⌈log₂(kh·kw)⌉ + ⌈log₂ c_out⌉) weights and whose neuron memory holds
c_out·2^(⌈log₂ h⌉ + ⌈log₂ w⌉) neurons (per-core sizes as in sinabs' chip description). Kernels
are at most 16×16, sum pooling 1, 2 or 4, weights 8-bit.

`sinabs.from_nir` resets by subtraction, floors v at −θ and ignores r and v_reset: the report shows
sinabs as imported, with Speck's 8-bit weights, and with the trained model's reset to 0 (no floor),
which must equal Brian2. Generating the chip configuration needs SynSense's samna; PyPI's samna
is a stub that downloads the real package on import, so bioaware looks before importing it.
"""

from __future__ import annotations

import importlib.util
import math
import time
from pathlib import Path

import nir
import numpy as np

from bioaware.core.errors import BioawareError
from bioaware.interchange.from_nir import chain_nodes, input_shape
from bioaware.core.layers import DenseSpikingLayer
from bioaware.targets.base import TargetColumn, require_packages
from bioaware.targets.limits import Violation

KERNEL_MEMORY = [16384, 16384, 16384, 32768, 32768, 65536, 65536, 16384, 16384]  # weights per core
NEURON_MEMORY = [65536, 65536, 65536, 32768, 32768, 16384, 16384, 16384, 16384]  # neurons per core
MAX_KERNEL, POOL_SIZES, WEIGHT_MAX = 16, (1, 2, 4), 127
DEVICE = "speck2fmodule"


def _pow2(n: float) -> int:
    return 2 ** math.ceil(math.log2(max(n, 1)))


def layer_memory(node, in_shape: tuple) -> tuple[int, int, tuple]:
    """(kernel memory, neuron memory, output shape) of a Conv2d or Linear node on input (C, H, W) or (N,)."""
    if isinstance(node, nir.Conv2d):
        c_out, c_in, kh, kw = np.asarray(node.weight).shape
        _, h, w = in_shape
        pad, stride = np.broadcast_to(node.padding, 2), np.broadcast_to(node.stride, 2)
        out = (c_out, (h + 2 * int(pad[0]) - kh) // int(stride[0]) + 1,
               (w + 2 * int(pad[1]) - kw) // int(stride[1]) + 1)
        return c_in * _pow2(kh * kw) * _pow2(c_out), c_out * _pow2(out[1]) * _pow2(out[2]), out
    c_out, c_in = np.asarray(node.weight).shape  # Linear: a kernel that covers the whole (flattened) input
    return c_in * _pow2(c_out), c_out, (c_out,)


def assign_cores(needs: list[tuple[str, int, int]]) -> dict[str, int] | None:
    """Layer → core such that every layer fits its core's memories (backtracking; None if impossible)."""
    def place(k: int, used: dict[str, int]):
        if k == len(needs):
            return used
        name, kernel, neurons = needs[k]
        for core in range(len(KERNEL_MEMORY)):
            if core not in used.values() and kernel <= KERNEL_MEMORY[core] and neurons <= NEURON_MEMORY[core]:
                found = place(k + 1, {**used, name: core})
                if found:
                    return found
        return None
    return place(0, {})


def _walk(graph: nir.NIRGraph) -> tuple[list[Violation], list[tuple[str, int, int]]]:
    """(violations named by node, (weight node, kernel memory, neuron memory) of every layer), input to output."""
    found, needs = [], []
    shape = input_shape(graph)
    for name in chain_nodes(graph)[1:-1]:
        node = graph.nodes[name]
        if isinstance(node, (nir.Conv2d, nir.Linear, nir.Affine)):
            if isinstance(node, nir.Conv2d):
                kernel = np.asarray(node.weight).shape[2:]
                if max(kernel) > MAX_KERNEL:
                    found.append(Violation(name, f"kernel {kernel[0]}×{kernel[1]} exceeds Speck's 16×16"))
                if node.groups != 1 or np.any(np.asarray(node.dilation) != 1):
                    found.append(Violation(name, "grouped or dilated convolution: Speck has neither"))
            elif len(shape) != 1:
                shape = (int(np.prod(shape)),)
            kernel_mem, neuron_mem, shape = layer_memory(node, shape)
            needs.append((name, kernel_mem, neuron_mem))
        elif isinstance(node, nir.SumPool2d):
            sizes = set(np.asarray(node.kernel_size).reshape(-1).tolist())
            if not sizes <= set(POOL_SIZES):
                found.append(Violation(name, f"sum pooling {sorted(sizes)}: Speck pools by 1, 2 or 4"))
            k = int(np.asarray(node.kernel_size).reshape(-1)[0])
            shape = (shape[0], shape[1] // k, shape[2] // k)
        elif isinstance(node, nir.Flatten):
            shape = (int(np.prod(shape)),)
        elif isinstance(node, nir.IF):
            if np.any(np.asarray(node.r) != 1):
                found.append(Violation(name, "IF with r ≠ 1: sinabs ignores r (fold it into the weights)"))
        elif isinstance(node, (nir.LIF, nir.CubaLIF, nir.LI)):
            found.append(Violation(name, f"{type(node).__name__}: Speck runs integrate-and-fire neurons only "
                                         "(no leak, no synaptic current)"))
        else:
            found.append(Violation(name, f"{type(node).__name__} is not supported on Speck"))
    return found, needs


def ready() -> None:
    """sinabs comes with bioaware's `targets` extra (samna, for the chip configuration, is optional)."""
    require_packages("sinabs")


def check_limits(graph: nir.NIRGraph) -> list[Violation]:
    """Speck's limits on a feed-forward NIR graph, named by node."""
    found, needs = _walk(graph)
    if len(needs) > len(KERNEL_MEMORY):
        found.append(Violation(needs[len(KERNEL_MEMORY)][0], f"{len(needs)} layers: Speck has 9 cores"))
    elif assign_cores(needs) is None:
        for name, kernel, neurons in needs:
            if kernel > max(KERNEL_MEMORY) or neurons > max(NEURON_MEMORY):
                found.append(Violation(name, f"needs {kernel} kernel and {neurons} neuron memory entries; the "
                                             f"largest core holds {max(KERNEL_MEMORY)} and {max(NEURON_MEMORY)}"))
        if not found:
            found.append(Violation(needs[0][0], "the layers fit no assignment to Speck's 9 cores"))
    return found


def core_assignment(graph: nir.NIRGraph) -> dict[str, dict]:
    """Weight node → its Speck core and the kernel / neuron memory it takes there."""
    needs = _walk(graph)[1]
    cores = assign_cores(needs) or {}
    return {name: {"core": cores.get(name), "kernel_memory": kernel, "neuron_memory": neurons}
            for name, kernel, neurons in needs}


def discretise(model, graph: nir.NIRGraph) -> dict[str, float]:
    """Speck's 8-bit weights in place: for each IF layer, one scale so that the largest |weight| of the layer
    feeding it becomes 127; weights, bias, threshold and v floor are scaled and rounded. Returns the scales."""
    import sinabs.layers as sl
    import torch

    modules = dict(model.named_modules())  # sinabs names a node's module by its NIR name with '.' → '_'
    feeds = {dst: src for src, dst in graph.edges}
    scales = {}
    for name, node in graph.nodes.items():
        neurons = modules.get(name.replace(".", "_"))
        weighted = modules.get(feeds.get(name, "").replace(".", "_"))
        if not isinstance(node, nir.IF) or not isinstance(neurons, sl.IAF) or not hasattr(weighted, "weight"):
            continue
        with torch.no_grad():
            scale = WEIGHT_MAX / float(weighted.weight.abs().max().clamp_min(1e-12))
            for tensor in (weighted.weight, weighted.bias, neurons.spike_threshold, neurons.min_v_mem):
                if isinstance(tensor, torch.Tensor):
                    tensor.mul_(scale).round_()
        scales[name] = scale
    return scales


def sinabs_counts(graph: nir.NIRGraph, input_spikes: np.ndarray, variant: str) -> dict[str, np.ndarray]:
    """Spike counts [T, images, N] of every IF layer of the sinabs model built by `sinabs.from_nir`.

    variant: 'imported' (as from_nir builds it), 'speck' (8-bit discretised), 'reset_to_zero'
    (the trained model's semantics: one spike per step at most, reset to 0, no lower bound on v).
    sinabs' IF emits ⌊v/θ⌋ spikes per step (MultiSpike) in the first two variants, as Speck does."""
    import sinabs
    import sinabs.layers as sl
    import torch
    from sinabs.activation import MembraneReset, SingleSpike

    steps, images, n_in = input_spikes.shape
    shape = input_shape(graph)
    model = sinabs.from_nir(graph, batch_size=images).float()
    if variant == "speck":
        discretise(model, graph)
    recorded = {}
    for name, module in model.named_modules():
        if isinstance(module, sl.IAF):
            if variant == "reset_to_zero":
                module.reset_fn, module.spike_fn, module.min_v_mem = MembraneReset(), SingleSpike, None
            module.register_forward_hook(lambda _m, _i, out, name=name: recorded.__setitem__(name, out))
    x = torch.from_numpy(input_spikes).float().permute(1, 0, 2).reshape(images * steps, *shape)
    with torch.no_grad():
        model(x)
    return {name: out.reshape(images, steps, -1).permute(1, 0, 2).numpy().astype(np.float64)
            for name, out in recorded.items()}


def real_samna_available() -> bool:
    """True when SynSense's samna is installed (PyPI's stub would try to download it at import)."""
    spec = importlib.util.find_spec("samna")
    return bool(spec and spec.origin and "PYPI_SAMNA = True" not in Path(spec.origin).read_text(errors="ignore"))


def chip_config(graph: nir.NIRGraph, device: str = DEVICE):
    """Speck's chip configuration (samna object) for the graph; needs the real samna."""
    if not real_samna_available():
        raise BioawareError("samna: SynSense's chip library is not installed (PyPI's samna is a stub that fetches "
                            "it from SynSense's index); install it from there to generate the Speck configuration")
    import sinabs
    from sinabs.backend.dynapcnn import DynapcnnNetwork

    network = DynapcnnNetwork(sinabs.from_nir(graph, batch_size=1), input_shape=input_shape(graph), discretize=True)
    return network.make_config(device=device)


def deploy(graph, layers: list[DenseSpikingLayer], input_spikes: np.ndarray, out_dir: Path) -> list:
    """sinabs columns (as imported, 8-bit Speck weights, trained reset semantics), plus the chip config with samna."""

    columns = []
    for variant, label in (("imported", "sinabs from_nir (reset by subtraction, v ≥ −θ)"),
                           ("speck", "sinabs, Speck 8-bit weights"),
                           ("reset_to_zero", "sinabs, reset to 0 (trained semantics)")):
        start = time.perf_counter()
        counts = sinabs_counts(graph, input_spikes, variant)
        columns.append(TargetColumn(label, counts, time.perf_counter() - start))
    columns[1].details["cores"] = core_assignment(graph)
    columns[1].details["chip_config"] = (f"generated for {DEVICE}" if real_samna_available() and chip_config(graph)
                                         else "skipped: samna (SynSense's chip library) is not installed")
    return columns
