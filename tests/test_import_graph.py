"""The package import graph: acyclic, and drawn truthfully in docs/architecture.md.

Every ``import``/``from ... import`` in a package's sources counts, also the lazy ones inside
functions and ``importlib.import_module("literal")``: a cycle that only closes at run time is
still a cycle between concepts (issue 13: export imported ``pipelines.rundir`` while pipelines
imports export).
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("edge_runtime", "models", "export", "pipelines")
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def imported_modules(tree: ast.AST) -> list[str]:
    """Absolute module names a source file imports, at top level or lazily."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            names.append(node.args[0].value)
    return names


@functools.cache
def package_graph() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> the files that import it (for the failure message)."""
    graph: dict[str, dict[str, list[str]]] = {package: {} for package in PACKAGES}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for module in imported_modules(ast.parse(path.read_text("utf-8"), filename=str(path))):
                target = module.split(".")[0]
                if target in PACKAGES and target != package:
                    graph[package].setdefault(target, []).append(str(path.relative_to(ROOT)))
    return graph


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path [a, b, ..., a], or None (depth-first search with colours)."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def documented_graph() -> dict[str, set[str]]:
    """The ``pkg -> a, b`` lines of the fenced block under "## The package import graph"."""
    text = ARCHITECTURE.read_text("utf-8")
    match = re.search(r"^## The package import graph\n.*?```text\n(.*?)```", text, re.S | re.M)
    if match is None:
        raise AssertionError(f"{ARCHITECTURE}: no '## The package import graph' section with a ```text block")
    graph = {}
    for line in match.group(1).strip().splitlines():
        source, _, targets = line.partition("->")
        graph[source.strip()] = {t.strip() for t in targets.split(",") if t.strip() and t.strip() != "(nothing)"}
    return graph


def test_the_package_import_graph_has_no_cycle():
    graph = package_graph()
    cycle = find_cycle({package: set(targets) for package, targets in graph.items()})
    if cycle:
        steps = [f"{a} -> {b} (in {', '.join(graph[a][b][:3])})" for a, b in zip(cycle, cycle[1:], strict=False)]
        raise AssertionError("import cycle between packages: " + "; ".join(steps))


def test_docs_architecture_shows_the_actual_import_graph():
    actual = {package: set(targets) for package, targets in package_graph().items()}
    assert documented_graph() == actual, f"update docs/architecture.md's import graph to {actual}"


def test_the_edges_known_from_the_design_are_found():
    graph = package_graph()
    assert set(graph["edge_runtime"]) == set()  # the device package depends on no other package
    assert "models" in graph["export"] and "export" in graph["pipelines"]
    assert "pipelines/commands/export.py" in graph["pipelines"]["export"]


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle():
    assert find_cycle({"pipelines": {"export"}, "export": {"models", "pipelines"}, "models": set()}) == [
        "export", "pipelines", "export"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_lazy_and_importlib_imports_count():
    tree = ast.parse("def f():\n    from pipelines.x import y\n    importlib.import_module('export.z')\n")
    assert imported_modules(tree) == ["pipelines.x", "export.z"]
