"""Deadline arithmetic (SPEC §3.1): Asia/Shanghai, start day not counted, end of day.

And the ladder (SPEC §9.2): a ticket with an 办结时效 (12345, 规程 二(二)3) never has a stage
due after it. `stage()` caps each stage at the ticket's overall deadline, and `extend()` tells
how far an internal 延期 may go and whether the rest needs the district hotline office.
The workflow opens every stage through these two, so a test of them is a test of the ladder.
"""

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
    capped: bool = False  # the stage's own rule fell later: due with the ticket's 办结时效 instead

    @property
    def calendar_fallback(self) -> bool:
        return bool(self.fallback_years)

    def as_dict(self) -> dict:
        return {
            "due_at": self.due_at.isoformat(),
            "due_date": self.due_at.date().isoformat(),
            "weekday": self.due_at.isoweekday(),
            "rule": self.rule,
            "capped": self.capped,
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
        if rule.hours is not None:
            return Deadline(event_at + timedelta(hours=rule.hours), rule.describe())
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
        cap: bool = True,
    ) -> Deadline | None:
        """The deadline of a stage started at event_at, or None when the stage does not apply; no later
        than the overall deadline unless `cap` is False (a closed ticket's after-care)."""
        rule = self.rules.stage_rule(stage, channel, kind)
        if rule is None:
            return None
        own = self.compute(rule, event_at, overall)
        return own if str(stage) == Stage.OVERALL or not cap else self.cap(own, overall)

    def cap(self, deadline: Deadline, overall: Deadline | None) -> Deadline:
        """规程 二(二)2「其他工单在办结时效内」, SPEC §9.2: no stage of a ticket falls due after its 办结时效."""
        if overall is None or not self.rules.ladder.cap_at_overall or deadline.due_at <= overall.due_at:
            return deadline
        return Deadline(overall.due_at, overall.rule, overall.fallback_years, capped=True)

    def extend(self, due_at: datetime, working_days: int, overall: Deadline | None) -> Extension:
        """An internal 延期 of `working_days` on a stage due at `due_at`: what it asks for, what the
        bureau may grant itself (capped at the 办结时效), and whether the rest is the district hotline
        office's to grant (SPEC §9.2: 「超出12345办结时效，需向区热线办申请延期」)."""
        result = self.calendar.add_working_days(self.local(due_at).date(), working_days)
        wanted = Deadline(self.end_of(result.day), f"extended:+{working_days}", result.fallback_years)
        granted = self.cap(wanted, overall)
        return Extension(wanted, granted, needs_hotline=granted.capped)


@dataclass(frozen=True)
class Extension:
    wanted: Deadline  # the department's request
    granted: Deadline  # what the bureau itself may set: the request, or the 办结时效
    needs_hotline: bool  # the request passes the 办结时效: the district hotline office decides the rest

