"""The layout holds: the product never imports the sandbox; tests share code only through tests/helpers."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ("bot", "handlers", "storage", "templates")
SANDBOX = "bot.sandbox"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path):
    """(imported module, enclosing top-level function or None, line) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for top in tree.body:
        where = top.name if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef) else None
        for node in ast.walk(top):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, where, node.lineno
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                yield base, where, node.lineno
                for alias in node.names:  # `from bot import sandbox`
                    yield f"{base}.{alias.name}", where, node.lineno


def is_within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_core_does_not_import_the_sandbox():
    offending = []
    for package in CORE:
        for path in sorted((ROOT / package).rglob("*.py")):
            if is_within(module_name(path), SANDBOX):
                continue
            for name, function, line in imports(path):
                if not is_within(name, SANDBOX):
                    continue
                if module_name(path) == "bot.cli" and function and "demo" in function:
                    continue  # the `demo` command runs the sandbox's scripted day
                offending.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert offending == [], "the product must not depend on bot/sandbox:\n" + "\n".join(offending)


def test_tests_share_code_only_through_helpers():
    offending = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for name, _, line in imports(path):
            top = name.split(".")[0]
            if (is_within(name, "tests") and not is_within(name, "tests.helpers") and name != "tests") or (
                    top == "conftest" or top.startswith("test_")):
                offending.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert offending == [], "a test imports another test module; move what they share to tests/helpers:\n" + (
        "\n".join(offending))


def test_conftest_holds_only_fixtures():
    tree = ast.parse((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    others = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):  # the docstring
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                "fixture" in ast.unparse(decorator) for decorator in node.decorator_list):
            continue
        others.append(f"line {node.lineno}: {ast.unparse(node).splitlines()[0]}")
    assert others == [], "conftest.py keeps only fixtures; move the rest to tests/helpers:\n" + "\n".join(others)
