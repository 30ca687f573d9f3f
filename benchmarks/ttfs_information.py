"""How much of MNIST the input spikes that have arrived by step N tell a network of the classifier's size: a
784-400-10 ReLU MLP (Adam, cross-entropy) trained and tested on what a TTFS classifier has seen by then (each
pixel that has fired as 1 − t/T, the others 0). It puts a decision-time target in context: a single-spike network
that decides at step N by default works from no more than this.

    python benchmarks/ttfs_information.py --root ../shared/data/mnist --by 40 60 90 256
"""

from __future__ import annotations

import argparse

import torch

from bioaware.models.functional.ttfs import ttfs_encode


def seen_by(images: torch.Tensor, by: int, steps: int) -> torch.Tensor:
    """Pixels [B, 784] in [0, 1] → what a TTFS network has received by step `by`: 1 − t/T where t < by, else 0."""
    t = ttfs_encode(images, steps)
    return torch.where(t < by, 1 - t / steps, torch.zeros_like(t))


def mlp_accuracy(train_x, train_y, test_x, test_y, hidden: int, epochs: int, seed: int) -> float:
    """Test accuracy of a 784-`hidden`-10 ReLU MLP after `epochs` of Adam (lr 10⁻³, batches of 100)."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(train_x.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    for _ in range(epochs):
        for idx in torch.randperm(len(train_x)).split(100):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(train_x[idx]), train_y[idx]).backward()
            opt.step()
    with torch.no_grad():
        return float((net(test_x).argmax(1) == test_y).float().mean())


def main() -> None:
    from bioaware.config import DataSection
    from bioaware.data.datasets import load_images

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default="data", help="MNIST root (IDX files or torchvision's copy)")
    ap.add_argument("--by", type=int, nargs="+", default=[40, 60, 90, 256], help="decision steps to compare")
    ap.add_argument("--steps", type=int, default=256, help="T, the TTFS window")
    ap.add_argument("--hidden", type=int, default=400)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    data = load_images(DataSection(dataset="mnist", root=args.root))
    rows = {}
    for by in args.by:
        rows[by] = mlp_accuracy(seen_by(data.train_x, by, args.steps), data.train_y, seen_by(data.test_x, by, args.steps),
                                data.test_y, args.hidden, args.epochs, args.seed)
        print(f"by step {by}: {rows[by]:.4f}", flush=True)
    full = rows.get(args.steps)
    print(f"\n| spikes received by step | 784-{args.hidden}-10 MLP test accuracy | vs all spikes |\n|---|---|---|")
    for by, accuracy in rows.items():
        print(f"| {by} | {accuracy:.4f} | {accuracy / full:.4f} |" if full else f"| {by} | {accuracy:.4f} | |")


if __name__ == "__main__":
    main()
