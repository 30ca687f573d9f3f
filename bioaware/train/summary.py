"""A Markdown table of finished runs (config → test MSE / Spike-MSE), beside Roy et al.'s Table 1."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bioaware.core.errors import BioawareError

# Roy, Panda & Roy 2019, Table 1 (test MSE), keyed by (dataset, hidden, model)
PAPER = {("mnist", 196, "snn"): 0.357, ("mnist", 196, "ann_sgd"): 0.226, ("mnist", 196, "ann_adam"): 0.122,
         ("fashion_mnist", 1024, "snn"): 0.140, ("fashion_mnist", 1024, "ann_sgd"): 0.418,
         ("fashion_mnist", 1024, "ann_adam"): 0.387, ("fashion_mnist", 512, "snn"): 0.178}
KINDS = ("roy_ae", "conv_if_ae", "ann_ae")  # the models of Table 1
HEADER = ["run", "model", "data", "hidden", "T", "leak", "slope", "update", "mask", "epochs", "lr",
          "test MSE", "Spike-MSE", "paper MSE"]


@dataclass
class SummaryRow:
    """One (run, model): its table cells (see HEADER), and the numbers a figure needs."""

    cells: list
    label: str
    mse: float
    paper: float | None


def _row(run: Path, cfg: dict, phase: str, r: dict) -> SummaryRow:
    m, t, d = cfg["model"], cfg["train"], cfg["data"]
    spiking = "spike_mse" in r
    own_lr = spiking or m["kind"] == "ann_ae"  # baselines train at [baselines] learning rates
    snn_cells = [m["steps"], m["leak"], m["surrogate_slope"], t["update"], t["mask"]] if spiking else ["–"] * 5
    paper = PAPER.get((d["dataset"], m["hidden"], phase))
    cells = [run.name, phase, d["dataset"], m["hidden"], *snn_cells, t["epochs"], t["lr"] if own_lr else "baseline",
             f"{r['mse']:.4f}", f"{r['spike_mse']:.3f}" if spiking else "–", "" if paper is None else paper]
    return SummaryRow(cells, f"{run.name}: {phase}", r["mse"], paper)


def collect(run_dirs: list[Path]) -> list[SummaryRow]:
    """Rows of every model of every finished run."""
    rows = []
    for run in run_dirs:
        if not (run / "results.json").is_file():
            raise BioawareError(f"{run}: no results.json; the run has not finished (train it, or resume it)")
        cfg = json.loads((run / "config.json").read_text())
        if cfg["model"]["kind"] not in KINDS:
            raise BioawareError(f"{run}: model.kind = {cfg['model']['kind']!r}; summary tabulates the rate-coded "
                                f"autoencoders ({', '.join(KINDS)}) beside Roy et al.'s Table 1: see this run's "
                                "results with `bioaware evaluate`")
        for phase, r in json.loads((run / "results.json").read_text())["results"].items():
            rows.append(_row(run, cfg, phase, r))
    return rows


def summary_table(rows: list[SummaryRow]) -> str:
    """One Markdown row per (run, model), with the settings that distinguish the experiments."""
    lines = [HEADER, ["---"] * len(HEADER), *(row.cells for row in rows)]
    return "\n".join("| " + " | ".join(str(c) for c in line) + " |" for line in lines)
