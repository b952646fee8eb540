"""How long the scheduler's scan and the statistics take on a database of many tickets.

    .venv/bin/python bench/scan_and_stats.py [--tickets 100000] [--url sqlite:////tmp/bench.db]
    .venv/bin/python bench/scan_and_stats.py --url postgresql://postgres@127.0.0.1:5432/test --pg-schema bench

Tickets are spread over the year before 2026-11-23 in every channel and kind,
each with the stage deadlines the workflow would give it (a tenth still open);
rows are written in bulk, not through the workflow, to build the data quickly.
Then it times: a scan when nothing is due (the common case), a scan that
sends the day's warnings, the scan again (everything already sent), and the
statistics of a week, a month and the whole year.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from bot.calendar import WorkCalendar  # noqa: E402
from bot.deadlines import DeadlineCalculator  # noqa: E402
from bot.organisation import apply_config  # noqa: E402
from bot.rules import load_rules  # noqa: E402
from bot.scheduler import Planner  # noqa: E402
from bot.stats import compute  # noqa: E402
from storage.db import Database, make_engine  # noqa: E402
from storage.models import StageDeadline, Ticket  # noqa: E402

NOW = "2026-11-23T10:00"
CATEGORIES = ["社会救助", "养老服务", "婚姻登记", "优抚安置", "殡葬", "其它"]
WORDS = ["低保", "养老院", "补贴", "婚姻登记", "预约", "殡葬", "收费", "高龄津贴", "残疾人", "救助", "审批", "材料"]


def build(db: Database, n: int, calc: DeadlineCalculator, now: datetime) -> None:
    rules = calc.rules
    with db.session() as session:
        apply_config(session, {"departments": [{"code": "office", "name": "局办公室", "office": True}] + [
            {"code": f"d{i}", "name": f"科室{i}"} for i in range(6)]})
    department_ids = list(range(2, 8))
    rng = random.Random(7)
    kinds = rules.kinds("12345")
    batch_t, batch_s = [], []
    next_id = 1
    for i in range(n):
        received = now - timedelta(days=rng.uniform(0, 365))
        channel = rng.choice(["12345", "12345", "petition", "962200"])
        kind = rng.choice(kinds) if channel == "12345" else None
        is_open = rng.random() < 0.1
        department = rng.choice(department_ids)
        dispatched = received + timedelta(hours=rng.uniform(1, 30))
        status = rng.choice(["accepted", "dispatched", "reply_drafted"]) if is_open else "closed"
        overall = calc.overall(channel, kind, received)
        batch_t.append({
            "id": next_id, "internal_no": f"SJMZ-B-{next_id:07d}", "channel": channel, "external_no": f"X{i}",
            "received_at": received, "content": "反映" + "、".join(rng.sample(WORDS, 3)) + "问题",
            "kind": kind, "tags": [], "business_category": rng.choice(CATEGORIES), "department_id": department,
            "status": status, "overall_due_at": overall.due_at if overall else None,
            "closed_at": None if is_open else dispatched + timedelta(days=5), "created_at": received,
            "updated_at": received, "phone": f"138{rng.randrange(10**8):08d}", "satisfaction":
                None if is_open else rng.choice(["satisfied", "satisfied", "acknowledged", "dissatisfied"]),
        })
        for stage in ("accept", "reply"):
            deadline = calc.stage(stage, channel, kind, dispatched, overall)
            done = None if is_open and stage == "reply" else dispatched + timedelta(hours=rng.uniform(2, 200))
            batch_s.append({"ticket_id": next_id, "stage": stage, "department_id": department,
                            "started_at": dispatched, "due_at": deadline.due_at, "rule": deadline.rule,
                            "open": done is None, "completed_at": done, "urgent": kind in ("urgent", "epidemic")})
        next_id += 1
        if len(batch_t) >= 5000:
            flush(db, batch_t, batch_s)
    flush(db, batch_t, batch_s)


def flush(db: Database, tickets: list, stages: list) -> None:
    if tickets:
        with db.session() as session:
            session.execute(insert(Ticket), tickets)
            session.execute(insert(StageDeadline), stages)
    tickets.clear()
    stages.clear()


def timed(label: str, fn) -> object:
    start = time.perf_counter()
    result = fn()
    print(f"{label:48s} {time.perf_counter() - start:8.3f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--url", default="sqlite:////tmp/hotline-bench.db")
    parser.add_argument("--pg-schema", help="PostgreSQL: build in this (new, emptied) schema")
    args = parser.parse_args()
    if args.url.startswith("sqlite:///"):
        Path(args.url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    rules = load_rules()
    calc = DeadlineCalculator(rules, WorkCalendar())
    engine = None
    if args.pg_schema:
        from sqlalchemy import text

        admin = make_engine(args.url)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {args.pg_schema} CASCADE; CREATE SCHEMA {args.pg_schema}"))
        engine = make_engine(args.url, connect_args={"options": f"-csearch_path={args.pg_schema}"})
    db = Database(args.url, engine)
    db.upgrade()
    now = datetime.fromisoformat(NOW).replace(tzinfo=rules.tz)
    timed(f"build {args.tickets} tickets", lambda: build(db, args.tickets, calc, now))
    planner = Planner(rules, calc)

    def scan(at: datetime):
        with db.session() as session:
            return planner.tick(session, at)

    quiet = timed("scan at 22:00 (nothing non-urgent is sent)", lambda: scan(now.replace(hour=22)))
    report = timed("scan at 10:00 (the day's warnings)", lambda: scan(now))
    again = timed("scan again (all already sent)", lambda: scan(now + timedelta(minutes=1)))
    print(f"  warnings: night {len(quiet.warnings)}, day {len(report.warnings)}, again {len(again.warnings)}; "
          f"supervision proposed: {sum(d.startswith('supervise') for d in report.duties)} then "
          f"{sum(d.startswith('supervise') for d in again.duties)}")
    today = now.date()

    def stats(days: int, topics: bool = True):
        with db.session() as session:
            return compute(session, calc, today - timedelta(days=days), today, now, topics)

    for days, label in ((7, "a week"), (31, "a month"), (365, "the year")):
        result = timed(f"statistics of {label}", lambda d=days: stats(d))
        print(f"  {result.total} tickets, on-time reply {result.rate('reply') or 0:.0%}, top {result.topics[:3]}")
    timed("statistics of the year without topics", lambda: stats(365, False))


if __name__ == "__main__":
    main()
