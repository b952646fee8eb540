"""The handlers import each other without a cycle, and nothing in them or in the services hides an import in a
function (the old way of hiding a cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules(package: str) -> dict[str, ast.Module]:
    return {f"{package}.{path.stem}": ast.parse(path.read_text(encoding="utf-8"))
            for path in sorted((ROOT / package.replace(".", "/")).glob("*.py")) if path.stem != "__init__"}


def _imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_import_cycle_among_handlers():
    modules = _modules("handlers")
    graph = {name: _imported(tree) & modules.keys() for name, tree in modules.items()}

    def walk(name: str, path: list[str]) -> list[str] | None:
        for nxt in sorted(graph[name]):
            if nxt in path:
                return path[path.index(nxt):] + [nxt]
            found = walk(nxt, path + [nxt])
            if found:
                return found
        return None

    cycles = [c for name in graph if (c := walk(name, [name]))]
    assert cycles == [], " → ".join(cycles[0])


def test_no_import_inside_a_function_in_handlers_and_services():
    hidden = []
    for package in ("handlers", "bot.services"):
        for name, tree in _modules(package).items():
            for top in tree.body:
                if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    hidden += [f"{name}:{node.lineno}" for node in ast.walk(top)
                               if isinstance(node, ast.Import | ast.ImportFrom)]
    assert hidden == []
