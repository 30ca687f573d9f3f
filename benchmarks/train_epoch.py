"""One epoch of Roy et al.'s MNIST autoencoder (784-196-784, T = 15, batch 100, BPTT, Adam 5e-4)
written five ways, timed side by side in one process, from the same initial weights and the
same input spikes:

  plain-torch     step-by-step loop in plain PyTorch (autograd through every step)
  snntorch        snnTorch Leaky neurons (reset to zero, sigmoid surrogate), step by step
  norse           Norse's LIF box (lif_box_feed_forward_step, input scaled by 1/α), step by step
  bioaware-step   bioaware's RoyAutoencoder.step, step by step
  bioaware        bioaware's RoyAutoencoder.forward: one matmul per layer for the whole window
                  and a fused LIF scan (one autograd node per layer)

Prints seconds per epoch (training only, data encoding included), throughput ratios against
snnTorch and plain PyTorch, the largest weight difference from plain PyTorch after the first
batch (the implementations compute the same function; Norse differs in its surrogate,
SuperSpike, since it has no sigmoid one) and the test MSE each trained model reaches (over a
whole epoch float rounding flips the odd spike, and runs drift apart as chaotic systems do).
snnTorch 1.0's sigmoid surrogate returns NaN where slope·(V − θ) < −88 (float32 exp overflow),
so its weights can turn NaN; its timing is still valid.

    python benchmarks/train_epoch.py                # full epoch (600 batches; a few minutes)
    python benchmarks/train_epoch.py --batches 50   # quick look
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from bioaware.core.config import DataSection
from bioaware.data.datasets import load_images
from bioaware.data.encoders import bernoulli_rate
from bioaware.models.functional.lif import LIFParameters
from bioaware.models.functional.surrogate import sigmoid_spike
from bioaware.models.roy_ae import RoyAutoencoder
from bioaware.train.losses import masked_membrane_loss
from bioaware.core.metrics import normalised_mse

LEAK, V_TH, SLOPE, STEPS, HIDDEN = 0.1, 1.0, 5.0, 15, 196


def plain_torch(model: RoyAutoencoder, x: torch.Tensor):
    w1, w2 = model.encoder.weight, model.decoder.weight
    v1 = x.new_zeros(x.shape[1], HIDDEN)
    v2 = x.new_zeros(x.shape[1], 784)
    zs, vs = [], []
    for x_t in x:
        v1 = (1 - LEAK) * v1 + x_t @ w1.t()
        z1 = sigmoid_spike(v1 - V_TH, SLOPE)
        v1 = v1 * (1 - z1.detach())
        v2 = (1 - LEAK) * v2 + z1 @ w2.t()
        z2 = sigmoid_spike(v2 - V_TH, SLOPE)
        zs.append(z2)
        vs.append(v2)
        v2 = v2 * (1 - z2.detach())
    return torch.stack(zs), torch.stack(vs)


def make_snntorch(model: RoyAutoencoder):
    import snntorch as snn
    from snntorch import surrogate

    lif1 = snn.Leaky(beta=1 - LEAK, threshold=V_TH, spike_grad=surrogate.sigmoid(slope=SLOPE), reset_mechanism="zero")
    lif2 = snn.Leaky(beta=1 - LEAK, threshold=V_TH, spike_grad=surrogate.sigmoid(slope=SLOPE), reset_mechanism="zero")

    def run(model, x):
        m1, m2 = lif1.reset_mem(), lif2.reset_mem()
        zs, vs = [], []
        for x_t in x:
            z1, m1 = lif1(model.encoder(x_t), m1)
            z2, m2 = lif2(model.decoder(z1), m2)
            zs.append(z2)
            vs.append(m2)
        return torch.stack(zs), torch.stack(vs)
    return run


def make_norse():
    from norse.torch.functional.lif_box import LIFBoxFeedForwardState, LIFBoxParameters, lif_box_feed_forward_step

    p = LIFBoxParameters(tau_mem_inv=torch.tensor(LEAK), v_th=torch.tensor(V_TH), method="super",
                         alpha=torch.tensor(SLOPE * 4.0))

    def run(model, x):
        s1 = LIFBoxFeedForwardState(v=x.new_zeros(x.shape[1], HIDDEN))
        s2 = LIFBoxFeedForwardState(v=x.new_zeros(x.shape[1], 784))
        zs, vs = [], []
        for x_t in x:
            z1, s1 = lif_box_feed_forward_step(model.encoder(x_t) / LEAK, s1, p, dt=1.0)
            current = model.decoder(z1)
            v_pre = (1 - LEAK) * s2.v + current  # the box's pre-reset membrane, for the loss
            z2, s2 = lif_box_feed_forward_step(current / LEAK, s2, p, dt=1.0)
            zs.append(z2)
            vs.append(v_pre)
        return torch.stack(zs), torch.stack(vs)
    return run


def bioaware_step(model, x):
    state, zs, vs = None, [], []
    for x_t in x:
        out, state = model.step(x_t, state)
        zs.append(out.out_z)
        vs.append(out.out_v)
    return torch.stack(zs), torch.stack(vs)


def bioaware_fused(model, x):
    out = model(x)
    return out.out_z, out.out_v


def train(run, init: dict, images: torch.Tensor, batches: int, seed: int):
    """Train from `init`; returns (seconds, weights after the first batch, trained model)."""
    torch.manual_seed(seed)
    model = RoyAutoencoder(784, HIDDEN, LIFParameters(LEAK, V_TH, SLOPE))
    model.load_state_dict(init)
    opt = torch.optim.Adam(model.parameters(), lr=5e-4, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    seconds, first = 0.0, None
    for b in range(batches):
        start = time.perf_counter()
        x = bernoulli_rate(images[b * 100:(b + 1) * 100], STEPS, generator=gen)
        out_z, out_v = run(model, x)
        loss = masked_membrane_loss(out_v, out_z, x, V_TH)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        seconds += time.perf_counter() - start
        if first is None:
            first = {k: v.clone() for k, v in model.state_dict().items()}
    return seconds, first, model


def max_abs_diff(a: dict, b: dict) -> float:
    return max(float((a[k] - b[k]).abs().max()) for k in a)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batches", type=int, default=600, help="batches of 100 (600 = one MNIST epoch)")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--data-root", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    root = Path(args.data_root)
    data = load_images(DataSection(dataset="mnist", root=str(root), download=False) if root.exists()
                       else DataSection(dataset="mnist_5k"))
    batches = min(args.batches, len(data.train_x) // 100)
    init = RoyAutoencoder(784, HIDDEN).state_dict()
    variants = {"plain-torch": plain_torch, "snntorch": make_snntorch(None), "norse": make_norse(),
                "bioaware-step": bioaware_step, "bioaware": bioaware_fused}
    times, first, mse = {}, {}, {}
    test = data.test_x[:2000]
    for name, run in variants.items():
        times[name], first[name], model = train(run, init, data.train_x, batches, seed=0)
        with torch.no_grad():
            out = model(bernoulli_rate(test, STEPS, generator=torch.Generator().manual_seed(1)))
        mse[name] = normalised_mse(test, out.out_z.sum(0))
        print(f"{name:>14}: {times[name]:7.2f} s for {batches} batches "
              f"({times[name] * 600 / batches:6.1f} s per 60k-image epoch)", flush=True)
    print(f"\nthreads: {args.threads}; ratios are throughput (higher is faster); test MSE on 2,000 test images")
    print(f"{'':>14}  {'vs snntorch':>12} {'vs plain-torch':>15} {'|ΔW| after batch 1':>19} {'test MSE':>9}")
    for name in variants:
        print(f"{name:>14}  {times['snntorch'] / times[name]:11.2f}× {times['plain-torch'] / times[name]:14.2f}× "
              f"{max_abs_diff(first[name], first['plain-torch']):19.1e} {mse[name]:9.4f}")


if __name__ == "__main__":
    main()
