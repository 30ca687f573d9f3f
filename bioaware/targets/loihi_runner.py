"""Run a bioaware Loihi bundle in Lava (Loihi 2 simulation on the CPU) — a standalone script.

Runs in the Lava environment (Python 3.10, numpy < 2, lava-nc 0.10): it imports only numpy and
lava, never torch or bioaware. Usage: python loihi_runner.py BUNDLE.npz OUT.npz

The bundle (written by `bioaware.targets.loihi`) holds, for layers 0 … L−1: `w{k}` [out, in]
weights, `du{k}`, `dv{k}`, `vth{k}`; plus `input` [N_in, steps] spikes of all images laid end to
end in windows of `window` steps, `images`, `steps` (steps of one image) and `tag`
('fixed_pt': integers for the bit-accurate models; 'floating_pt': floats).

Lava's Dense delivers a spike one step after it was sent, so layer k (1-based) sees image i's
input step s at time step i·window + s + 1 + k; its LIFReset clears u and v at the first of those
steps. OUT.npz gets `layer{k}` [steps, images, out] spike counts and `seconds` (Lava run time).
"""

import sys
import time

import numpy as np
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc.dense.process import Dense
from lava.proc.io.sink import RingBuffer as Sink
from lava.proc.io.source import RingBuffer as Source
from lava.proc.lif.process import LIFReset


def main(bundle_path: str, out_path: str) -> None:
    b = np.load(bundle_path)
    tag, window, images, steps = str(b["tag"]), int(b["window"]), int(b["images"]), int(b["steps"])
    n_layers = int(b["layers"])
    total = images * window + n_layers + 1
    data = np.zeros((b["input"].shape[0], total), dtype=b["input"].dtype)
    data[:, :b["input"].shape[1]] = b["input"]
    source = Source(data=data)
    previous, sinks = source.s_out, []
    for k in range(n_layers):
        weight = b[f"w{k}"]
        dense = Dense(weights=weight, num_message_bits=0, weight_exp=0, num_weight_bits=8) if tag == "fixed_pt" \
            else Dense(weights=weight)
        neurons = LIFReset(shape=(weight.shape[0],), du=b[f"du{k}"].item(), dv=b[f"dv{k}"].item(),
                           vth=b[f"vth{k}"].item(), bias_mant=0, reset_interval=window, reset_offset=(k + 2) % window)
        sink = Sink(shape=(weight.shape[0],), buffer=total)
        previous.connect(dense.s_in)
        dense.a_out.connect(neurons.a_in)
        neurons.s_out.connect(sink.a_in)
        previous, sinks = neurons.s_out, sinks + [sink]
    start = time.perf_counter()
    source.run(condition=RunSteps(num_steps=total), run_cfg=Loihi2SimCfg(select_tag=tag))
    seconds = time.perf_counter() - start
    out = {"seconds": np.array(seconds)}
    for k, sink in enumerate(sinks):
        spikes = np.asarray(sink.data.get()) != 0  # [out, total]; column c is time step c + 1
        first = np.arange(images)[:, None] * window + np.arange(steps)[None, :] + k + 1  # column of (image, step)
        out[f"layer{k}"] = spikes[:, first].transpose(2, 1, 0).astype(np.uint8)  # [steps, images, out]
    source.stop()
    np.savez(out_path, **out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python loihi_runner.py BUNDLE.npz OUT.npz")
    main(sys.argv[1], sys.argv[2])
