"""The TTFS classifier's accuracy beside the published operating points: the console table and the
accuracy-against-decision-time figure."""

from __future__ import annotations

from dataclasses import dataclass

from bioaware.core.figures import accuracy_against_time


@dataclass(frozen=True)
class PaperPoint:
    """A published 784-400-10 operating point: test accuracy, mean decision time (steps), spikes per image."""

    name: str
    accuracy: float
    decision_time: float
    spikes: float
    ties_count: bool  # the accuracy counts an image as right when the right neuron ties for the first spike


PAPERS = (PaperPoint("Spiking-GAN paper, 784-400-10 (tie rule not published)", 0.967, 59.7, 194, False),
          PaperPoint("S4NN paper, 784-400-10 (its code counts ties as right)", 0.974, 89.7, 218, True))
TARGET = (60.0, 0.970)  # the project's target: at most 60 steps to the decision, at least 97.0 % test accuracy


def accuracy_table(results: dict) -> str:
    """One Markdown table row per phase: accuracy, decision time, spikes — beside the papers' figures."""
    rows = ["| model | test accuracy | ties counted as right (S4NN's measure) | mean decision (steps) "
            "| spikes to decision | spikes in window |",
            "|---|---|---|---|---|---|"]
    for phase, r in results.items():
        rows.append(f"| {phase} | {r['accuracy']:.4f} | {r['accuracy_ties_count']:.4f} | {r['decision_time']:.1f} | "
                    f"{r['spikes_to_decision']:.1f} | {r['spikes']:.1f} |")
    rows += [f"| {p.name} | {'' if p.ties_count else p.accuracy} | {p.accuracy if p.ties_count else ''} | "
             f"{p.decision_time} | {p.spikes} | |" for p in PAPERS]
    return "\n".join(rows)


def latency_figure(results: dict, path, title: str = "", **style) -> None:
    """Test accuracy against mean decision time (steps) for each labelled result ({decision_time, accuracy} and,
    where every result has it, accuracy_ties_count), beside the papers' operating points and the project's target
    (≥ 97.0 % at ≤ 60 steps); `style`: accuracy_against_time's series and xlabel."""
    points = {label: (r["decision_time"], r["accuracy"]) for label, r in results.items()}
    ties_count = all("accuracy_ties_count" in r for r in results.values())
    accuracy_against_time(points, {p.name: (p.decision_time, p.accuracy) for p in PAPERS}, TARGET, path, title,
                          {label: r["accuracy_ties_count"] for label, r in results.items()} if ties_count else None,
                          **style)
