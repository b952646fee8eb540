"""A city's year: the hot paths at 100,000 or 1,000,000 tickets, on SQLite or PostgreSQL.

    .venv/bin/python bench/scale.py --tickets 100000 [--url sqlite:////tmp/hotline-scale.db]
    .venv/bin/python bench/scale.py --tickets 1000000 --url postgresql://postgres@127.0.0.1:5432/test --pg-schema bench

Builds the tickets in bulk (executemany on SQLite, COPY on PostgreSQL), a tenth open with their
deadlines spread around today, in every channel and kind, with their stage rows, events, sent outbox
history, supervisions of the overdue replies and 10,000 knowledge entries; then prints the median and
p95 of: a press (accept through the workflow service, the pressed card looked up and re-rendered, its
other buttons, the resulting messages rendered for delivery; statements counted), a scan with nothing
new, the first scan (every open stage's next warning worked out), the next morning's scan (digest and
every overdue stage warned again), the statistics of a year (time and peak RSS, in a fresh process),
a search of a rare word (tickets, knowledge base), and the first delivery call with 50,000 pending rows.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, event, func, insert, select  # noqa: E402
from sqlalchemy import text as sql  # noqa: E402

from bot import knowledge  # noqa: E402
from bot.calendar import WorkCalendar  # noqa: E402
from bot.deadlines import DeadlineCalculator  # noqa: E402
from bot.organisation import apply_config  # noqa: E402
from bot.rules import load_rules  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.stats import compute  # noqa: E402
from bot.workflow import Actor, make_command  # noqa: E402
from storage import queries  # noqa: E402
from storage.db import Database, make_engine  # noqa: E402
from storage.models import (  # noqa: E402
    Outbox,
    StageDeadline,
    Supervision,
    Ticket,
    TicketEvent,
)

NOW = "2026-11-23T10:00"  # a Monday
CATEGORIES = ["社会救助", "养老服务", "婚姻登记", "优抚安置", "殡葬", "其它"]
WORDS = ["低保", "养老院", "补贴", "婚姻登记", "预约", "殡葬", "收费", "高龄津贴", "残疾人", "救助", "审批", "材料",
         "临时救助", "护理", "社区", "服务中心", "退役军人", "优待证", "墓地", "床位"]
RARE = "钢琴调音"  # in five tickets and five entries
RARE_SHORT = "琵琶"  # two characters: no trigram
DEPARTMENTS = 6
BATCH = 20_000


def org(session) -> dict:
    config = {"departments": [{"code": "office", "name": "局办公室", "office": True}]
              + [{"code": f"d{i}", "name": f"科室{i}", "categories": [CATEGORIES[i]]} for i in range(DEPARTMENTS)],
              "members": [{"name": "办公室甲", "telegram_id": 100, "roles": ["office"]},
                          {"name": "分管领导", "telegram_id": 900, "roles": ["petition_leader"]}]
              + [{"name": f"经办{i}", "telegram_id": 200 + i, "department": f"d{i}", "roles": ["handler"]}
                 for i in range(DEPARTMENTS)]
              + [{"name": f"科长{i}", "telegram_id": 300 + i, "department": f"d{i}", "roles": ["business_leader"]}
                 for i in range(DEPARTMENTS)]}
    apply_config(session, config)
    office = queries.office_department(session)
    now = datetime.fromisoformat(NOW).replace(tzinfo=load_rules().tz)
    queries.bind_chat(session, -1000, office.id, "局办公室群", None, now)
    departments = {}
    for i in range(DEPARTMENTS):
        d = queries.department_by_code(session, f"d{i}")
        queries.bind_chat(session, -1001 - i, d.id, f"科室{i}群", None, now)
        departments[d.id] = -1001 - i
    return departments


class Writer:
    """Rows in bulk: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, db: Database):
        self.db = db
        self.pg = db.engine.dialect.name == "postgresql"
        self.rows: dict[type, list[dict]] = {}

    def add(self, model, row: dict) -> None:
        self.rows.setdefault(model, []).append(row)
        if len(self.rows[model]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for m in list(self.rows):  # in the order first added: tickets before the rows that point to them
            rows = self.rows.get(m)
            if rows:
                self._write(m, rows)
                self.rows[m] = []

    def _write(self, model, rows: list[dict]) -> None:
        table = model.__table__
        columns = list(dict.fromkeys(c for row in rows for c in row))
        rows = [{c: row.get(c) for c in columns} for row in rows]
        if not self.pg:
            with self.db.engine.begin() as conn:
                conn.execute(insert(table), rows)
            return
        defaults = {}  # COPY does not apply the models' defaults as an INSERT does
        for c in table.columns:
            if c.name not in columns and c.default is not None and not c.primary_key:
                defaults[c.name] = c.default.arg if c.default.is_scalar else c.default.arg(None)
        if defaults:
            columns += list(defaults)
            rows = [{**row, **defaults} for row in rows]
        json_columns = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
        raw = self.db.engine.raw_connection()
        try:
            with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([json.dumps(row[c], ensure_ascii=False) if c in json_columns else row[c]
                                    for c in columns])
            raw.commit()
        finally:
            raw.close()

    def finish(self) -> None:
        self.flush()
        if self.pg:
            with self.db.engine.begin() as conn:
                for table in ("ticket", "stage_deadline", "ticket_event", "outbox", "supervision"):
                    conn.execute(sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))"))
                conn.execute(sql("ANALYZE"))
        else:
            with self.db.engine.begin() as conn:
                conn.execute(sql("ANALYZE"))


def build(db: Database, n: int, calc: DeadlineCalculator, now: datetime) -> dict:
    rules = calc.rules
    with db.session() as session:
        chats = org(session)
        # the organisation's own audit events (member_changed) come first: the tickets' follow
        event_id = session.scalar(select(func.coalesce(func.max(TicketEvent.id), 0)))
    departments = list(chats)
    rng = random.Random(7)
    kinds = rules.kinds("12345")
    w = Writer(db)
    stage_id = outbox_id = 0
    message_ids = dict.fromkeys(list(chats.values()) + [-1000], 0)
    rare = set(rng.sample(range(1, n + 1), 10))
    for tid in range(1, n + 1):
        is_open = tid % 10 == 0
        channel = rng.choice(["12345", "12345", "petition", "962200"])
        kind = rng.choice(kinds) if channel == "12345" else None
        department = rng.choice(departments)
        received = now - timedelta(days=rng.uniform(0, 40) if is_open else rng.uniform(5, 365))
        dispatched = received + timedelta(hours=rng.uniform(1, 20))
        words = rng.sample(WORDS, 3)
        if tid in rare:
            words.append(RARE if len(rare & set(range(tid + 1))) <= 5 else RARE_SHORT)
        if is_open:
            status = rng.choice(["dispatched", "accepted", "accepted", "reply_drafted"])
            overall = calc.overall(channel, kind, received)
            overall_due = overall.due_at if overall else None
        else:
            status, overall = "closed", None
            overall_due = received + timedelta(days=15)
        closed_at = None if is_open else dispatched + timedelta(days=rng.uniform(1, 12))
        w.add(Ticket, {
            "id": tid, "internal_no": f"SJMZ-B-{tid:07d}", "channel": channel, "external_no": f"X{tid}",
            "received_at": received, "content": "市民反映" + "、".join(words) + "等问题，请求尽快处理。",
            "citizen_name": f"市民{tid % 5000}", "address": f"某区某路{tid % 900}号",
            "kind": kind, "tags": [], "business_category": rng.choice(CATEGORIES), "department_id": department,
            "status": status, "version": 1, "overall_due_at": overall_due, "closed_at": closed_at,
            "created_at": received, "updated_at": closed_at or dispatched, "phone": f"138{tid:08d}",
            "satisfaction": None if is_open else rng.choice(["satisfied", "satisfied", "acknowledged", "dissatisfied"]),
            "handler_id": None,
        })
        for stage in ("accept", "reply"):
            if is_open:
                deadline = calc.stage(stage, channel, kind, dispatched, overall)
                due, rule = deadline.due_at, deadline.rule
                open_ = stage == "reply" or status == "dispatched"
            else:
                due, rule, open_ = dispatched + timedelta(days=1 if stage == "accept" else 10), "days:1", False
            if stage == "reply" and status == "dispatched":
                continue
            stage_id += 1
            done = None if open_ else dispatched + timedelta(hours=rng.uniform(2, 200))
            w.add(StageDeadline, {"id": stage_id, "ticket_id": tid, "stage": stage, "department_id": department,
                                  "started_at": dispatched, "due_at": due, "rule": rule, "open": open_,
                                  "completed_at": done, "urgent": kind in ("urgent", "epidemic")})
            if open_ and stage == "reply" and due < now:  # the overdue reply was proposed for supervision
                w.add(Supervision, {"ticket_id": tid, "trigger": "overdue", "status": "proposed",
                                    "proposed_at": due})
        for action, at, to in (("create", received, "registered"), ("dispatch", dispatched, "dispatched"),
                               ("close", closed_at, "closed")):
            if at is None:
                continue
            event_id += 1
            w.add(TicketEvent, {"id": event_id, "ticket_id": tid, "at": at, "action": action, "to_status": to,
                                "payload": {}})
        chat = chats[department]
        message_ids[chat] += 1
        outbox_id += 1
        w.add(Outbox, {"id": outbox_id, "created_at": dispatched, "ticket_id": tid, "audience": "department_group",
                       "department_id": department, "chat_id": chat, "template": "ticket_card",
                       "context": {"ticket_id": tid}, "status": "sent", "buttons_open": status == "dispatched",
                       "next_attempt_at": dispatched, "sent_at": dispatched,
                       "telegram_message_id": message_ids[chat], "attempts": 1, "urgent": False})
        if closed_at:
            message_ids[-1000] += 1
            outbox_id += 1
            w.add(Outbox, {"id": outbox_id, "created_at": closed_at, "ticket_id": tid, "audience": "office_group",
                           "chat_id": -1000, "template": "closed", "context": {"ticket_id": tid}, "status": "sent",
                           "buttons_open": False, "next_attempt_at": closed_at, "sent_at": closed_at,
                           "telegram_message_id": message_ids[-1000], "attempts": 1, "urgent": False})
    drafts = [knowledge.Draft(title=f"{rng.choice(WORDS)}政策解读第{i}号",
                              body="。".join(f"关于{'、'.join(rng.sample(WORDS, 4))}的规定" for _ in range(8))
                              + (f"。{RARE}服务" if i % 2000 == 0 else ""),
                              category=rng.choice(CATEGORIES)) for i in range(10_000)]
    with db.session() as session:
        knowledge.save(session, drafts, None, now)
    w.finish()
    return chats


def stats_only(args) -> None:
    """In a fresh process: the statistics of a year, time and peak RSS."""
    db = open_db(args, fresh=False)
    rules = load_rules()
    calc = DeadlineCalculator(rules, WorkCalendar())
    now = datetime.fromisoformat(NOW).replace(tzinfo=rules.tz)
    knowledge.words("预热")  # the word cutter's dictionary, loaded once per process (a running bot has it)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with db.session() as session:
        result = compute(session, calc, now.date() - timedelta(days=365), now.date(), now, True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "before_mb": before / 1024, "total": result.total}))


def open_db(args, fresh: bool) -> Database:
    engine = None
    if args.url.startswith("sqlite:///") and fresh:
        path = Path(args.url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    if args.pg_schema:
        if fresh:
            admin = make_engine(args.url)
            with admin.begin() as conn:
                conn.execute(sql(f"DROP SCHEMA IF EXISTS {args.pg_schema} CASCADE; CREATE SCHEMA {args.pg_schema}"))
            admin.dispose()
        engine = make_engine(args.url, connect_args={"options": f"-csearch_path={args.pg_schema},public"})
    return Database(args.url, engine)


class Counter:
    def __init__(self, engine):
        self.n = 0
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, *_args, **_kw):
        self.n += 1


def figures(label: str, seconds: list[float], extra: str = "") -> None:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    print(f"{label:44s} median {statistics.median(ordered) * 1000:9.1f} ms   p95 {p95 * 1000:9.1f} ms"
          f"   (n={len(ordered)}){extra}", flush=True)


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--url", default="sqlite:////tmp/hotline-scale.db")
    parser.add_argument("--pg-schema", help="PostgreSQL: build in this (new, emptied) schema")
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--stats-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--reuse", action="store_true", help="measure the database built before (migrated first)")
    parser.add_argument("--build-only", action="store_true", help="build the database and stop")
    args = parser.parse_args()
    if args.stats_only:
        stats_only(args)
        return
    rules = load_rules()
    calendar = WorkCalendar()
    calc = DeadlineCalculator(rules, calendar)
    now = datetime.fromisoformat(NOW).replace(tzinfo=rules.tz)
    db = open_db(args, fresh=not args.reuse)
    db.upgrade()
    if not args.reuse:
        seconds, _ = timed(lambda: build(db, args.tickets, calc, now))
        print(f"built {args.tickets} tickets in {seconds:.0f} s", flush=True)
    if args.build_only:
        return
    with db.session() as session:
        n_open = session.scalar(select(func.count()).select_from(StageDeadline).where(StageDeadline.open.is_(True)))
        print(f"{session.scalar(select(func.count()).select_from(Ticket))} tickets, {n_open} open stages, "
              f"{session.scalar(select(func.count()).select_from(Outbox))} outbox rows", flush=True)
        chats = {d: b.chat_id for d in range(2, 2 + DEPARTMENTS)
                 for b in queries.chats_of_department(session, d)}
    counter = Counter(db.engine)
    clock = [now]
    s = Services(db, rules, calendar, clock=lambda: clock[0])

    def scan(at: datetime):
        clock[0] = at
        return s.clock.tick()

    seconds, report = timed(lambda: scan(now))
    print(f"{'first scan (every open stage worked out)':44s} {seconds * 1000:9.1f} ms   "
          f"{len(report.warnings)} warnings, {report.messages} messages", flush=True)
    idle, counts = [], []
    for minute in range(1, 11):
        before = counter.n
        t, report = timed(lambda m=minute: scan(now + timedelta(minutes=m)))
        idle.append(t)
        counts.append(counter.n - before)
    figures("scan with nothing new", idle, f"   {max(counts)} statements, {len(report.warnings)} warnings")

    # presses: the department's handler accepts a dispatched ticket from its card in the group
    with db.session() as session:
        targets = list(session.execute(
            select(Ticket.id, Ticket.department_id).where(Ticket.status == "dispatched")
            .order_by(Ticket.id.desc()).limit(args.presses)))
        actors = {d: Actor.load(session, queries.members_with_role(session, "handler", d)[0].id)
                  for _, d in targets}
        cards = {tid: session.scalar(select(Outbox.telegram_message_id).where(
            Outbox.ticket_id == tid, Outbox.template == "ticket_card")) for tid, _ in targets}
    with db.session() as session:  # the first scan's messages are out
        session.execute(Outbox.__table__.update().where(Outbox.status == "pending").values(status="sent", sent_at=now))
    press_times, press_counts = [], []
    clock[0] = now + timedelta(minutes=20)
    for tid, department in targets:
        origin = (chats[department], cards[tid])
        before = counter.n
        start = time.perf_counter()
        outcome = s.workflow.do(actors[department], make_command("accept", tid))
        assert outcome.ok, outcome.refusal
        s.outbox.sent_message(*origin)  # handlers/common.py after(): the pressed message
        s.outbox.sent_message(*origin)  # mark_decided: its text to edit
        s.outbox.open_buttons(tid, origin, None)  # the sender closes the other buttons of the ticket
        s.tickets.get(tid)
        for delivery in s.outbox.pending():  # the press's messages, rendered for sending
            s.outbox.mark_sent(delivery.id, delivery.chat_id or -1000, 10**9 + delivery.id, False)
        press_times.append(time.perf_counter() - start)
        press_counts.append(counter.n - before)
    figures("press (accept, card, buttons, delivery)", press_times,
            f"   {statistics.median(press_counts):.0f} statements (max {max(press_counts)})")

    tomorrow = datetime.combine(calendar.add_working_days(now.date(), 1).day, datetime.min.time(), tzinfo=rules.tz)
    morning = tomorrow.replace(hour=9, minute=5)
    seconds, report = timed(lambda: scan(morning))
    print(f"{'morning scan (digest, overdue again)':44s} {seconds * 1000:9.1f} ms   "
          f"{len(report.warnings)} warnings, {report.messages} messages", flush=True)
    idle = []
    for minute in range(1, 11):
        idle.append(timed(lambda m=minute: scan(morning + timedelta(minutes=m)))[0])
    figures("scan with nothing new after it", idle)
    clock[0] = morning + timedelta(minutes=20)
    with db.session() as session:  # the morning's messages are out
        session.execute(Outbox.__table__.update().where(Outbox.status == "pending").values(status="sent", sent_at=now))

    command = [sys.executable, __file__, "--stats-only", "--url", args.url]
    if args.pg_schema:
        command += ["--pg-schema", args.pg_schema]
    runs = [json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout) for _ in range(3)]
    figures("statistics of a year", [r["seconds"] for r in runs],
            f"   peak RSS {max(r['peak_mb'] for r in runs):.0f} MB (at start {runs[0]['before_mb']:.0f} MB), "
            f"{runs[0]['total']} tickets")

    with db.session() as session:
        office = Actor.load(session, queries.member_by_telegram_id(session, 100).id)
    for label, words in (("search of a rare word (tickets)", [RARE]),
                         ("search of a rare 2-character word (tickets)", [RARE_SHORT]),
                         ("search of a common word (tickets)", ["养老院"]),
                         ("search of two words (tickets)", ["高龄津贴", RARE])):
        times = []
        for _ in range(10):
            t, found = timed(lambda w=words: s.tickets.search(office, w))
            times.append(t)
        figures(label, times, f"   {len(found)} found")
    s.knowledge.search(office, "预热")  # jieba loads its dictionary once per process (about 0.6 s), not timed
    for label, query in (("knowledge search, rare word", RARE), ("knowledge search, common words", "低保 补贴")):
        times = []
        for _ in range(10):
            t, hits = timed(lambda q=query: s.knowledge.search(office, q))
            times.append(t)
        figures(label, times, f"   {len(hits)} hits")

    # delivery: 50,000 pending rows for the department groups
    with db.session() as session:
        sample = session.scalar(select(Outbox).where(Outbox.template == "deadline_warnings",
                                                     Outbox.ticket_id.is_not(None)).limit(1))
        context = sample.context if sample else {"items": []}
        start_id = session.scalar(select(func.max(Outbox.id))) + 1
    w = Writer(db)
    departments = list(chats)
    for i in range(50_000):
        w.add(Outbox, {"id": start_id + i, "created_at": clock[0], "ticket_id": None, "audience": "department_group",
                       "department_id": departments[i % len(departments)], "template": "deadline_warnings",
                       "context": context, "status": "pending", "buttons_open": False, "next_attempt_at": clock[0],
                       "attempts": 0, "urgent": False})
    w.finish()
    t, out = timed(lambda: s.outbox.pending())
    tracemalloc.start()
    s.outbox.pending()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{'first delivery call, 50,000 pending':44s} {t * 1000:9.1f} ms   {len(out)} to send, "
          f"Python peak {peak / 2**20:.0f} MB", flush=True)
    with db.session() as session:
        session.execute(delete(Outbox).where(Outbox.id >= start_id))


if __name__ == "__main__":
    main()
