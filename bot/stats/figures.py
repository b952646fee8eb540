"""The figures of a period (办法 第十九条、第二十一条): counts, the departments' rates, the topics.

Every figure is computed in the database (storage/queries/statistics.py); this module
only adds the counts up and divides. The definitions are the README's "Statistics".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.deadlines import DeadlineCalculator
from bot.stats.topics import risen, top, word_counts
from storage import queries
from templates import render

# The classes of 办法 第十九条 in the order the report lists them; `unrouted`: neither answered at once
# nor dispatched yet (or returned by the office before dispatch).
CLASSES = ("immediate", "transfer", "supervision", "emergency", "collaboration", "unrouted")
NO_VALUE = "-"


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Stats:
    start: date
    end: date
    total: int = 0
    cube: list[tuple] = field(default_factory=list)  # (class, channel, kind, service, category, dept, status, n)
    by_class: Counter = field(default_factory=Counter)
    by_class_channel: Counter = field(default_factory=Counter)  # (class, channel)
    by_channel: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)
    by_service: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)
    by_department: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    departments: dict[int, str] = field(default_factory=dict)
    figures: dict = field(default_factory=dict)  # department id (None: never dispatched) -> counts
    timeliness: dict[str, dict] = field(default_factory=dict)  # stage -> department id -> [on time, late, open]
    reply_days: dict = field(default_factory=dict)  # department id -> [working days summed, replies]
    returns: Counter = field(default_factory=Counter)  # initiator -> count
    returns_by_department: Counter = field(default_factory=Counter)
    redo: int = 0
    redo_by_department: Counter = field(default_factory=Counter)
    extensions: Counter = field(default_factory=Counter)  # department id -> approved extensions
    extensions_asked: Counter = field(default_factory=Counter)
    topics: list[tuple[str, int]] = field(default_factory=list)  # 热点
    rising: list[tuple[str, int, int]] = field(default_factory=list)  # 焦点: (word, now, before)
    hard: list[tuple[str, int]] = field(default_factory=list)  # 难点

    @property
    def empty(self) -> bool:
        return self.total == 0

    # -- sums over departments --

    def _sum(self, key: str, department_id: int | None = None) -> int:
        if department_id is not None:
            return int(self.figures.get(department_id, {}).get(key, 0))
        return sum(int(f.get(key, 0)) for f in self.figures.values())

    def rate(self, stage: str, department_id: int | None = None) -> float | None:
        """On time over on time and late, of a stage's deadlines (accept: 按时签收率; reply: 按时答复率)."""
        rows = self.timeliness.get(stage, {})
        counts = [rows.get(department_id, [0, 0, 0])] if department_id is not None else list(rows.values())
        on_time, late = sum(c[0] for c in counts), sum(c[1] for c in counts)
        return ratio(on_time, on_time + late)

    def closing_rate(self, department_id: int | None = None) -> float | None:
        """按时办结率: closed by the 办结时效 over the tickets with one that are closed or past it."""
        return ratio(self._sum("closed_on_time", department_id), self._sum("closing_judged", department_id))

    def satisfaction_rate(self, department_id: int | None = None) -> float | None:
        """满意率: 满意 and 认可 over everything rated (未评价 is not a rating)."""
        return ratio(self._sum("satisfied", department_id), self._sum("rated", department_id))

    def solved_rate(self, department_id: int | None = None) -> float | None:
        """解决率: rated tickets whose approved reply says 实际解决, over the rated tickets."""
        return ratio(self._sum("solved", department_id), self._sum("rated", department_id))

    def redo_rate(self, department_id: int | None = None) -> float | None:
        """返工率: reviewed tickets sent back for redoing at least once, over the tickets reviewed."""
        return ratio(self._sum("redone", department_id), self._sum("reviewed", department_id))

    def visit_rate(self, department_id: int | None = None) -> float | None:
        """回访率: closed tickets with a city or district follow-up recorded, over the closed tickets."""
        return ratio(self._sum("visited", department_id), self._sum("closed", department_id))

    def average_reply_days(self, department_id: int | None = None) -> float | None:
        """Working days from dispatch to the approved department reply, averaged over the replies."""
        rows = [self.reply_days.get(department_id, [0, 0])] if department_id is not None else list(
            self.reply_days.values())
        days, count = sum(r[0] for r in rows), sum(r[1] for r in rows)
        return days / count if count else None

    def department_rows(self) -> list[dict]:
        """The scoreboard (办法 第二十一条): one row per department that had anything in the period."""
        ids = (set(self.by_department) | set(self.returns_by_department) | set(self.redo_by_department)
               | set(self.extensions_asked) | {d for rows in self.timeliness.values() for d in rows})
        ids.discard(None)
        out = []
        for d in sorted(ids, key=lambda d: (d not in self.departments, self.departments.get(d, ""), d)):
            accept = self.timeliness.get("accept", {}).get(d, [0, 0, 0])
            reply = self.timeliness.get("reply", {}).get(d, [0, 0, 0])
            out.append({"department_id": d, "department": self.departments.get(d, str(d)),
                        "tickets": self.by_department.get(d, 0),
                        "accept_on_time": self.rate("accept", d), "accept_late": accept[1],
                        "reply_on_time": self.rate("reply", d), "reply_late": reply[1],
                        "closing_on_time": self.closing_rate(d), "overdue": accept[1] + reply[1],
                        "satisfaction": self.satisfaction_rate(d), "solved": self.solved_rate(d),
                        "redo_rate": self.redo_rate(d), "visit_rate": self.visit_rate(d),
                        "reply_days": self.average_reply_days(d),
                        "returns": self.returns_by_department.get(d, 0), "redo": self.redo_by_department.get(d, 0),
                        "extensions": self.extensions.get(d, 0)})
        return out


def period(name: str, today: date) -> tuple[date, date]:
    """this_week, last_week, this_month, last_month -> (first day, last day)."""
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    if name == "this_week":
        return monday, monday + timedelta(days=6)
    if name == "last_week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if name == "this_month":
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)
    if name == "last_month":
        last = first - timedelta(days=1)
        return last.replace(day=1), last
    raise ValueError(name)


def _bounds(calc: DeadlineCalculator, start: date, end: date) -> tuple[datetime, datetime]:
    tz = calc.rules.tz
    return (datetime.combine(start, datetime.min.time(), tzinfo=tz),
            datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz))


def compute(session: Session, calc: DeadlineCalculator, start: date, end: date, now: datetime,
            with_topics: bool = True) -> Stats:
    lo, hi = _bounds(calc, start, end)
    stats = Stats(start, end)
    stats.departments = {d.id: d.name for d in queries.departments(session, include_office=True)}
    for row in queries.ticket_counts(session, lo, hi, now):
        cls, channel, kind, service, category, department_id, status, n = row[:8]
        stats.cube.append(row[:8])
        figures = stats.figures.setdefault(department_id, dict.fromkeys(("tickets", *queries.FIGURES), 0))
        figures["tickets"] += n
        for key, value in zip(queries.FIGURES, row[8:], strict=True):
            figures[key] += int(value)
        stats.total += n
        stats.by_class[cls] += n
        stats.by_class_channel[cls, channel] += n
        stats.by_channel[channel] += n
        stats.by_kind[kind or NO_VALUE] += n
        stats.by_service[service or NO_VALUE] += n
        stats.by_category[category or NO_VALUE] += n
        if department_id is not None:
            stats.by_department[department_id] += n
        stats.by_status[status] += n
    for stage in ("accept", "reply"):
        stats.timeliness[stage] = queries.stage_timeliness(session, stage, lo, hi, now)
    offset = lo.utcoffset().total_seconds() / 3600
    for department_id, started, completed, n in queries.reply_days(session, lo, hi, calc.rules.table.timezone,
                                                                    offset):
        days = calc.calendar.working_days_between(_day(started), _day(completed))
        row = stats.reply_days.setdefault(department_id, [0, 0])
        row[0] += days * n
        row[1] += n
    for initiator, department_id, n in queries.returns_between(session, lo, hi):
        stats.returns[initiator] += n
        if department_id is not None:
            stats.returns_by_department[department_id] += n
    for department_id, n in queries.events_between(session, "fail_review", lo, hi):
        stats.redo += n
        if department_id is not None:
            stats.redo_by_department[department_id] += n
    for department_id, decision, n in queries.extensions_between(session, lo, hi):
        stats.extensions_asked[department_id] += n
        if decision == "approved":
            stats.extensions[department_id] += n
    if with_topics:
        current = word_counts(*queries.contents_received_between(session, lo, hi))
        stats.topics = top(current)
        before_lo, before_hi = _bounds(calc, start - (end - start) - timedelta(days=1), start - timedelta(days=1))
        stats.rising = risen(current, word_counts(*queries.contents_received_between(session, before_lo, before_hi)))
        stats.hard = top(word_counts(*queries.troubled_contents(session, lo, hi, now)))
    return stats


def _day(value) -> date:
    """A day from the database: a date, or its ISO text (SQLite's date())."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def render_text(stats: Stats) -> str:
    return render("stats", s=stats, pct=pct, days=days, classes=CLASSES)
