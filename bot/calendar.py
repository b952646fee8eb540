"""The working-day calendar (SPEC §3.1).

Each year is computed once into a table of flags and a running count, so a
deadline is found by bisection, not by walking day by day through
chinese_calendar. A year comes from, in order: the administrator's override
file (a year listed there is complete: Monday-Friday, minus its holidays, plus
its make-up days), chinese_calendar's data (with any override dates on top),
or the Monday-Friday fallback, which is flagged on every deadline it touches.
"""

from __future__ import annotations

import bisect
import os
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar

from bot.rules import RulesError, read_toml

SOURCE_PACKAGE = "package"
SOURCE_OVERRIDE = "override"
SOURCE_FALLBACK = "fallback"

MAX_DAYS = 3660  # a rule longer than ten years is a typo


@dataclass(frozen=True)
class YearTable:
    year: int
    source: str
    flags: bytes  # flags[i] == 1 when day i (0 = Jan 1) is a working day
    cum: tuple[int, ...]  # cum[i] = working days among days 0..i

    @property
    def total(self) -> int:
        return self.cum[-1]


@dataclass(frozen=True)
class WorkingDayResult:
    day: date
    fallback_years: tuple[int, ...]


def load_overrides(path: Path | str | None) -> dict[int, dict[str, set[date]]]:
    """Read an override file: one table per year with `holidays` and `workdays` (make-up days)."""
    if path is None:
        return {}
    raw = read_toml(path)
    return parse_overrides(raw, str(path))


def parse_overrides(raw: dict, where: str = "holidays") -> dict[int, dict[str, set[date]]]:
    out: dict[int, dict[str, set[date]]] = {}
    for year_key, table in raw.items():
        try:
            year = int(year_key)
        except ValueError as exc:
            raise RulesError(f"{where}: table [{year_key}] is not a year") from exc
        entry = {"holidays": set(), "workdays": set()}
        for key in table:
            if key not in entry:
                raise RulesError(f"{where}: [{year}] has unknown key {key!r} (holidays, workdays)")
            for value in table[key]:
                day = value if isinstance(value, date) else _parse_date(value, f"{where}: [{year}].{key}")
                if day.year != year:
                    raise RulesError(f"{where}: {day} is listed under [{year}]")
                entry[key].add(day)
        clash = entry["holidays"] & entry["workdays"]
        if clash:
            raise RulesError(f"{where}: {min(clash)} is both a holiday and a make-up day")
        out[year] = entry
    return out


def _parse_date(value: object, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise RulesError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from exc


def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except (NotImplementedError, ValueError):
        return False
    return True


class WorkCalendar:
    def __init__(self, overrides: dict[int, dict[str, set[date]]] | None = None):
        self.overrides = overrides or {}
        self._years: dict[int, YearTable] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, path: Path | str | None = None) -> WorkCalendar:
        path = path or os.environ.get("HOTLINE_HOLIDAYS")
        return cls(load_overrides(path) if path else None)

    def year(self, year: int) -> YearTable:
        table = self._years.get(year)
        if table is None:
            with self._lock:
                table = self._years.get(year) or self._build(year)
                self._years[year] = table
        return table

    def _build(self, year: int) -> YearTable:
        if not 1 <= year <= 9998:
            raise ValueError(f"year {year} is outside the calendar")
        start = date(year, 1, 1)
        days = [start + timedelta(days=i) for i in range((date(year + 1, 1, 1) - start).days)]
        extra = self.overrides.get(year)
        if extra is not None:
            source = SOURCE_OVERRIDE
            flags = [d.weekday() < 5 for d in days]
        elif _package_knows(year):
            source = SOURCE_PACKAGE
            flags = [chinese_calendar.is_workday(d) for d in days]
        else:
            source = SOURCE_FALLBACK
            flags = [d.weekday() < 5 for d in days]
        if extra is not None:
            for d in extra["holidays"]:
                flags[d.timetuple().tm_yday - 1] = False
            for d in extra["workdays"]:
                flags[d.timetuple().tm_yday - 1] = True
        cum, total = [], 0
        for flag in flags:
            total += flag
            cum.append(total)
        return YearTable(year, source, bytes(flags), tuple(cum))

    def source(self, year: int) -> str:
        return self.year(year).source

    def is_workday(self, day: date) -> bool:
        return bool(self.year(day.year).flags[day.timetuple().tm_yday - 1])

    def add_working_days(self, start: date, n: int) -> WorkingDayResult:
        """The n-th working day after `start` (start itself not counted); n == 0 gives start."""
        if n < 0 or n > MAX_DAYS:
            raise ValueError(f"working days must be between 0 and {MAX_DAYS}")
        if n == 0:
            return WorkingDayResult(start, ())
        fallback: list[int] = []
        year, index, need = start.year, start.timetuple().tm_yday - 1, n
        while True:
            table = self.year(year)
            before = table.cum[index] if index >= 0 else 0
            available = table.total - before
            if table.source == SOURCE_FALLBACK and (available > 0 or index < 0):
                fallback.append(year)
            if need <= available:
                pos = bisect.bisect_left(table.cum, before + need)
                return WorkingDayResult(date(year, 1, 1) + timedelta(days=pos), tuple(fallback))
            need -= available
            year, index = year + 1, -1
            if year > 9998:
                raise ValueError("the deadline falls beyond the calendar")

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        count, year = 0, start.year
        while year <= end.year:
            table = self.year(year)
            lo = start.timetuple().tm_yday - 1 if year == start.year else -1
            hi = end.timetuple().tm_yday - 1 if year == end.year else len(table.cum) - 1
            count += table.cum[hi] - (table.cum[lo] if lo >= 0 else 0)
            year += 1
        return count

    def fallback_years(self, start: date, end: date) -> tuple[int, ...]:
        return tuple(y for y in range(start.year, end.year + 1) if self.source(y) == SOURCE_FALLBACK)
