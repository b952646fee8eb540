"""The rules table: every number of the procedure, from bot/rules.toml plus an administrator's override.

The shipped file and the merged result are validated as a whole by `RulesTable`
(no unknown key, real types); an administrator's override only names the keys
it changes. A wrong key or type is a ConfigError naming the override file.
"""

from __future__ import annotations

import copy
import tomllib
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, model_validator

from bot.configfile import ConfigError, Strict, check, problem, read_toml
from bot.domain import Channel, Stage

__all__ = ["ConfigError", "DeadlineRule", "Rules", "RulesError", "RulesTable", "load_rules", "read_toml"]

# The name this error had before every configuration file was typed; callers still catch it.
RulesError = ConfigError

MAX_DAYS = 3660  # a rule longer than ten years is a typo (bot/calendar.py counts no further)
ChannelName = Literal[tuple(c.value for c in Channel)]


def _clock(value: Any) -> Any:
    """"08:30" → time(8, 30); a TOML time is taken as it is."""
    if isinstance(value, time):
        return value
    try:
        hh, mm = str(value).split(":")
        if len(mm) == 2:
            return time(int(hh), int(mm))
    except ValueError:
        pass
    raise problem("config_clock")


def _stage_name(value: str) -> str:
    if value not in Stage.__members__.values():
        raise problem("config_unknown_key")
    return value


def _channel_name(value: str) -> str:
    if value not in Channel.__members__.values():
        raise problem("config_unknown_key")
    return value


def _stage_key(value: str) -> str:
    """A stage rule applies to "all", a channel, or "channel.kind"."""
    if value != "all":
        _channel_name(value.partition(".")[0])
    return value


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise problem("config_timezone") from None
    return value


Clock = Annotated[time, BeforeValidator(_clock)]
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]
Hours = Annotated[float, Field(gt=0, le=24 * 31)]  # a rule in hours longer than a month is a typo


class DeadlineRule(Strict):
    """How a deadline is counted from its starting event (SPEC §3.1): exactly one of the five."""

    model_config = ConfigDict(frozen=True)

    hours: Hours | None = None
    working_days: Days | None = None
    natural_days: Days | None = None
    immediate: Literal[True] | None = None
    overall: Literal[True] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> DeadlineRule:
        if len(self.model_fields_set) != 1:
            raise problem("config_one_rule")
        return self

    def describe(self) -> str:
        if self.hours is not None:
            return f"hours:{self.hours:g}"
        if self.working_days is not None:
            return f"working_days:{self.working_days}"
        if self.natural_days is not None:
            return f"natural_days:{self.natural_days}"
        return "immediate" if self.immediate else "overall"


StageTable = dict[Annotated[str, AfterValidator(_stage_key)], DeadlineRule]


class Immediate(Strict):
    cutoff: Clock


class Workflow(Strict):
    first_contact_before_dispatch: list[ChannelName]
    return_requires_evidence: bool
    return_within_stage: Annotated[str, AfterValidator(_stage_name)]
    review_blocks_on_missing: bool
    evidence_required_results: list[str]
    evidence_required_fact_findings: list[str]
    evidence_required_demands: list[str]
    dissatisfied_at_reply_opens_report: bool
    repeat_window_days: Days
    repeat_content_similarity: float = Field(ge=0, le=1)
    repeat_links: int = Field(ge=1)
    extension_max_working_days: Days
    sensitive_kinds: list[str]
    urgent_kinds: list[str]
    immediate_channels: list[ChannelName]
    immediate_review_channels: list[ChannelName]
    urge_interval_hours: float = Field(gt=0)
    reply_max_chars: int = Field(ge=1)


class Ladder(Strict):
    """How a ticket's stage deadlines hang together (SPEC §9.2)."""

    cap_at_overall: bool
    calming_call_kinds: list[str]


class Warnings(Strict):
    due_soon_working_days: Days
    due_soon_immediate_hours: float = Field(ge=0)
    working_hours: list[Clock] = Field(min_length=2, max_length=2)
    emergency_repeat_minutes: int = Field(ge=1)
    emergency_repeat_times: int = Field(ge=0)

    @model_validator(mode="after")
    def _hours_in_order(self) -> Warnings:
        if self.working_hours[0] >= self.working_hours[1]:
            raise problem("config_hours_order", at="working_hours")
        return self


class Reports(Strict):
    digest_time: Clock
    sensitive_report_ask: Clock
    sensitive_report_remind: Clock
    sensitive_report_compile: Clock
    sensitive_every_day: bool
    weekly_weekday: int = Field(ge=1, le=7)
    weekly_time: Clock
    spot_check_size: int = Field(ge=0)


class Delivery(Strict):
    group_per_minute: float = Field(ge=0)  # 0: no pacing per group
    overall_per_second: float = Field(gt=0)
    burst_merge_over: int = Field(ge=1)
    private_per_second: float = Field(default=1, gt=0)
    private_burst: int = Field(default=5, ge=1)


class Lists(Strict):
    tags: list[str]
    business_categories: list[str]


class RulesTable(Strict):
    """The whole of bot/rules.toml (and of the defaults merged with an override)."""

    timezone: Annotated[str, AfterValidator(_time_zone)]
    internal_number_prefix: str = Field(min_length=1)
    immediate: Immediate
    stage: dict[Annotated[str, AfterValidator(_stage_name)], StageTable]
    overall: dict[Annotated[str, AfterValidator(_channel_name)], dict[str, DeadlineRule]]
    workflow: Workflow
    ladder: Ladder
    warnings: Warnings
    reports: Reports
    delivery: Delivery
    lists: Lists

    @model_validator(mode="after")
    def _overall_is_counted(self) -> RulesTable:
        for channel, table in self.overall.items():
            for kind, rule in table.items():
                if rule.overall:
                    raise problem("config_overall_itself", at=f"overall.{channel}.{kind}")
        return self


# In these tables a key holds one deadline rule: an override replaces it whole instead of merging into it.
_RULE_TABLES = ("stage", "overall")


def _merge(base: dict, extra: dict, path: tuple[str, ...] = ()) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        here = (*path, key)
        whole_rule = len(here) == 3 and here[0] in _RULE_TABLES
        if isinstance(value, dict) and isinstance(out.get(key), dict) and not whole_rule:
            out[key] = _merge(out[key], value, here)
        else:
            out[key] = copy.deepcopy(value)
    return out


class Rules:
    """Read-only view of the merged rules table: `data` as written, the typed sections as attributes."""

    def __init__(self, data: dict, where: Path | str | None = None, prefix: tuple[str, ...] = ()):
        self.data = data
        self.table = check(RulesTable, data, where, prefix)
        self.tz = ZoneInfo(self.table.timezone)
        self.immediate_cutoff: time = self.table.immediate.cutoff
        self.working_hours: tuple[time, time] = tuple(self.table.warnings.working_hours)
        self.workflow: Workflow = self.table.workflow
        self.ladder: Ladder = self.table.ladder
        self.warnings: Warnings = self.table.warnings
        self.reports: Reports = self.table.reports
        self.delivery: Delivery = self.table.delivery
        self.lists: Lists = self.table.lists

    def stage_rule(self, stage: Stage | str, channel: Channel | str, kind: str | None = None) -> DeadlineRule | None:
        """The rule of a stage for a ticket, or None when the stage does not apply to it."""
        table = self.table.stage.get(str(stage), {})
        keys = ([f"{channel}.{kind}"] if kind else []) + [str(channel), "all"]
        for key in keys:
            if key in table:
                return table[key]
        return None

    def overall_rule(self, channel: Channel | str, kind: str | None) -> DeadlineRule | None:
        table = self.table.overall.get(str(channel), {})
        if kind is None or kind not in table:
            return None
        return table[kind]

    def kinds(self, channel: Channel | str) -> list[str]:
        return list(self.table.overall.get(str(channel), {}))

    def flag(self, section: str, key: str) -> Any:
        return self.data[section][key]

    def clock(self, section: str, key: str) -> time:
        return getattr(getattr(self.table, section), key)

    @property
    def internal_number_prefix(self) -> str:
        return self.table.internal_number_prefix

    def merged(self, override: dict, where: Path | str | None, prefix: tuple[str, ...] = ()) -> Rules:
        """These rules with an administrator's override on top, validated as a whole."""
        return Rules(_merge(self.data, override), where, prefix)


def default_rules_data() -> dict:
    with resources.files("bot").joinpath("rules.toml").open("rb") as fh:
        return tomllib.load(fh)


def load_rules(override: Path | str | dict | None = None) -> Rules:
    """The shipped rules, merged with an override file (or table)."""
    rules = Rules(default_rules_data(), "bot/rules.toml")
    if isinstance(override, (str, Path)):
        return rules.merged(read_toml(override), override)
    if override:
        return rules.merged(override, None)
    return rules
