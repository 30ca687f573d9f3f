"""The floors of the package: every import (lazy ones included) goes down or stays on its floor, and no
module imports itself back through others."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "bioaware"

# bottom to top; a module may import its own sub-package and the floors below its own
FLOORS = [
    {"core", "configs"},
    {"interchange"},
    {"data", "models", "evaluation"},
    {"brian", "agreement"},
    {"train"},
    {"families"},
    {"targets"},
    {"check"},
    {"compare"},
    {"cli"},
    {"__main__"},
]


def module_name(path: Path) -> str:
    parts = ("bioaware",) + path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The bioaware modules `path` imports, anywhere in the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("bioaware.")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            if base.startswith("bioaware"):
                found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}
    return found - {name}


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: imports_of(path, set(files)) for name, path in files.items()}


def floor(module: str) -> int | None:
    top = module.split(".")[1] if "." in module else None
    return next((i for i, names in enumerate(FLOORS) if top in names), None)


def test_every_module_has_a_floor():
    assert [m for m in graph() if m != "bioaware" and floor(m) is None] == []


def test_no_module_imports_from_a_floor_above_or_beside_it():
    upward = []
    for module, targets in graph().items():
        for target in targets:
            same_package = module.split(".")[1] == target.split(".")[1] if "." in target else False
            if target != "bioaware" and not same_package and floor(target) >= floor(module):
                upward.append(f"{module} → {target}")
    assert upward == []


def test_no_import_cycle():
    edges = graph()
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" → ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []
