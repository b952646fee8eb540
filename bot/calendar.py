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
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import chinese_calendar
from pydantic import AfterValidator, BeforeValidator, RootModel, model_validator

from bot.configfile import Strict, check, problem, read_toml
from bot.rules import MAX_DAYS

SOURCE_PACKAGE = "package"
SOURCE_OVERRIDE = "override"
SOURCE_FALLBACK = "fallback"



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


def _day(value: Any) -> Any:
    """A TOML date, or its text "2027-01-01"."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise problem("config_date") from None


def _year(value: str) -> str:
    if not (value.isdigit() and 1 <= int(value) <= 9998):
        raise problem("config_not_year")
    return value


Day = Annotated[date, BeforeValidator(_day)]


class YearOverride(Strict):
    """One year of the holiday override file: its holidays and its make-up working days (调休)."""

    holidays: list[Day] = []
    workdays: list[Day] = []


class HolidayOverrides(RootModel[dict[Annotated[str, AfterValidator(_year)], YearOverride]]):
    """The holiday override file (examples/holidays.toml), or the [holidays] table of the config file."""

    @model_validator(mode="after")
    def _days_in_their_year(self) -> HolidayOverrides:
        for year, table in self.root.items():
            for key in ("holidays", "workdays"):
                for day in getattr(table, key):
                    if day.year != int(year):
                        raise problem("config_day_outside_year", at=f"{year}.{key}", day=day, year=year)
            clash = set(table.holidays) & set(table.workdays)
            if clash:
                raise problem("config_day_twice", at=year, day=min(clash))
        return self

    def by_year(self) -> dict[int, dict[str, set[date]]]:
        return {int(year): {"holidays": set(t.holidays), "workdays": set(t.workdays)} for year, t in self.root.items()}


def load_overrides(path: Path | str | None) -> dict[int, dict[str, set[date]]]:
    """Read an override file: one table per year with `holidays` and `workdays` (make-up days)."""
    if path is None:
        return {}
    return parse_overrides(read_toml(path), path)


def parse_overrides(raw: dict, where: Path | str | None = None,
                    prefix: tuple[str, ...] = ()) -> dict[int, dict[str, set[date]]]:
    """Holiday overrides by year; a ConfigError naming `where` and the key when they cannot be used."""
    return check(HolidayOverrides, raw, where, prefix).by_year()


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
    def from_file(cls, path: Path | str | None) -> WorkCalendar:
        """The calendar with an administrator's holiday override file, if one is named."""
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
