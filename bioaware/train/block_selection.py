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
    """Each digit's `candidates` best checked blocks of `weights` = [hidden-layer weights [H, in], output weights
    [out, H], …] (alternating, e.g. generator then discriminator), best first; a score is a list compared
    element-wise in order (lower is better), as the loop's model selection compares them."""

    def __init__(self, hidden: int, candidates: int = 1):
        self.block, self.candidates = digit_blocks(hidden), candidates
        self.best: dict[int, list[dict]] = {}  # digit → [{"score", "step", "weights"}, …], best first

    def _cut(self, weight: torch.Tensor, k: int, digit: int) -> tuple:
        mask = (self.block == digit).to(weight.device)
        return (mask, slice(None)) if k % 2 == 0 else (slice(None), mask)

    def offer(self, digit: int, score: list, step: int, weights: list[torch.Tensor]) -> bool:
        """Keep `digit`'s block of `weights` if `score` is among its `candidates` best so far; true when it is the
        best."""
        kept = self.best.setdefault(digit, [])
        if len(kept) == self.candidates and not score < kept[-1]["score"]:
            return False
        entry = {"score": list(score), "step": step,
                 "weights": [w.detach()[self._cut(w, k, digit)].cpu().clone() for k, w in enumerate(weights)]}
        kept.append(entry)
        kept.sort(key=lambda e: e["score"])
        del kept[self.candidates:]
        return kept[0] is entry

    def ranked(self, digit: int) -> list[dict]:
        """`digit`'s kept blocks, best first."""
        return self.best.get(digit, [])

    def pick(self, digit: int, index: int) -> None:
        """Make `digit`'s kept block number `index` (in `ranked` order) its best."""
        kept = self.best[digit]
        kept.insert(0, kept.pop(index))

    def score(self) -> list:
        """What the loop's selection compares: the best blocks' scores summed element-wise, then minus the latest
        check any kept block comes from (a check that keeps only a lower-ranked block then also counts as better,
        so the loop's saved best model holds every kept block)."""
        scores = [kept[0]["score"] for kept in self.best.values() if kept]
        latest = max((e["step"] for kept in self.best.values() for e in kept), default=0)
        return [sum(column) for column in zip(*scores)] + [-latest]

    @torch.no_grad()
    def assemble(self, weights: list[torch.Tensor], rank: int = 0) -> None:
        """Write every digit's kept block number `rank` (its last kept one if it has fewer) into `weights` in place."""
        for digit, kept in self.best.items():
            if kept:
                for k, (w, part) in enumerate(zip(weights, kept[min(rank, len(kept) - 1)]["weights"])):
                    w[self._cut(w, k, digit)] = part.to(w.device, w.dtype)

    def steps(self) -> dict[str, int]:
        """The check each digit's best block was kept from."""
        return {str(d): self.best[d][0]["step"] for d in sorted(self.best) if self.best[d]}

    def state_dict(self) -> dict:
        return {"best_blocks": self.best}

    def load_state_dict(self, state: dict) -> None:
        self.best = {d: kept if isinstance(kept, list) else [kept]  # run dirs from before candidates kept one dict
                     for d, kept in state.get("best_blocks", {}).items()}
