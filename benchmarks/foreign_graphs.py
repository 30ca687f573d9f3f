"""Write the foreign example graphs (snnTorch, Norse, sinabs exporters) and their inputs, for `bioaware check`.

    python benchmarks/foreign_graphs.py foreign/          # → foreign/<name>.nir, foreign/<name>_input.npz
    bioaware check foreign/snntorch_leaky.nir --input foreign/snntorch_leaky_input.npz
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nir
import numpy as np

from bioaware.check.foreign_examples import EXAMPLES


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="folder for the graphs and inputs")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for make in EXAMPLES:
        example = make()
        if example.spikes:
            example.graph.metadata = {**(example.graph.metadata or {}), "spike_convention": example.spikes}
        nir.write(args.out / f"{example.name}.nir", example.graph)
        np.savez(args.out / f"{example.name}_input.npz", raster=example.raster.astype(np.uint8), dt=example.step)
        print(f"bioaware check {args.out / example.name}.nir --input {args.out / example.name}_input.npz")


if __name__ == "__main__":
    main()
