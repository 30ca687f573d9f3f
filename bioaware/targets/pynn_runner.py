"""One NIR-derived feed-forward network in PyNN, on sPyNNaker (virtual board) or on PyNN's Brian2 backend.

Run as a subprocess (each PyNN backend is a process-wide singleton):
    python -m bioaware.targets.pynn_runner spinnaker|brian2 BUNDLE.npz OUT.npz
It imports PyNN and numpy only. The bundle (written by `bioaware.targets.spinnaker`) holds `w{k}`
[out, in] weights in threshold units, `tau_m{k}` (ms; inf for IF), `v_thresh{k}`, `layers`,
`input` [T, images, N_in] spikes, `dt_ms` (the training step) and `delay_ms`.

Cells are delta-current LIF (`IF_curr_delta`; sPyNNaker's `IFCurDelta`) with v_rest = v_reset = 0 mV,
threshold θ mV, so a weight w is a jump of w mV; negative weights go to the inhibitory receptor,
still negative (PyNN's convention for current-based synapses; sPyNNaker takes their magnitude).
Every projection has the delay `delay_ms` (PyNN's minimum: one time step). An input spike of
step t is sent at t·dt.

spinnaker: one image, mapped on a virtual SpiNNaker board (sPyNNaker reads .spynnaker.cfg from
$HOME: the caller points HOME at a project-local folder); OUT gets the cores, chips and mapping
time. The run returns no spikes there. brian2: every image in turn (sim.reset() between them) with
the numpy code-generation target; OUT gets `layer{k}` spike times as (image, neuron, step) rows.
"""

import sys
import time

import numpy as np


def spike_times(bundle, image: int) -> list[list[float]]:
    """Input spike times (ms) of one image, a list per input neuron."""
    x, dt = bundle["input"][:, image, :], float(bundle["dt_ms"])
    return [[float(t * dt) for t in np.nonzero(x[:, n])[0]] for n in range(x.shape[1])]


def build(sim, cell, bundle):
    """Input (first image's spikes) and neuron populations; returns (source, neuron populations in order)."""
    delay = float(bundle["delay_ms"])
    inputs = sim.SpikeSourceArray(spike_times=spike_times(bundle, 0))
    source = previous = sim.Population(bundle["input"].shape[2], inputs, label="input")
    populations = []
    for k in range(int(bundle["layers"])):
        w = bundle[f"w{k}"]
        tau = float(bundle[f"tau_m{k}"])
        pop = sim.Population(w.shape[0], cell(tau_m=tau if np.isfinite(tau) else 1e9, cm=1.0, v_rest=0.0,
                                              v_reset=0.0, v_thresh=float(bundle[f"v_thresh{k}"]), tau_refrac=0.0,
                                              i_offset=0.0), label=f"layer{k}")
        pop.initialize(v=0.0)
        for receptor, sign in (("excitatory", 1.0), ("inhibitory", -1.0)):
            post, pre = np.nonzero(sign * w > 0)
            # sorted by (pre, post): sPyNNaker 7.4.1's FromListConnector sizes its synaptic rows by splitting
            # the list where the sorted values change, so an unsorted list gives wrong (too long) rows
            order = np.lexsort((post, pre))
            pre, post = pre[order], post[order]
            if len(pre):
                rows = np.column_stack([pre, post, w[post, pre], np.full(len(pre), delay)])
                sim.Projection(previous, pop, sim.FromListConnector(rows, column_names=["weight", "delay"]),
                               receptor_type=receptor)
        pop.record("spikes")
        populations.append(pop)
        previous = pop
    return source, populations


def run_spinnaker(bundle) -> dict:
    import pyNN.spiNNaker as sim
    from spinn_front_end_common.data import FecDataView

    steps = bundle["input"].shape[0]
    sim.setup(timestep=float(bundle["dt_ms"]))
    build(sim, sim.extra_models.IFCurDelta, bundle)
    start = time.perf_counter()
    sim.run((steps + int(bundle["layers"]) + 1) * float(bundle["dt_ms"]))
    seconds = time.perf_counter() - start
    placements = list(FecDataView.iterate_placemements())
    application = [p for p in placements if type(p.vertex).__name__ in ("PopulationMachineVertex",
                                                                         "SpikeSourceArrayMachineVertex")]
    result = {"mapping_seconds": seconds, "cores_total": len(placements), "cores_application": len(application),
              "chips_total": len({(p.x, p.y) for p in placements}),
              "chips_application": len({(p.x, p.y) for p in application}),
              "neuron_cores": sum(type(p.vertex).__name__ == "PopulationMachineVertex" for p in application)}
    sim.end()
    return result


def run_brian2(bundle) -> dict:
    import pyNN.brian2 as sim

    steps, images, _ = bundle["input"].shape
    dt = float(bundle["dt_ms"])
    sim.setup(timestep=dt, min_delay=float(bundle["delay_ms"]))
    import brian2
    brian2.prefs.codegen.target = "numpy"
    source, populations = build(sim, sim.IF_curr_delta, bundle)
    rows = {k: [] for k in range(len(populations))}
    start = time.perf_counter()
    for image in range(images):
        if image:
            sim.reset()
            source.set(spike_times=spike_times(bundle, image))
        sim.run((steps + int(bundle["layers"]) + 1) * dt)
        for k, pop in enumerate(populations):
            for neuron, train in enumerate(pop.get_data("spikes", clear=True).segments[-1].spiketrains):
                rows[k] += [(image, neuron, int(round(float(t) / dt))) for t in train.magnitude]
    out = {f"layer{k}": np.array(r, dtype=np.int64).reshape(-1, 3) for k, r in rows.items()}
    out["seconds"] = time.perf_counter() - start
    sim.end()
    return out


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("spinnaker", "brian2"):
        sys.exit("usage: python -m bioaware.targets.pynn_runner spinnaker|brian2 BUNDLE.npz OUT.npz")
    data = np.load(sys.argv[2])
    result = run_spinnaker(data) if sys.argv[1] == "spinnaker" else run_brian2(data)
    np.savez(sys.argv[3], **{key: np.asarray(value) for key, value in result.items()})
