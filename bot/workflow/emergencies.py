"""Emergencies, sensitive tickets, calming calls and visits (办法 第十七条; 规程 二(二)3(2), 三(三)3).

An 应急件 or 重大扬言 alerts the office and every leader at once, until one
acknowledges (ALERT: raised → acknowledged). A 扬言 ticket's department calls the caller at
once (即接即电话安抚) and records it. A sensitive ticket's department reports
its progress every day. A major threat is calmed by a visit (上门疏导), planned and
then recorded (VISIT: planned → done).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import LEADER_ROLES, Role, Stage, Status
from bot.parsing import parse_local_time
from bot.workflow.core import OPEN_WITH_DEPARTMENT, TERMINAL_STATUSES, Step, invalid, require, utc
from bot.workflow.machines import ALERT, VISIT, AlertState, VisitState
from bot.workflow.registry import Press, declare, no_guard
from storage import queries
from storage.models import DailyReport, EmergencyAlert, Visit
from templates import text

OPEN_ANYWHERE = OPEN_WITH_DEPARTMENT | {Status.RECEIVED}


def raise_alert(s: Step) -> None:
    """At once to the office and every leader, to be acknowledged (办法 第十七条)."""
    s.session.add(EmergencyAlert(ticket_id=s.ticket.id, raised_at=s.now, raised_by_id=s.actor.member_id))
    s.to_office("emergency_alert", round=0)
    for member_id in queries.members_with_any_role(s.session, [r.value for r in LEADER_ROLES]):
        s.to_member(member_id, "emergency_alert", round=0)


# --- marked after intake -----------------------------------------------------------------


@dataclass(frozen=True)
class MarkEmergency:
    """Mark a ticket 应急件 or 重大扬言 after intake; the alert goes out at once."""

    ticket_id: int
    major_threat: bool = False
    action = "mark_emergency"


def check_mark(s: Step, c: MarkEmergency) -> None:
    if s.ticket.major_threat if c.major_threat else s.ticket.emergency:
        raise invalid(text("refusal_already_done"))


def mark_emergency(s: Step, c: MarkEmergency) -> dict:
    if c.major_threat:
        s.ticket.major_threat = s.ticket.sensitive = True
    else:
        s.ticket.emergency = True
    for row in queries.open_stages(s.session, s.ticket.id):
        row.urgent = True
    raise_alert(s)
    return {"major_threat": c.major_threat}


declare(MarkEmergency, who=Role.OFFICE, sources=OPEN_ANYWHERE, sub=ALERT.move(set(AlertState), AlertState.RAISED),
        guard=check_mark, effect=mark_emergency, queues={"emergency_alert"}, settles=(),
        presses={"mark_emergency": Press(),
                 "mark_major_threat": Press(make=lambda t, v: MarkEmergency(t, major_threat=True))})


@dataclass(frozen=True)
class AcknowledgeEmergency:
    ticket_id: int
    action = "acknowledge_emergency"


def acknowledge_emergency(s: Step, c: AcknowledgeEmergency) -> dict:
    alert = queries.open_alert(s.session, s.ticket.id)
    alert.acknowledged_by_id, alert.acknowledged_at = s.actor.member_id, s.now
    s.to_office("emergency_acknowledged", by=s.actor.name)
    return {"alert_id": alert.id}


declare(AcknowledgeEmergency, who=(Role.OFFICE, *LEADER_ROLES), sources=OPEN_ANYWHERE | TERMINAL_STATUSES,
        sub=ALERT.move(AlertState.RAISED, AlertState.ACKNOWLEDGED),
        guard=no_guard, effect=acknowledge_emergency, queues={"emergency_acknowledged"},
        settles={"emergency_alert"})


# --- the calming call of a 扬言 ticket (规程 二(二)3(2): 即接即电话安抚好情绪并优先处置) ----------


@dataclass(frozen=True)
class RecordCalmingCall:
    ticket_id: int
    action = "record_calming_call"


def check_calming_call(s: Step, c: RecordCalmingCall) -> None:
    if s.ticket.calmed_at is not None:
        raise invalid(text("refusal_already_done"))
    if not queries.open_stages(s.session, s.ticket.id, [Stage.CALMING_CALL.value]):
        raise invalid(text("refusal_no_calming_call"))


def record_calming_call(s: Step, c: RecordCalmingCall) -> dict:
    s.ticket.calmed_at, s.ticket.calmed_by_id = utc(s.now), s.actor.member_id  # who called, and when
    s.close_stages([Stage.CALMING_CALL])
    return {"calmed_at": s.ticket.calmed_at, "calmed_by": s.actor.name}


declare(RecordCalmingCall, who=Role.HANDLER, own_department=True, sources=OPEN_WITH_DEPARTMENT,
        guard=check_calming_call, effect=record_calming_call, queues=(), settles={"calm_caller_now"})


# --- the department's daily progress on a sensitive ticket (规程 三(三)3) ------------------


@dataclass(frozen=True)
class RecordDailyReport:
    """The department's progress on a sensitive ticket today."""

    ticket_id: int
    text: str
    action = "record_daily_report"


def check_daily_report(s: Step, c: RecordDailyReport) -> None:
    require(c.text, "progress")


def record_daily_report(s: Step, c: RecordDailyReport) -> dict:
    today = s.local(s.now).date()
    report = queries.daily_report(s.session, s.ticket.id, today)
    if report is None:
        s.session.add(DailyReport(ticket_id=s.ticket.id, report_date=today, department_id=s.ticket.department_id,
                                  text=c.text.strip(), author_id=s.actor.member_id, created_at=s.now))
    else:  # a second report the same day replaces the first
        report.text, report.author_id, report.created_at = c.text.strip(), s.actor.member_id, s.now
    return {"day": today.isoformat(), "text": c.text.strip()}


declare(RecordDailyReport, who=Role.HANDLER, own_department=True, sources=OPEN_WITH_DEPARTMENT,
        guard=check_daily_report, effect=record_daily_report, queues=(), settles={"sensitive_ask", "sensitive_remind"},
        presses={"record_daily_report": Press(("progress",), lambda t, v: RecordDailyReport(t, v["progress"]))})


# --- the visit to calm a major threat (上门疏导) ---------------------------------------------


@dataclass(frozen=True)
class ScheduleVisit:
    """Planned: when (as typed) and who goes."""

    ticket_id: int
    when: str
    visitors: str
    action = "schedule_visit"


def check_schedule(s: Step, c: ScheduleVisit) -> None:
    if parse_local_time(c.when, s.local(s.now), future=True) is None:
        raise invalid(text("refusal_visit_time"))
    require(c.visitors, "visitors")


def schedule_visit(s: Step, c: ScheduleVisit) -> dict:
    """One plan at a time: planning again moves the plan."""
    when = parse_local_time(c.when, s.local(s.now), future=True)
    planned = queries.planned_visit(s.session, s.ticket.id)
    if planned is None:
        s.session.add(Visit(ticket_id=s.ticket.id, scheduled_for=utc(when), visitors=c.visitors.strip(),
                            recorded_by_id=s.actor.member_id))
    else:
        planned.scheduled_for, planned.visitors = utc(when), c.visitors.strip()
        planned.recorded_by_id = s.actor.member_id
    s.to_department("visit_scheduled", when=when, visitors=c.visitors.strip())
    return {"when": when, "visitors": c.visitors.strip()}


declare(ScheduleVisit, who=Role.OFFICE, sources=OPEN_WITH_DEPARTMENT, sub=VISIT.move(set(VisitState), VisitState.PLANNED),
        guard=check_schedule, effect=schedule_visit, queues={"visit_scheduled"}, settles={"visit_reminder"},
        presses={"schedule_visit": Press(("visit_time", "visitors"),
                                         lambda t, v: ScheduleVisit(t, v["visit_time"], v["visitors"]))})


@dataclass(frozen=True)
class RecordVisit:
    """Done: what happened."""

    ticket_id: int
    note: str
    action = "record_visit"


def check_visit(s: Step, c: RecordVisit) -> None:
    require(c.note, "visit_note")


def record_visit(s: Step, c: RecordVisit) -> dict:
    planned = queries.planned_visit(s.session, s.ticket.id)
    if planned is not None:
        planned.visited_at, planned.note, planned.recorded_by_id = s.now, c.note.strip(), s.actor.member_id
    else:
        s.session.add(Visit(ticket_id=s.ticket.id, visited_at=s.now, visitors=s.actor.name, note=c.note.strip(),
                            recorded_by_id=s.actor.member_id))
    s.to_department("visit_recorded", note=c.note.strip(), by=s.actor.name)
    return {"note": c.note.strip()}


declare(RecordVisit, who=Role.OFFICE, sources=OPEN_WITH_DEPARTMENT, sub=VISIT.move(set(VisitState), VisitState.DONE),
        guard=check_visit, effect=record_visit, queues={"visit_recorded"}, settles={"visit_reminder", "visit_due"},
        presses={"record_visit": Press(("visit_note",), lambda t, v: RecordVisit(t, v["visit_note"]))})
