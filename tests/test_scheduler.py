"""The clock's duties with a clock the test moves: warnings once, quiet hours, the daily round, the digest."""

from __future__ import annotations

from bot.workflow import Accept, RecordDailyReport
from storage import queries
from tests.helpers.scheduler import tick


def queued(desk, template):
    return [r for r in desk.outbox() if r.template == template]


def warnings(desk):
    return [(i["internal_no"], i["stage"], i["level"], i["days_over"], r.audience)
            for r in queued(desk, "deadline_warnings") for i in r.context["items"]]


def test_every_level_once_across_restarts_and_the_holiday(desk, clock):
    t = desk.new("12345", "ordinary", received="2026-09-29T09:00")
    clock.set("2026-09-29T10:00")
    desk.to_department(t)
    assert tick(desk, clock, "2026-09-29T10:30").warnings == []  # accept due 09-30: a whole working day left
    report = tick(desk, clock, "2026-09-30T08:30")
    assert [w[:2] for w in report.warnings] == [(desk.stages(t)["accept"].id, "due_soon")]
    assert tick(desk, clock, "2026-09-30T09:00", restart=True).warnings == []
    assert tick(desk, clock, "2026-09-30T16:00").warnings == []
    for holiday in ("2026-10-01T10:00", "2026-10-05T10:00", "2026-10-07T16:00"):
        assert tick(desk, clock, holiday).warnings == []  # overdue, but not a working day
    overdue = tick(desk, clock, "2026-10-08T08:30")
    assert [w[1:] for w in overdue.warnings] == [("overdue", 1)]
    assert tick(desk, clock, "2026-10-08T15:00", restart=True).warnings == []
    assert [w[1:] for w in tick(desk, clock, "2026-10-09T08:30").warnings] == [("overdue_again", 2)]
    assert [w[1:] for w in tick(desk, clock, "2026-10-10T09:00").warnings] == [("overdue_again", 3)]  # make-up Sat
    assert tick(desk, clock, "2026-10-11T09:00").warnings == []  # Sunday
    sent = warnings(desk)
    assert sorted({(s[2], s[4]) for s in sent}) == [
        ("due_soon", "department_group"), ("due_soon", "office_group"),
        ("overdue", "department_group"), ("overdue", "member"), ("overdue", "office_group"),
        ("overdue_again", "department_group"), ("overdue_again", "member"), ("overdue_again", "office_group")]
    leaders = {r.member_id for r in queued(desk, "deadline_warnings") if r.audience == "member"}
    assert leaders == {desk.actors["陈刚"].member_id, desk.actors["钱进"].member_id}
    # the stage is done: no more warnings
    desk.ok("李强", Accept(t))
    assert tick(desk, clock, "2026-10-12T09:00").warnings == []


def test_nothing_that_is_not_urgent_out_of_hours(desk, clock):
    t = desk.new("12345", "ordinary", received="2026-09-28T09:00")
    clock.set("2026-09-28T10:00")
    desk.to_department(t)
    assert tick(desk, clock, "2026-09-29T22:00").warnings == []  # due soon, but at 22:00
    assert tick(desk, clock, "2026-09-29T08:29").warnings == []
    assert [w[1] for w in tick(desk, clock, "2026-09-29T08:30").warnings] == ["due_soon"]


def test_urgent_tickets_at_any_hour(desk, clock):
    t = desk.new("12345", "urgent", received="2026-09-29T16:30")  # immediate: due end of 09-30
    clock.set("2026-09-29T17:00")
    desk.to_department(t)
    stages = {row.id: name for name, row in desk.stages(t).items()}
    assert desk.due(t, "accept") == "2026-09-29T18:00:00+08:00"  # an hour from dispatch (rules.toml)
    evening = tick(desk, clock, "2026-09-29T17:40")  # the hour-counted stage: half its hour left, after hours
    assert [(stages[w[0]], w[1]) for w in evening.warnings] == [("accept", "due_soon")]
    late = tick(desk, clock, "2026-09-29T18:05")
    assert [(stages[w[0]], w[1]) for w in late.warnings] == [("accept", "overdue")]
    desk.ok("李强", Accept(t))
    soon = tick(desk, clock, "2026-09-30T22:30")  # the immediate deadline: less than two hours left
    assert sorted((stages[w[0]], w[1]) for w in soon.warnings) == [("overall", "due_soon"), ("reply", "due_soon")]
    overdue = tick(desk, clock, "2026-10-01T00:05")  # a holiday, after midnight
    assert {w[1] for w in overdue.warnings} == {"overdue"}
    assert all(r.urgent for r in queued(desk, "deadline_warnings"))


def test_one_message_per_recipient_however_many_deadlines(desk, clock):
    for n in range(3):
        t = desk.new("962200", external_no=f"N{n}", received="2026-09-29T09:00")
        clock.set("2026-09-29T09:30")
        desk.to_department(t, contact=False)
    tick(desk, clock, "2026-09-30T08:30")
    rows = queued(desk, "deadline_warnings")
    assert sorted(r.audience for r in rows) == ["department_group", "office_group"]
    assert all(len(r.context["items"]) == 3 for r in rows)


def test_digest_on_working_days_only_and_once(desk, clock):
    t = desk.new("12345", "ordinary", received="2026-09-29T09:00")
    clock.set("2026-09-29T10:00")
    desk.to_department(t)
    assert tick(desk, clock, "2026-09-30T08:00").duties == []
    assert "digest:2026-09-30" in tick(desk, clock, "2026-09-30T08:30").duties
    assert "digest:2026-09-30" not in tick(desk, clock, "2026-09-30T09:00", restart=True).duties
    for day in ("2026-10-01", "2026-10-04", "2026-10-07"):
        assert not [d for d in tick(desk, clock, f"{day}T09:00").duties if d.startswith("digest")]
    assert "digest:2026-10-08" in tick(desk, clock, "2026-10-08T10:00").duties  # late start: still once
    digest = queued(desk, "digest")[-1].context
    assert [i["stage"] for i in digest["overdue"]] == ["accept"]
    assert digest["due_today"] == [] and digest["fallback_years"] == []
    assert len(queued(desk, "digest")) == 2


def test_digest_says_when_holidays_are_missing(desk, clock):
    clock.set("2026-12-28T09:00")
    desk.new("12345", "ordinary", received="2026-12-28T09:00")
    tick(desk, clock, "2026-12-29T08:30")
    assert queued(desk, "digest")[-1].context["fallback_years"] == [2027]


def test_the_sensitive_round(desk, clock):
    threat = desk.new("12345", "threat", external_no="T1", received="2026-09-29T08:00")
    major = desk.new("petition", external_no="P1", received="2026-09-29T08:00", major_threat=True)
    clock.set("2026-09-29T08:10")
    desk.to_department(threat)
    desk.to_department(major, "yanglao")
    assert not [d for d in tick(desk, clock, "2026-09-29T08:59").duties if d.startswith("sensitive")]
    asked = tick(desk, clock, "2026-09-29T09:00").duties
    assert f"sensitive_ask:{threat}:2026-09-29" in asked and f"sensitive_ask:{major}:2026-09-29" in asked
    assert len(queued(desk, "visit_reminder")) == 2  # office and department, for the major threat
    clock.set("2026-09-29T11:00")
    desk.ok("李强", RecordDailyReport(threat, "已电话安抚，情绪平稳"))
    reminded = [d for d in tick(desk, clock, "2026-09-29T15:00").duties if d.startswith("sensitive")]
    assert reminded == [f"sensitive_remind:{major}:2026-09-29"]
    tick(desk, clock, "2026-09-29T17:00")
    report = queued(desk, "sensitive_daily")[-1].context
    progress = {i["internal_no"]: i["progress"] for i in report["items"]}
    assert progress == {"SJMZ-2026-000001": "已电话安抚，情绪平稳", "SJMZ-2026-000002": None}
    assert report["missing"] == ["SJMZ-2026-000002"]
    assert not [d for d in tick(desk, clock, "2026-09-29T18:00", restart=True).duties if d.startswith("sensitive")]
    # 每日: the round goes on over the holiday
    assert f"sensitive_ask:{threat}:2026-10-01" in tick(desk, clock, "2026-10-01T09:30").duties
    with desk.db.session() as session:
        assert queries.daily_report(session, threat, clock.moment.date()) is None


def test_weekly_statistics_on_monday_once(desk, clock):
    assert "weekly:2026-W41" in tick(desk, clock, "2026-10-05T08:30").duties
    assert not [d for d in tick(desk, clock, "2026-10-05T12:00").duties if d.startswith("weekly")]
    row = queued(desk, "weekly_stats")[-1]
    assert row.context == {"from": "2026-09-28", "to": "2026-10-04"}


def test_after_a_long_downtime_each_duty_once(desk, clock):
    t = desk.new("12345", "ordinary", received="2026-09-28T09:00")
    clock.set("2026-09-28T10:00")
    desk.to_department(t)
    # the bot was down from 09-28 evening until 10-09 morning
    first = tick(desk, clock, "2026-10-09T09:00")
    accept = desk.stages(t)["accept"].id
    assert [w for w in first.warnings if w[0] == accept] == [(accept, "overdue", 3)]  # not due soon, not twice
    assert [d for d in first.duties if d.startswith("digest")] == ["digest:2026-10-09"]  # today's only
    assert tick(desk, clock, "2026-10-09T09:01", restart=True).warnings == []
    assert [w[1:] for w in tick(desk, clock, "2026-10-10T09:00").warnings if w[0] == accept] == [("overdue_again", 4)]


def test_warnings_follow_an_extended_deadline(desk, clock):
    from bot.workflow import ApproveExtension, RequestExtension

    t = desk.new("962200", received="2026-09-28T09:00")
    clock.set("2026-09-28T10:00")
    desk.to_department(t, contact=False)
    desk.ok("李强", Accept(t))  # reply due 10-09 (4 working days)
    assert ("reply", "due_soon") in {(desk_stage(desk, w[0]), w[1]) for w in tick(desk, clock, "2026-10-09T08:30").warnings}
    clock.set("2026-10-09T10:00")
    desk.ok("李强", RequestExtension(t, 2, "等待街道核查结果"))
    desk.ok("陈刚", ApproveExtension(t))  # now due 10-12
    def reply_warnings(when):
        return [w[1] for w in tick(desk, clock, when).warnings if desk_stage(desk, w[0]) == "reply"]

    assert reply_warnings("2026-10-10T09:00") == []  # 10-09's deadline is gone: no overdue
    assert reply_warnings("2026-10-12T08:30") == ["due_soon"]
    assert reply_warnings("2026-10-13T08:30") == ["overdue"]


def desk_stage(desk, stage_id):
    with desk.db.session() as session:
        from storage.models import StageDeadline

        return session.get(StageDeadline, stage_id).stage


def test_emergency_alerts_until_someone_acknowledges(desk, clock):
    from bot.workflow import AcknowledgeEmergency, MarkEmergency

    clock.set("2026-10-03T22:10")  # a holiday night
    t = desk.new("962200", received="2026-10-03T22:05", emergency=True)
    first = queued(desk, "emergency_alert")
    leaders = {desk.actors[n].member_id for n in ("陈刚", "钱进", "吴军", "孙伟", "郑华")}
    assert {r.member_id for r in first if r.audience == "member"} == leaders
    assert [r.audience for r in first].count("office_group") == 1 and all(r.urgent for r in first)
    assert not [d for d in tick(desk, clock, "2026-10-03T22:20").duties if d.startswith("emergency")]
    assert [d for d in tick(desk, clock, "2026-10-03T22:26").duties if d.startswith("emergency")] != []
    assert not [d for d in tick(desk, clock, "2026-10-03T22:30", restart=True).duties if d.startswith("emergency")]
    assert desk.do("李强", AcknowledgeEmergency(t)).refusal.code == "role"
    desk.ok("吴军", AcknowledgeEmergency(t))
    assert desk.do("郑华", AcknowledgeEmergency(t)).refusal.code == "stale"
    assert not [d for d in tick(desk, clock, "2026-10-03T23:30").duties if d.startswith("emergency")]
    assert len(queued(desk, "emergency_alert")) == 2 * (1 + len(leaders))  # the alert, and once again
    # marked later: a 12345 ticket that turns out to be an emergency
    clock.set("2026-10-03T23:40")
    u = desk.new("12345", "ordinary", external_no="U", received="2026-10-03T23:35")
    desk.ok("王芳", MarkEmergency(u))
    assert desk.do("王芳", MarkEmergency(u)).refusal.code == "invalid"
    assert all(row.urgent for row in desk.stages(u).values())


def test_a_major_threat_visit_planned_reminded_and_recorded(desk, clock):
    from bot.workflow import RecordVisit, ScheduleVisit

    t = desk.new("petition", external_no="MT", received="2026-09-29T08:00", major_threat=True)
    clock.set("2026-09-29T08:10")
    desk.to_department(t)
    tick(desk, clock, "2026-09-29T09:00")
    assert [r.context.get("planned") for r in queued(desk, "visit_reminder")] == [False, False]
    assert desk.do("王芳", ScheduleVisit(t, "昨天 9:00", "王芳、李强")).refusal.code == "invalid"  # not in the past
    assert desk.do("王芳", ScheduleVisit(t, "明天 14:00", " ")).refusal.code == "missing"
    assert desk.do("李强", ScheduleVisit(t, "明天 14:00", "李强")).refusal.code == "role"
    desk.ok("王芳", ScheduleVisit(t, "明天 14:00", "王芳、李强"))
    assert not [d for d in tick(desk, clock, "2026-09-30T13:59").duties if d.startswith("visit_due")]
    assert [d for d in tick(desk, clock, "2026-09-30T14:00").duties if d.startswith("visit_due")] == ["visit_due:1"]
    assert queued(desk, "visit_reminder")[-1].context["planned"] is True
    assert not [d for d in tick(desk, clock, "2026-09-30T14:30", restart=True).duties if d.startswith("visit")]
    clock.set("2026-09-30T16:00")
    desk.ok("王芳", RecordVisit(t, "已上门，情绪平稳，承诺不再上访"))
    tick(desk, clock, "2026-10-01T09:00")
    assert len(queued(desk, "visit_reminder")) == 4  # 09-29 and 09-30; none after the visit
    with desk.db.session() as session:
        assert queries.planned_visit(session, t) is None
