"""Model selection per digit for a label-partitioned conditional GAN (`ttfs.label_partition`).

The hidden neurons of both networks fall into ten blocks, one per digit, and a block's weights (its rows of the
hidden layers' input weights, its columns of the output layers' weights) act only when its digit is asked for.
So the blocks can be selected apart, as ten per-digit models would be: each check scores every digit's samples,
a block whose digit scored better than at any earlier check is copied aside, and the model that training leaves
is assembled from these copies.
"""

from __future__ import annotations

import torch


def digit_blocks(hidden: int) -> torch.Tensor:
    """The block (digit 0–9) of each of `hidden` neurons: ten consecutive, nearly equal blocks."""
    return torch.arange(hidden) * 10 // hidden


class BestBlocks:
    """Each digit's best checked block of `weights` = [hidden-layer weights [H, in], output weights [out, H], …]
    (alternating, e.g. generator then discriminator); a score is a list compared element-wise in order
    (lower is better), as the loop's model selection compares them."""

    def __init__(self, hidden: int):
        self.block = digit_blocks(hidden)
        self.best: dict[int, dict] = {}  # digit → {"score", "step", "weights"}

    def _cut(self, weight: torch.Tensor, k: int, digit: int) -> tuple:
        mask = (self.block == digit).to(weight.device)
        return (mask, slice(None)) if k % 2 == 0 else (slice(None), mask)

    def offer(self, digit: int, score: list, step: int, weights: list[torch.Tensor]) -> bool:
        """Keep `digit`'s block of `weights` if `score` beats its best so far; true when it did."""
        if digit in self.best and not score < self.best[digit]["score"]:
            return False
        self.best[digit] = {"score": list(score), "step": step,
                            "weights": [w.detach()[self._cut(w, k, digit)].cpu().clone() for k, w in enumerate(weights)]}
        return True

    def score(self) -> list:
        """The kept blocks' scores summed element-wise (what the loop's selection compares)."""
        scores = [entry["score"] for entry in self.best.values()]
        return [sum(column) for column in zip(*scores)]

    @torch.no_grad()
    def assemble(self, weights: list[torch.Tensor]) -> None:
        """Write every kept block into `weights` in place."""
        for digit, entry in self.best.items():
            for k, (w, kept) in enumerate(zip(weights, entry["weights"])):
                w[self._cut(w, k, digit)] = kept.to(w.device, w.dtype)

    def steps(self) -> dict[str, int]:
        """The check each digit's block was kept from."""
        return {str(d): self.best[d]["step"] for d in sorted(self.best)}

    def state_dict(self) -> dict:
        return {"best_blocks": self.best}

    def load_state_dict(self, state: dict) -> None:
        self.best = state.get("best_blocks", {})
