"""Closed-form NIR cases in Brian2: spike-time error against the exact continuous-time answer at several dt.

Brian2's standard schedule delivers a spike one simulation step after it is emitted and detects a
threshold crossing at the next step, so the error should fall in proportion to dt (first order).

    python benchmarks/nir_convergence.py                      # dt = 100, 10, 1 µs
    python benchmarks/nir_convergence.py --dt 1e-4 1e-5
"""

from __future__ import annotations

import argparse

import numpy as np

from bioaware.compare.closed_forms import CASES, spike_time_errors, spike_times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dt", type=float, nargs="+", default=[1e-4, 1e-5, 1e-6], help="simulation steps (s)")
    ap.add_argument("--device", default="runtime")
    args = ap.parse_args()
    header = " | ".join(f"dt {dt * 1e6:g} µs" for dt in args.dt)
    print(f"| case | spikes | {header} | order |")
    print("|---|---|" + "---|" * len(args.dt) + "---|")
    for make in CASES:
        case = make()
        errors = [spike_time_errors(case, spike_times(case, dt, args.device)).max() for dt in args.dt]
        pairs = np.array([(dt, e) for dt, e in zip(args.dt, errors) if np.isfinite(e) and e > 0])
        order = np.polyfit(np.log(pairs[:, 0]), np.log(pairs[:, 1]), 1)[0] if len(pairs) > 1 else float("nan")
        cells = " | ".join(f"{e * 1e6:.2f} µs" for e in errors)
        print(f"| {case.name} | {len(case.expected)} | {cells} | {order:.2f} |")


if __name__ == "__main__":
    main()
