"""The import contracts of pyproject.toml cover the whole core: a new module of bot/ is in the core's contract
unless it is the composition root, the command line or the sandbox."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPOSITION = {"app", "cli", "sandbox"}


def test_every_core_module_is_under_the_core_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    core = next(c for c in config["contracts"] if "telegram" in c.get("forbidden_modules", []))
    listed = {m.removeprefix("bot.") for m in core["source_modules"]}
    present = {p.stem for p in (ROOT / "bot").glob("*.py") if p.stem != "__init__"}
    present |= {p.parent.name for p in (ROOT / "bot").glob("*/__init__.py")}
    assert present - COMPOSITION == listed


def test_every_handler_module_is_under_the_independence_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    independent = next(c for c in config["contracts"] if c["type"] == "independence")
    listed = {m.removeprefix("handlers.") for m in independent["modules"]}
    present = {p.stem for p in (ROOT / "handlers").glob("*.py") if p.stem != "__init__"}
    present |= {p.parent.name for p in (ROOT / "handlers").glob("*/__init__.py")}
    assert present - {"common", "router"} == listed
