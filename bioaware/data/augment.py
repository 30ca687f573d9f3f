"""Training-time augmentation of flattened square images."""

from __future__ import annotations

import torch


def random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Each image [N, side²] translated by its own integer offset in [−max_shift, max_shift]² pixels; the
    pixels shifted in are 0 (background)."""
    n, pixels = images.shape
    side = int(round(pixels ** 0.5))
    if side * side != pixels:
        raise ValueError(f"random_shift needs square images, got {pixels} pixels")
    pad = max_shift
    padded = torch.nn.functional.pad(images.view(n, side, side), (pad, pad, pad, pad))
    dy, dx = (torch.randint(0, 2 * pad + 1, (2, n), generator=generator))
    rows = (dy[:, None] + torch.arange(side))[:, :, None]  # [n, side, 1]
    cols = (dx[:, None] + torch.arange(side))[:, None, :]  # [n, 1, side]
    return padded[torch.arange(n)[:, None, None], rows, cols].reshape(n, pixels)
