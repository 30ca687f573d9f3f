"""How much of MNIST the input spikes that have arrived by step N tell a network of the classifier's size: a
784-400-10 ReLU MLP (Adam, cross-entropy) trained and tested on what a TTFS classifier has seen by then (each
pixel that has fired as 1 − t/T, the others 0). It puts a decision-time target in context: a single-spike network
that decides at step N by default works from no more than this.

A TTFS classifier need not decide at the same step on every image; its target is a *mean* decision time. The
early-exit table lets the MLPs do the same: an image is decided by the MLP of the first step in `--by` whose
softmax confidence reaches c (the last step's otherwise), which gives accuracy against mean decision time for
each c. Step N is charged as N, although a spike at N reaches a two-layer SNN's output no sooner than N + 2.

    python benchmarks/ttfs_information.py --root ../shared/data/mnist --by 40 60 90 256
    python benchmarks/ttfs_information.py --root ../shared/data/mnist --by 20 30 40 50 60 70 80 100 130 256 \\
        --figure runs/ttfs_information.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from bioaware.models.functional.ttfs import ttfs_encode


def seen_by(images: torch.Tensor, by: int, steps: int) -> torch.Tensor:
    """Pixels [B, 784] in [0, 1] → what a TTFS network has received by step `by`: 1 − t/T where t < by, else 0."""
    t = ttfs_encode(images, steps)
    return torch.where(t < by, 1 - t / steps, torch.zeros_like(t))


def mlp_probabilities(train_x, train_y, test_x, hidden: int, epochs: int, seed: int) -> torch.Tensor:
    """Test-set softmax [N, 10] of a 784-`hidden`-10 ReLU MLP after `epochs` of Adam (lr 10⁻³, batches of 100)."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(train_x.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    for _ in range(epochs):
        for idx in torch.randperm(len(train_x)).split(100):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(train_x[idx]), train_y[idx]).backward()
            opt.step()
    with torch.no_grad():
        return net(test_x).softmax(1)


def early_exit(probabilities: dict[int, torch.Tensor], labels: torch.Tensor, confidence: float) -> dict:
    """{decision_time (mean step), accuracy} when each image is decided at the first step whose MLP is ≥ `confidence`
    sure."""
    steps = sorted(probabilities)
    decided = torch.zeros(len(labels), dtype=torch.bool)
    when = torch.full((len(labels),), float(steps[-1]))
    right = torch.zeros(len(labels), dtype=torch.bool)
    for step in steps:
        p = probabilities[step]
        now = ~decided & ((p.max(1).values >= confidence) | (step == steps[-1]))
        when[now], right[now] = float(step), (p.argmax(1) == labels)[now]
        decided |= now
    return {"decision_time": float(when.mean()), "accuracy": float(right.float().mean())}


def main() -> None:
    from bioaware.core.config import DataSection
    from bioaware.data.datasets import load_images

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default="data", help="MNIST root (IDX files or torchvision's copy)")
    ap.add_argument("--by", type=int, nargs="+", default=[40, 60, 90, 256], help="decision steps to compare")
    ap.add_argument("--confidence", type=float, nargs="+", default=[0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999],
                    help="early exit: softmax confidence at which an image is decided")
    ap.add_argument("--steps", type=int, default=256, help="T, the TTFS window")
    ap.add_argument("--hidden", type=int, default=400)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--figure", type=Path, help="PNG: the early-exit curve beside the papers' points and the target")
    args = ap.parse_args()

    data = load_images(DataSection(dataset="mnist", root=args.root))
    probabilities, rows = {}, {}
    for by in sorted(args.by):
        probabilities[by] = mlp_probabilities(seen_by(data.train_x, by, args.steps), data.train_y,
                                              seen_by(data.test_x, by, args.steps), args.hidden, args.epochs, args.seed)
        rows[by] = float((probabilities[by].argmax(1) == data.test_y).float().mean())
        print(f"by step {by}: {rows[by]:.4f}", flush=True)
    full = rows.get(args.steps)
    print(f"\n| spikes received by step | 784-{args.hidden}-10 MLP test accuracy | vs all spikes |\n|---|---|---|")
    for by, accuracy in rows.items():
        print(f"| {by} | {accuracy:.4f} | {accuracy / full:.4f} |" if full else f"| {by} | {accuracy:.4f} | |")
    exits = {f"c = {c:g}": early_exit(probabilities, data.test_y, c) for c in args.confidence}
    print("\n| early exit at confidence | mean decision step | test accuracy |\n|---|---|---|")
    for label, r in exits.items():
        print(f"| {label[4:]} | {r['decision_time']:.1f} | {r['accuracy']:.4f} |")
    if args.figure:
        from bioaware.evaluation.ttfs_accuracy import latency_figure

        latency_figure(exits, args.figure, f"784-{args.hidden}-10 ReLU MLPs on the spikes received so far, early exit",
                       series="MLP early exit", xlabel="mean decision step (the exit's N)")
        print(f"figure: {args.figure}")


if __name__ == "__main__":
    main()
