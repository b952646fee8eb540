"""Working days and deadline arithmetic (SPEC §3.1) against the State Council's 2026 schedule."""

from __future__ import annotations

import json
from datetime import date, timedelta

import chinese_calendar
import pytest

from bot.calendar import SOURCE_FALLBACK, SOURCE_OVERRIDE, SOURCE_PACKAGE, WorkCalendar, parse_overrides
from bot.cli import main
from bot.deadlines import DeadlineCalculator
from bot.rules import DeadlineRule, RulesError
from tests.helpers.clock import local

# 国务院办公厅关于2026年部分节假日安排的通知: every day off that is not a weekend,
# and every make-up working day.
HOLIDAYS_2026_WEEKDAYS = [
    "2026-01-01", "2026-01-02",
    "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-23",
    "2026-04-06",
    "2026-05-01", "2026-05-04", "2026-05-05",
    "2026-06-19",
    "2026-09-25",
    "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07",
]
MAKEUP_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]


def wd(calc, received, n):
    return calc.compute(DeadlineRule(working_days=n), local(received))


@pytest.mark.parametrize(
    ("received", "rule", "due"),
    [
        ("2026-09-29T10:00", DeadlineRule(working_days=7), "2026-10-14T23:59:59+08:00"),
        ("2026-09-18T10:00", DeadlineRule(working_days=1), "2026-09-20T23:59:59+08:00"),
        ("2026-10-03T10:00", DeadlineRule(natural_days=3), "2026-10-06T23:59:59+08:00"),
        ("2026-06-15T16:30", DeadlineRule(immediate=True), "2026-06-16T23:59:59+08:00"),
    ],
)
def test_spec_examples(calc, received, rule, due):
    deadline = calc.compute(rule, local(received))
    assert deadline.due_at.isoformat() == due
    assert deadline.calendar_fallback is False


def test_seven_working_days_counts_the_saturday_make_up_day(calc):
    cal = calc.calendar
    days, d = [], date(2026, 9, 29)
    while len(days) < 7:
        d += timedelta(days=1)
        if cal.is_workday(d):
            days.append(d.isoformat())
    assert days == ["2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12", "2026-10-13", "2026-10-14"]


@pytest.mark.parametrize("day", HOLIDAYS_2026_WEEKDAYS)
def test_every_2026_weekday_holiday_is_off(calendar, calc, day):
    d = date.fromisoformat(day)
    assert not calendar.is_workday(d)
    # a ticket received the working day before is not due on the holiday
    due = wd(calc, (d - timedelta(days=1)).isoformat() + "T10:00", 1).due_at.date()
    assert due > d and calendar.is_workday(due)


@pytest.mark.parametrize("day", MAKEUP_2026)
def test_every_2026_make_up_day_is_a_working_day(calendar, calc, day):
    d = date.fromisoformat(day)
    assert d.weekday() >= 5 and calendar.is_workday(d)
    before = d - timedelta(days=1)
    assert wd(calc, before.isoformat() + "T10:00", 1).due_at.date() == d


def test_whole_2026_matches_the_package_and_weekends(calendar):
    offs = {date.fromisoformat(d) for d in HOLIDAYS_2026_WEEKDAYS}
    makeups = {date.fromisoformat(d) for d in MAKEUP_2026}
    d = date(2026, 1, 1)
    while d.year == 2026:
        expected = (d.weekday() < 5 and d not in offs) or d in makeups
        assert calendar.is_workday(d) is expected, d
        d += timedelta(days=1)
    assert calendar.source(2026) == SOURCE_PACKAGE


def test_immediate_at_sixteen_exactly_is_next_day(calc):
    rule = DeadlineRule(immediate=True)
    assert calc.compute(rule, local("2026-06-15T15:59:59")).due_at.isoformat() == "2026-06-15T23:59:59+08:00"
    assert calc.compute(rule, local("2026-06-15T16:00:00")).due_at.isoformat() == "2026-06-16T23:59:59+08:00"


def test_receipt_on_a_holiday_counts_from_the_next_working_day(calc):
    assert wd(calc, "2026-10-01T10:00", 1).due_at.date() == date(2026, 10, 8)
    assert wd(calc, "2026-10-03T23:00", 3).due_at.date() == date(2026, 10, 10)
    # received on the make-up Sunday: that day is not counted
    assert wd(calc, "2026-09-20T09:00", 1).due_at.date() == date(2026, 9, 21)


def test_natural_days_ignore_holidays(calc):
    due = calc.compute(DeadlineRule(natural_days=3), local("2026-09-30T20:00"))
    assert due.due_at.date() == date(2026, 10, 3)


def test_utc_input_is_taken_in_shanghai(calc):
    # 2026-09-29T17:30Z is 2026-09-30 01:30 in Shanghai: the start day is the 30th
    from datetime import UTC, datetime

    deadline = calc.compute(DeadlineRule(working_days=1), datetime(2026, 9, 29, 17, 30, tzinfo=UTC))
    assert deadline.due_at.date() == date(2026, 10, 8)


def test_2027_without_override_falls_back_and_says_so(calc):
    deadline = wd(calc, "2026-12-30T10:00", 3)
    # 12-31 (Thu), then Mon-Fri: 2027-01-01, 2027-01-04
    assert deadline.due_at.date() == date(2027, 1, 4)
    assert deadline.calendar_fallback is True and deadline.fallback_years == (2027,)
    inside = wd(calc, "2026-12-28T10:00", 2)
    assert inside.due_at.date() == date(2026, 12, 30) and not inside.calendar_fallback


def test_2027_with_override(rules):
    overrides = parse_overrides({"2027": {"holidays": ["2027-01-01"], "workdays": ["2027-01-09"]}})
    cal = WorkCalendar(overrides)
    calc = DeadlineCalculator(rules, cal)
    deadline = wd(calc, "2026-12-30T10:00", 3)
    assert deadline.due_at.date() == date(2027, 1, 5)
    assert deadline.calendar_fallback is False
    assert cal.source(2027) == SOURCE_OVERRIDE
    assert cal.is_workday(date(2027, 1, 9))  # a Saturday made a working day
    assert wd(calc, "2027-01-08T10:00", 1).due_at.date() == date(2027, 1, 9)


def test_override_corrects_a_known_year():
    cal = WorkCalendar(parse_overrides({"2026": {"holidays": ["2026-09-29"]}}))
    assert cal.source(2026) == SOURCE_OVERRIDE
    assert not cal.is_workday(date(2026, 9, 29))


@pytest.mark.parametrize(
    "raw",
    [
        {"x2027": {"holidays": []}},
        {"2027": {"holiday": ["2027-01-01"]}},
        {"2027": {"holidays": ["2028-01-01"]}},
        {"2027": {"holidays": ["2027-02-30"]}},
        {"2027": {"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}},
    ],
)
def test_bad_override_is_refused_with_a_reason(raw):
    with pytest.raises(RulesError):
        parse_overrides(raw)


@pytest.mark.parametrize("year", [1950, 2003, 2040, 2100, 2999])
def test_never_crashes_on_a_year(calendar, year):
    result = calendar.add_working_days(date(year, 12, 20), 10)
    assert result.fallback_years
    assert calendar.source(year) == SOURCE_FALLBACK


def test_the_end_of_the_calendar_is_a_clear_error(calendar):
    with pytest.raises(ValueError):
        calendar.add_working_days(date(9998, 12, 20), 10)


def test_lookups_do_not_walk_chinese_calendar(monkeypatch, calc):
    calc.calendar.year(2026)
    monkeypatch.setattr(chinese_calendar, "is_workday", lambda d: pytest.fail("walked chinese_calendar"))
    for n in range(0, 200):
        wd(calc, "2026-01-05T10:00", n % 40)


def test_working_days_between(calendar):
    assert calendar.working_days_between(date(2026, 9, 29), date(2026, 10, 14)) == 7
    assert calendar.working_days_between(date(2026, 10, 14), date(2026, 9, 29)) == -7
    assert calendar.working_days_between(date(2026, 12, 30), date(2027, 1, 4)) == 3


# --- the command line -----------------------------------------------------


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, (json.loads(out.out) if code == 0 else None), out.err


@pytest.mark.parametrize(
    ("args", "due"),
    [
        (["--received", "2026-09-29T10:00", "--working-days", "7"], "2026-10-14T23:59:59+08:00"),
        (["--received", "2026-09-18T10:00", "--working-days", "1"], "2026-09-20T23:59:59+08:00"),
        (["--received", "2026-10-03T10:00", "--natural-days", "3"], "2026-10-06T23:59:59+08:00"),
        (["--received", "2026-06-15T16:30", "--immediate"], "2026-06-16T23:59:59+08:00"),
        (["--received", "2026-09-29T10:00", "--channel", "12345", "--kind", "ordinary"], "2026-10-14T23:59:59+08:00"),
        (["--received", "2026-09-29T10:00", "--channel", "12345", "--kind", "threat"], "2026-10-09T23:59:59+08:00"),
        (["--received", "2026-10-03T10:00", "--channel", "12345", "--kind", "suishenpai"], "2026-10-06T23:59:59+08:00"),
        (["--received", "2026-06-15T16:30", "--channel", "12345", "--kind", "urgent"], "2026-06-16T23:59:59+08:00"),
        (["--received", "2026-06-15T10:00", "--channel", "12345", "--kind", "epidemic"], "2026-06-15T23:59:59+08:00"),
        (["--received", "2026-09-29T10:00", "--channel", "petition"], "2026-10-19T23:59:59+08:00"),
        (["--received", "2026-09-29T10:00", "--channel", "962200"], "2026-10-10T23:59:59+08:00"),
        (["--received", "2026-09-29T10:00", "--channel", "12345", "--kind", "ordinary", "--stage", "reply"],
         "2026-10-13T23:59:59+08:00"),
    ],
)
def test_cli_deadline(capsys, args, due):
    code, out, _ = run_cli(capsys, "deadline", *args)
    assert code == 0
    assert out["due_at"] == due
    assert out["calendar_fallback"] is False


def test_cli_flags_the_fallback(capsys):
    code, out, _ = run_cli(capsys, "deadline", "--received", "2026-12-28T10:00", "--channel", "12345",
                           "--kind", "ordinary")
    assert code == 0 and out["calendar_fallback"] is True
    assert out["notice"] == "2027年节假日安排未配置，按周一至周五计算"


def test_cli_uses_the_holiday_override(capsys, tmp_path):
    path = tmp_path / "holidays.toml"
    path.write_text('[2027]\nholidays = ["2027-01-01"]\nworkdays = []\n', encoding="utf-8")
    code, out, _ = run_cli(capsys, "--holidays", str(path), "deadline", "--received", "2026-12-30T10:00",
                           "--working-days", "3")
    assert code == 0 and out["due_at"] == "2027-01-05T23:59:59+08:00" and out["calendar_fallback"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--received", "2026-13-01T10:00", "--working-days", "1"], "时间格式不对"),
        (["--received", "yesterday", "--immediate"], "时间格式不对"),
        (["--received", "2026-09-29T10:00", "--channel", "12345"], "须用 --kind"),
        (["--received", "2026-09-29T10:00", "--channel", "12345", "--kind", "weekly"], "没有工单类型"),
        (["--received", "2026-09-29T10:00", "--channel", "petition", "--kind", "threat"], "没有工单类型"),
        (["--received", "2026-09-29T10:00", "--channel", "12345", "--kind", "ordinary", "--stage", "final_reply"],
         "没有"),
    ],
)
def test_cli_bad_input_exits_non_zero_with_a_message(capsys, args, message):
    code, _, err = run_cli(capsys, "deadline", *args)
    assert code == 2
    assert message in err


def test_cli_argument_errors_exit_non_zero(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["deadline", "--received", "2026-09-29T10:00", "--working-days", "-1"])
    assert exc.value.code == 2
    assert "天数须为" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["deadline", "--received", "2026-09-29T10:00"])
    assert exc.value.code == 2


def test_cli_bad_holiday_file(capsys, tmp_path):
    path = tmp_path / "holidays.toml"
    path.write_text('[2027]\nholidays = ["not a date"]\n', encoding="utf-8")
    code, _, err = run_cli(capsys, "--holidays", str(path), "deadline", "--received", "2026-12-30T10:00",
                           "--immediate")
    assert code == 1 and err == f"配置文件 {path} 有误：2027.holidays[1] 应为日期，如 \"2027-01-01\"\n"
