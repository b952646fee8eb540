"""Deadline arithmetic (SPEC §3.1): Asia/Shanghai, start day not counted, end of day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.calendar import WorkCalendar
from bot.domain import Channel, Stage
from bot.rules import DeadlineRule, Rules

END_OF_DAY = time(23, 59, 59)


class DeadlineError(ValueError):
    pass


@dataclass(frozen=True)
class Deadline:
    due_at: datetime  # aware, in the rules' time zone
    rule: str
    fallback_years: tuple[int, ...] = ()

    @property
    def calendar_fallback(self) -> bool:
        return bool(self.fallback_years)

    def as_dict(self) -> dict:
        return {
            "due_at": self.due_at.isoformat(),
            "due_date": self.due_at.date().isoformat(),
            "weekday": self.due_at.isoweekday(),
            "rule": self.rule,
            "calendar_fallback": self.calendar_fallback,
            "fallback_years": list(self.fallback_years),
        }


class DeadlineCalculator:
    def __init__(self, rules: Rules, calendar: WorkCalendar):
        self.rules = rules
        self.calendar = calendar

    def local(self, moment: datetime) -> datetime:
        """A moment in the bureau's zone; a naive one is taken as local time already."""
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.rules.tz)
        return moment.astimezone(self.rules.tz)

    def end_of(self, day: date) -> datetime:
        return datetime.combine(day, END_OF_DAY, tzinfo=self.rules.tz)

    def compute(self, rule: DeadlineRule, event_at: datetime, overall: Deadline | None = None) -> Deadline:
        event_at = self.local(event_at)
        start = event_at.date()
        if rule.overall:
            if overall is None:
                raise DeadlineError("this stage follows the overall deadline, which the ticket does not have")
            return overall
        if rule.working_days is not None:
            result = self.calendar.add_working_days(start, rule.working_days)
            return Deadline(self.end_of(result.day), rule.describe(), result.fallback_years)
        if rule.natural_days is not None:
            return Deadline(self.end_of(start + timedelta(days=rule.natural_days)), rule.describe())
        if rule.immediate:
            day = start if event_at.time() < self.rules.immediate_cutoff else start + timedelta(days=1)
            return Deadline(self.end_of(day), rule.describe())
        raise DeadlineError(f"unknown rule {rule}")

    def overall(self, channel: Channel | str, kind: str | None, received_at: datetime) -> Deadline | None:
        rule = self.rules.overall_rule(channel, kind)
        return self.compute(rule, received_at) if rule else None

    def stage(
        self,
        stage: Stage | str,
        channel: Channel | str,
        kind: str | None,
        event_at: datetime,
        overall: Deadline | None = None,
    ) -> Deadline | None:
        """The deadline of a stage started at event_at, or None when the stage does not apply."""
        rule = self.rules.stage_rule(stage, channel, kind)
        if rule is None:
            return None
        return self.compute(rule, event_at, overall)

