"""The rules table: every number of the procedure, from bot/rules.toml plus an administrator's override."""

from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass
from datetime import time
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain import Channel, Stage


class RulesError(ValueError):
    """A rules or holiday file that cannot be used."""


@dataclass(frozen=True)
class DeadlineRule:
    """How a deadline is counted from its starting event (SPEC §3.1)."""

    working_days: int | None = None
    natural_days: int | None = None
    immediate: bool = False
    overall: bool = False

    @classmethod
    def parse(cls, raw: Any, where: str) -> DeadlineRule:
        if not isinstance(raw, dict) or len(raw) != 1:
            raise RulesError(f"{where}: expected one of working_days, natural_days, immediate, overall")
        (key, value), = raw.items()
        if key in ("working_days", "natural_days"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise RulesError(f"{where}: {key} must be a whole number >= 0")
            return cls(**{key: value})
        if key in ("immediate", "overall") and value is True:
            return cls(**{key: True})
        raise RulesError(f"{where}: unknown deadline rule {key!r}")

    def describe(self) -> str:
        if self.working_days is not None:
            return f"working_days:{self.working_days}"
        if self.natural_days is not None:
            return f"natural_days:{self.natural_days}"
        return "immediate" if self.immediate else "overall"


def _merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _parse_hhmm(value: str, where: str) -> time:
    try:
        hh, mm = value.split(":")
        return time(int(hh), int(mm))
    except (ValueError, AttributeError) as exc:
        raise RulesError(f"{where}: expected HH:MM, got {value!r}") from exc


class Rules:
    """Read-only view of the merged rules table."""

    def __init__(self, data: dict):
        self.data = data
        self.tz = ZoneInfo(data["timezone"])
        self.immediate_cutoff = _parse_hhmm(data["immediate"]["cutoff"], "immediate.cutoff")
        self._validate()

    def _validate(self) -> None:
        for stage, table in self.data.get("stage", {}).items():
            if stage not in Stage.__members__.values():
                raise RulesError(f"stage.{stage}: unknown stage")
            for key, raw in table.items():
                DeadlineRule.parse(raw, f"stage.{stage}.{key}")
        for channel, table in self.data.get("overall", {}).items():
            for kind, raw in table.items():
                rule = DeadlineRule.parse(raw, f"overall.{channel}.{kind}")
                if rule.overall:
                    raise RulesError(f"overall.{channel}.{kind}: an overall deadline cannot refer to itself")
        for key in ("working_hours",):
            start, end = (_parse_hhmm(v, f"warnings.{key}") for v in self.data["warnings"][key])
            if start >= end:
                raise RulesError(f"warnings.{key}: start must be before end")
        for key, value in self.data.get("reports", {}).items():
            if isinstance(value, str):
                _parse_hhmm(value, f"reports.{key}")

    def stage_rule(self, stage: Stage | str, channel: Channel | str, kind: str | None = None) -> DeadlineRule | None:
        """The rule of a stage for a ticket, or None when the stage does not apply to it."""
        table = self.data.get("stage", {}).get(str(stage), {})
        keys = ([f"{channel}.{kind}"] if kind else []) + [str(channel), "all"]
        for key in keys:
            if key in table:
                return DeadlineRule.parse(table[key], f"stage.{stage}.{key}")
        return None

    def overall_rule(self, channel: Channel | str, kind: str | None) -> DeadlineRule | None:
        table = self.data.get("overall", {}).get(str(channel), {})
        if kind is None or kind not in table:
            return None
        return DeadlineRule.parse(table[kind], f"overall.{channel}.{kind}")

    def kinds(self, channel: Channel | str) -> list[str]:
        return list(self.data.get("overall", {}).get(str(channel), {}))

    def flag(self, section: str, key: str) -> Any:
        return self.data[section][key]

    def clock(self, section: str, key: str) -> time:
        return _parse_hhmm(self.data[section][key], f"{section}.{key}")

    @cached_property
    def working_hours(self) -> tuple[time, time]:
        start, end = self.data["warnings"]["working_hours"]
        return _parse_hhmm(start, "warnings.working_hours"), _parse_hhmm(end, "warnings.working_hours")

    @property
    def internal_number_prefix(self) -> str:
        return self.data["internal_number_prefix"]


def read_toml(path: Path | str) -> dict:
    """An administrator's TOML file; a missing or malformed one is a RulesError naming the file."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise RulesError(f"{path}: file not found / 文件不存在") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: {exc}") from exc


def default_rules_data() -> dict:
    with resources.files("bot").joinpath("rules.toml").open("rb") as fh:
        return tomllib.load(fh)


def load_rules(override: Path | str | dict | None = None) -> Rules:
    """The shipped rules, merged with an override file (or table). HOTLINE_RULES names a file."""
    data = default_rules_data()
    if override is None and os.environ.get("HOTLINE_RULES"):
        override = os.environ["HOTLINE_RULES"]
    if isinstance(override, (str, Path)):
        override = read_toml(override)
    if override:
        data = _merge(data, override)
    return Rules(data)
