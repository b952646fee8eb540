"""Two simulated weeks over the National Day holiday through the real bot, a 429 storm, a burst."""

from __future__ import annotations

import re
import zlib
from datetime import timedelta

from bot.app import build_application
from bot.services import Services
from bot.workflow import Accept, CreateTicket, Dispatch, RecordDailyReport, RecordFirstContact
from storage import queries
from tests.helpers.clock import local
from tests.helpers.org import actor_of as actor

KINDS = ("ordinary", "tagged", "review", "consultation", "threat", "suishenpai", "urgent", "epidemic")


def register(hotline, office, channel, number, received, kind=None, department=None, **flags):
    phone = f"139{zlib.crc32(number.encode()) % 10**8:08d}"  # a citizen each: no repeats among them
    outcome = hotline.workflow.do(office, CreateTicket(channel, number, local(received), f"{number} 反映低保问题", kind,
                                              phone=phone, **flags))
    assert outcome.ok, outcome.refusal
    if department is not None:
        if channel != "962200":
            hotline.workflow.do(office, RecordFirstContact(outcome.ticket_id, "contacted"))
        assert hotline.workflow.do(office, Dispatch(outcome.ticket_id, department)).ok
    return outcome.ticket_id


async def run_clock(chat, clock, start: str, end: str, restart_at: str | None = None, **rebuild):
    """The scan and the outbox, as the JobQueue runs them: every hour, and at the rules' times of day."""
    moment, stop = local(start), local(end)
    marks = {(8, 30), (9, 0), (15, 0), (17, 0)}
    while moment <= stop:
        clock.moment = moment.astimezone(clock.moment.tzinfo)
        if restart_at and moment == local(restart_at):
            await chat.app.shutdown()
            chat.app = build_application(**rebuild)
            await chat.app.initialize()
        hotline = chat.app.bot_data["services"]
        await hotline.run(hotline.clock.tick)
        await chat.app.bot_data["deliverer"].flush()
        following = moment + timedelta(hours=1)
        for h, m in sorted(marks):
            candidate = moment.replace(hour=h, minute=m)
            if moment < candidate < following:
                following = candidate
                break
        moment = following.replace(minute=0) if following.minute not in (0, 30) else following


async def test_two_weeks_over_the_national_day(chat, clock, db, org, rules, calendar, tmp_path):
    hotline = chat.app.bot_data["services"]
    office = actor(db, 1001)
    jiuzhu, yanglao = org["departments"]["jiuzhu"], org["departments"]["yanglao"]
    clock.moment = local("2026-09-28T08:00")
    tickets = {kind: register(hotline, office, "12345", f"H-{kind}", "2026-09-28T08:00", kind, jiuzhu)
               for kind in KINDS}
    tickets["petition"] = register(hotline, office, "petition", "P-1", "2026-09-28T08:00", None, yanglao,
                                   major_threat=True)
    tickets["962200"] = register(hotline, office, "962200", "N-1", "2026-09-28T08:00", None, yanglao)
    tickets["waiting"] = register(hotline, office, "12345", "W-1", "2026-09-28T08:00", "ordinary")
    handler = actor(db, 2001)
    assert hotline.workflow.do(handler, Accept(tickets["threat"])).ok  # accepted in time; the rest never are
    await chat.app.bot_data["deliverer"].flush()

    rebuild = {"services": Services(db, rules, calendar, clock, files_dir=tmp_path / "f2"), "token": chat.api.token,
               "base_url": chat.api.base_url, "base_file_url": chat.api.base_file_url, "group_rate": 0,
               "jobs": False}
    await run_clock(chat, clock, "2026-09-28T08:30", "2026-09-29T23:00")
    clock.moment = local("2026-09-30T10:00")
    assert hotline.workflow.do(handler, RecordDailyReport(tickets["threat"], "已电话安抚，情绪平稳")).ok
    await run_clock(chat, clock, "2026-09-30T10:00", "2026-10-11T23:00", restart_at="2026-10-05T12:00", **rebuild)

    office_texts = [(s.at, s.text) for s in chat.api.in_chat(-1001) if s.method == "sendMessage"]
    digests = [re.search(r"今日工单提要</b> (\S+)", t).group(1) for _, t in office_texts if "今日工单提要" in t]
    assert digests == ["2026-09-28", "2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"]

    # every warning once: per stage and level (and day, for 'overdue again')
    with db.session() as session:
        from sqlmodel import select

        from storage.models import StageDeadline, WarningSent

        sent = list(session.exec(select(WarningSent)))
        stages = {s.id: s for s in session.exec(select(StageDeadline))}
    keys = [(w.stage_deadline_id, w.level, w.seq) for w in sent]
    assert len(keys) == len(set(keys))
    ordinary_accept = next(s for s in stages.values() if s.ticket_id == tickets["ordinary"] and s.stage == "accept")
    levels = sorted((w.level, w.seq) for w in sent if w.stage_deadline_id == ordinary_accept.id)
    # due 09-29: due soon that morning, overdue 09-30, again each working day after (10-08 is the 4th: 09-30,
    # 10-08, 10-09, 10-10 are working days after the due date)
    assert levels == [("due_soon", 0), ("overdue", 1), ("overdue_again", 2), ("overdue_again", 3),
                      ("overdue_again", 4)]
    for w in sent:
        stage = stages[w.stage_deadline_id]
        when = w.sent_at.astimezone(local("2026-01-01T00:00").tzinfo)
        if not stage.urgent and stage.rule != "immediate" and not stage.rule.startswith("hours:"):  # hours: any hour
            assert calendar.is_workday(when.date()) and "08:30" <= f"{when:%H:%M}" < "17:30", (stage.stage, when)

    # the texts, by chat: the department group sees its overdue tickets; the leader hears privately
    jiuzhu_texts = [s.text for s in chat.api.in_chat(-1002) if s.method == "sendMessage"]
    assert any("已超期" in t and "/ticket_SJMZ_2026_000001" in t for t in jiuzhu_texts)
    assert any("已超期" in t for t in (s.text for s in chat.api.in_chat(2002)))
    assert not any("已超期" in t for t in (s.text for s in chat.api.in_chat(2001)))  # handlers: in the group
    # urgent kinds: their warnings came at night too
    urgent_stage = next(s for s in stages.values() if s.ticket_id == tickets["urgent"] and s.stage == "overall")
    urgent_sent = [w.sent_at for w in sent if w.stage_deadline_id == urgent_stage.id]
    assert urgent_sent and any(not ("08:30" <= f"{t.astimezone(local('2026-01-01T00:00').tzinfo):%H:%M}" < "17:30")
                               or not calendar.is_workday(t.date()) for t in urgent_sent)

    # the sensitive round: asked every day, holidays too; the office's daily report names who did not report
    asks = [t for t in jiuzhu_texts if "请报送" in t and "SJMZ-2026-000005" in t]
    assert len(asks) == 14
    reports = [t for _, t in office_texts if "涉稳工单每日报告" in t]
    assert len(reports) == 14
    assert any("2026-09-30" in t and "已电话安抚，情绪平稳" in t for t in reports)
    assert all("未报送" in t for t in reports)  # the major-threat petition never reported
    visits = [t for _, t in office_texts if "上门疏导" in t]
    assert len(visits) == 14

    # Monday's weekly statistics, with a chart
    weekly = [t for _, t in office_texts if "每周统计" in t]
    assert len(weekly) == 2  # Monday 09-28 for the week before, Monday 10-05 for the first week
    assert "2026-09-28 至 2026-10-04：共 11 件" in weekly[1] and "低保(11)" in weekly[1]
    assert [s for s in chat.api.in_chat(-1001) if s.method == "sendPhoto"]
    # and nothing waits in the outbox
    with db.session() as session:
        statuses = {r.status for r in queries.outbox_of(session)}
    assert statuses <= {"sent", "merged"}


async def test_a_429_storm_loses_nothing(chat, clock, db, org):
    hotline = chat.app.bot_data["services"]
    office = actor(db, 1001)
    chat.api.fail_next(25, status=429, retry_after=3, methods={"sendMessage"})
    ids = [register(hotline, office, "12345", f"S-{n}", "2026-09-29T09:00", "ordinary", org["departments"]["jiuzhu"])
           for n in range(4)]
    chat.api.fail_next(3, status=502, methods={"sendMessage"})
    deliverer = chat.app.bot_data["deliverer"]
    for _ in range(60):
        await deliverer.flush()
        clock.advance(seconds=4)
    with db.session() as session:
        rows = queries.outbox_of(session)
    assert rows and {r.status for r in rows} == {"sent"}
    cards = [s.text for s in chat.api.in_chat(-1002) if s.method == "sendMessage"]
    for ticket_id in ids:
        number = f"SJMZ-2026-{ticket_id:06d}"
        assert sum(number in t for t in cards) == 1  # each card once: delayed, never dropped, never doubled


async def test_a_burst_for_one_group_is_one_list(chat, clock, db, org):
    hotline = chat.app.bot_data["services"]
    office = actor(db, 1001)
    for n in range(8):
        register(hotline, office, "12345", f"B-{n}", "2026-09-29T09:00", "ordinary", org["departments"]["jiuzhu"])
    await chat.app.bot_data["deliverer"].flush()
    messages = [s for s in chat.api.in_chat(-1002) if s.method == "sendMessage"]
    assert len(messages) == 1
    assert "8 条新消息" in messages[0].text and messages[0].text.count("新工单：/ticket_SJMZ_2026_") == 8
    await chat.say("李强", "/ticket_SJMZ_2026_000003")
    assert chat.buttons(chat.last_in("李强")) == ["受理", "申请退单", "办理记录"]  # the card's buttons, in private chat
    # the list keeps a way to act: a button per ticket opens it in private chat with the buttons of its step
    links = [b for row in messages[0].buttons for b in row]
    assert [b["text"] for b in links] == [f"SJMZ-2026-{n:06d}" for n in range(1, 9)]
    payload = links[4]["url"].rsplit("?start=", 1)[1]
    await chat.say("李强", f"/start {payload}")
    opened = chat.last_in("李强")
    assert "SJMZ-2026-000005" in opened.text and chat.buttons(opened) == ["受理", "申请退单", "办理记录"]
    await chat.say("周丽", f"/start {payload}")  # another department's handler: not theirs to see
    assert "找不到该工单" in chat.last_in("周丽").text


async def test_a_group_gets_at_most_its_rate(chat, clock, db, org, monkeypatch):
    hotline = chat.app.bot_data["services"]
    monkeypatch.setitem(hotline.rules.data["delivery"], "burst_merge_over", 1000)
    office = actor(db, 1001)
    for n in range(25):
        register(hotline, office, "12345", f"R-{n}", "2026-09-29T09:00", "ordinary", org["departments"]["jiuzhu"])
    deliverer = chat.app.bot_data["deliverer"]
    assert await deliverer.flush() == 20  # the department group's 20; more would wait
    assert [r.status for r in _outbox(db) if r.department_id].count("pending") == 5
    clock.advance(seconds=30)
    assert await deliverer.flush() == 0
    clock.advance(seconds=31)
    assert await deliverer.flush() == 5  # the clock, not sleeping, moved time


def _outbox(db):
    with db.session() as session:
        return queries.outbox_of(session)
