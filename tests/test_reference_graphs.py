"""The committed reference graphs in export/: each loads, parses, and has the structure its run config
exports today (an untrained model of the same config: same nodes, types, shapes and edges)."""

from __future__ import annotations

import re
from pathlib import Path

import nir
import pytest

from bioaware.families import family_of, load_config
from bioaware.families.runs import build_tasks
from bioaware.interchange.nir_graph import parse_graph

ROOT = Path(__file__).resolve().parents[1]
LISTED = re.findall(r"^\| `([\w/.]+\.nir)` \| `(runs/[\w.]+\.toml)` \|", (ROOT / "export" / "README.md").read_text(),
                    re.MULTILINE)


def structure(graph: nir.NIRGraph) -> tuple:
    """Node names with their NIR types and parameter shapes, and the edges."""
    nodes = {name: (type(node).__name__, {k: getattr(v, "shape", None) for k, v in vars(node).items()
                                         if hasattr(v, "shape")}) for name, node in graph.nodes.items()}
    return nodes, sorted(graph.edges)


def test_the_readme_lists_every_committed_graph():
    import subprocess

    tracked = subprocess.run(["git", "ls-files", "export"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode:
        pytest.skip("needs a git checkout to list the committed graphs")
    committed = {line.removeprefix("export/") for line in tracked.stdout.split() if line.endswith(".nir")}
    assert LISTED and {graph for graph, _ in LISTED} == committed


@pytest.mark.parametrize("graph_path, config", LISTED)
def test_reference_graph_loads_and_matches_what_its_config_exports(graph_path, config, tmp_path):
    graph = nir.read(ROOT / "export" / graph_path)
    parsed = parse_graph(graph, graph_path)
    assert parsed.populations and graph.metadata["checkpoint_sha256"]
    cfg = load_config(ROOT / config)
    task = [t for t, _ in build_tasks(cfg) if t.spiking][-1]
    written = family_of(cfg).export(task, cfg.to_dict(), cfg.run.name, {"checkpoint_sha256": "untrained"}, tmp_path)
    fresh = nir.read(written / Path(graph_path).name if written.is_dir() else written)
    assert structure(fresh) == structure(graph)
