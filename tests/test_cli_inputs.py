"""The command line answers every input: a result, or one sentence on stderr and exit status 2 — never a traceback."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.calendar import MAX_DAYS
from bot.cli import main

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/none"


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse refuses what it cannot parse
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_a_deadline_past_the_year_9999_is_one_sentence():
    code, out, err = run(["deadline", "--received", "9999-12-31T10:00", "--natural-days", "3"])
    assert (code, out, err) == (2, "", "日期超出可计算范围：date value out of range\n")
    code, out, err = run(["deadline", "--received", "9999-12-31T10:00", "--channel", "petition"])
    assert (code, out, err) == (2, "", "日期超出可计算范围：year 9999 is outside the calendar\n")


moments = st.one_of(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
                    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)))
offsets = st.one_of(st.none(), st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))))
received = st.one_of(st.builds(lambda moment, tz: moment.replace(tzinfo=tz).isoformat(), moments, offsets),
                     st.text(max_size=20))
how = st.one_of(
    st.tuples(st.sampled_from(["--natural-days", "--working-days"]),
              st.one_of(st.integers(0, MAX_DAYS), st.integers(-5, 10**6)).map(str)),
    st.just(("--immediate",)),
    st.tuples(st.just("--channel"), st.sampled_from(["petition", "962200"])),
    st.tuples(st.just("--channel"), st.just("12345"), st.just("--kind"),
              st.sampled_from(["ordinary", "urgent", "threat", "nonsense"])),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(received=received, how=how)
def test_the_deadline_command_answers_every_input(received, how):
    code, out, err = run(["deadline", f"--received={received}", *how])
    if code == 0:
        result = json.loads(out)
        assert result["due_at"] >= result["received"][:10] and err == ""
    else:
        assert code == 2 and out == "" and "Traceback" not in err
        if err.startswith("usage:"):  # argparse: the usage, then one line
            assert err.splitlines()[-1].startswith("hotline-bot deadline: error: argument"), err
        else:
            assert err.count("\n") == 1 and err.startswith(("日期超出可计算范围", "时间格式不对", "渠道 ")), err


@pytest.mark.parametrize("argv", [
    ["import", "examples/tickets.csv"],
    ["db", "upgrade"],
    ["report", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "never.xlsx"],
    ["kb", "import", "examples/kb/policies.md"],
    ["kb", "search", "低保"],
], ids=lambda argv: " ".join(argv[:2]))
def test_every_command_answers_an_unreachable_database_in_one_sentence(argv, monkeypatch):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", UNREACHABLE)
    code, out, err = run(argv)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith("数据库不可用：") and "Connection refused" in err
