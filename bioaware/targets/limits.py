"""A target's limits, checked on a NIR graph before conversion: every violation named by its node."""

from __future__ import annotations

from dataclasses import dataclass

from bioaware.core.errors import BioawareError


@dataclass(frozen=True)
class Violation:
    node: str
    problem: str

    def __str__(self) -> str:
        return f"{self.node}: {self.problem}"


def raise_if_any(violations: list[Violation], target: str, path) -> None:
    """One error that lists every violation (a report, not a traceback)."""
    if violations:
        listed = "; ".join(str(v) for v in violations)
        raise BioawareError(f"{path}: cannot map to {target} ({len(violations)} violation"
                            f"{'s' if len(violations) > 1 else ''}): {listed}")
