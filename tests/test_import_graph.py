"""The package's import graph: no module imports itself back at import time, and every module
imports on its own in a fresh interpreter (issue 13: no import circle)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / "netdesign").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def _import_time_targets(name: str, path: Path) -> Iterator[str]:
    """The netdesign modules ``name`` imports when it is imported: module-level statements,
    not those in functions nor under ``if TYPE_CHECKING``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def walk(nodes: list[ast.stmt]) -> Iterator[str]:
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                yield from (alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    keep = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*keep, base] if base else keep)
                for alias in node.names:
                    inner = f"{base}.{alias.name}"
                    yield inner if inner in MODULES else base
            for block in ("body", "orelse", "finalbody", "handlers"):
                inner_nodes = getattr(node, block, None)
                if isinstance(inner_nodes, list):
                    yield from walk(inner_nodes)

    for target in walk(ast.parse(path.read_text(encoding="utf-8")).body):
        if target in MODULES and target not in ("netdesign", name):
            yield target


def test_no_import_cycle():
    graph = nx.DiGraph()
    for name, path in MODULES.items():
        graph.add_node(name)
        graph.add_edges_from((name, target) for target in _import_time_targets(name, path))
    assert graph.number_of_edges() > 50  # the walk found the imports
    assert list(nx.simple_cycles(graph)) == []


@pytest.mark.parametrize("module", ["netdesign.validate", "netdesign.io", "netdesign.finance",
                                    "netdesign.optimization.costs", "netdesign.store",
                                    "netdesign.scenario", "netdesign.report.html"])
def test_module_imports_first_in_a_fresh_interpreter(module: str):
    """Imported first, before anything that could have loaded its dependencies in a good order."""
    result = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                            text=True, env={"PYTHONPATH": str(SRC), "PATH": ""}, timeout=120)
    assert result.returncode == 0, result.stderr
