"""Figures of a period, computed in the database (GROUP BY; a city's year is over a million tickets).

Every figure counts the tickets *received* in [start, end) unless it says otherwise: the stage
figures count the stages *started* in the period.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Date, and_, case, cast, exists, func, literal, literal_column, or_, select
from sqlmodel import Session

from storage.models import (
    Collaboration,
    Extension,
    FollowUp,
    ProblemReport,
    Reply,
    StageDeadline,
    Supervision,
    Ticket,
    TicketEvent,
    TicketReturn,
)

RATED = ("satisfied", "acknowledged", "dissatisfied")  # 未评价 is not a rating
CONTENT_SAMPLE = 4000  # the topic words are read from about this many tickets of a period (every n-th)


def _received(start: datetime, end: datetime):
    return and_(Ticket.received_at >= start, Ticket.received_at < end)


def handling_class():
    """The ticket's class (办法 第十九条) from what happened to it, first that applies:
    应急件 (marked an emergency, 第十七条), 督办件 (a supervision ticket was created, 第十六条),
    协同件 (coordinated with another body or handed back, 第十八条), 即办件 (answered at once by the
    office, 第十四条), 流转件 (dispatched to a department, 第十五条), else not yet routed.
    The few supervised or coordinated tickets are read once as sets (IN), not probed per ticket."""
    supervised = Ticket.id.in_(select(Supervision.ticket_id).where(Supervision.created_at.is_not(None)))
    collaborated = Ticket.id.in_(select(Collaboration.ticket_id))
    return case(
        (Ticket.emergency.is_(True), literal("emergency")),
        (supervised, literal("supervision")),
        (collaborated, literal("collaboration")),
        (Ticket.handling_class == "immediate", literal("immediate")),
        (Ticket.department_id.is_not(None), literal("transfer")),
        else_=literal("unrouted"),
    )


def _sum(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _figure_columns(now: datetime) -> dict:
    """What the departments' rates count, per ticket (summed per cell of the cube)."""
    rated = Ticket.satisfaction.in_(RATED)
    solved = exists().where(Reply.ticket_id == Ticket.id, Reply.status == "approved", Reply.result == "solved")
    reviewed = exists().where(Reply.ticket_id == Ticket.id, Reply.reviewed_at.is_not(None))
    visited = exists().where(FollowUp.ticket_id == Ticket.id)
    closed = Ticket.status == "closed"
    has_deadline = and_(Ticket.overall_due_at.is_not(None), Ticket.status != "returned")
    return {
        "rated": _sum(rated),
        "satisfied": _sum(Ticket.satisfaction.in_(("satisfied", "acknowledged"))),
        "dissatisfied": _sum(Ticket.satisfaction == "dissatisfied"),
        "solved": _sum(and_(rated, solved)),  # the cheap test first: a reply is looked up for rated ones only
        "reviewed": _sum(reviewed),
        "redone": _sum(and_(Ticket.redo_count > 0, reviewed)),
        "closed": _sum(closed),
        "visited": _sum(and_(closed, visited)),
        "closing_judged": _sum(and_(has_deadline, or_(closed, Ticket.overall_due_at < now))),
        "closed_on_time": _sum(and_(has_deadline, closed, Ticket.closed_at <= Ticket.overall_due_at)),
    }


FIGURES = tuple(_figure_columns(datetime.min))  # the names of the sums, in order


def ticket_counts(session: Session, start: datetime, end: datetime, now: datetime) -> list[tuple]:
    """(class, channel, kind, service category, business category, department id, status, count, *FIGURES):
    every count and rate of the tickets received in the period from one pass over them, read from the
    figures index (ix_ticket_figures) rather than the tickets' rows."""
    keys = [handling_class().label("cls"), Ticket.channel, Ticket.kind, Ticket.service_category,
            Ticket.business_category, Ticket.department_id, Ticket.status]
    sums = [c.label(k) for k, c in _figure_columns(now).items()]
    query = (select(*keys, func.count(), *sums).where(_received(start, end))
             .group_by(*[literal_column(str(i + 1)) for i in range(len(keys))]))
    return [tuple(row) for row in session.execute(query)]


def stage_timeliness(session: Session, stage: str, start: datetime, end: datetime, now: datetime
                     ) -> dict[int | None, list[int]]:
    """Per department: [on time, late, still open and not yet due] of a stage started in [start, end)
    (cancelled stages do not count; an open stage past its due time is late)."""
    done = StageDeadline.completed_at.is_not(None)
    query = (select(StageDeadline.department_id,
                    _sum(and_(done, StageDeadline.completed_at <= StageDeadline.due_at)),
                    _sum(or_(and_(done, StageDeadline.completed_at > StageDeadline.due_at),
                             and_(~done, StageDeadline.due_at < now))),
                    _sum(and_(~done, StageDeadline.due_at >= now)))
             .where(StageDeadline.stage == stage, StageDeadline.started_at >= start, StageDeadline.started_at < end,
                    StageDeadline.cancelled_at.is_(None))
             .group_by(StageDeadline.department_id))
    return {department_id: [int(a), int(b), int(c)] for department_id, a, b, c in session.execute(query)}


def _local_day(session: Session, column, tz_name: str, offset_hours: float):
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(tz_name, column), Date)
    return func.date(column, f"{offset_hours:+g} hours")


def reply_days(session: Session, start: datetime, end: datetime, tz_name: str, offset_hours: float
               ) -> list[tuple[int | None, object, object, int]]:
    """(department id, local day dispatched, local day the reply was approved, count) of the reply stages
    started in the period and completed; the caller counts the working days between the two days."""
    started = _local_day(session, StageDeadline.started_at, tz_name, offset_hours).label("started")
    completed = _local_day(session, StageDeadline.completed_at, tz_name, offset_hours).label("completed")
    query = (select(StageDeadline.department_id, started, completed, func.count())
             .where(StageDeadline.stage == "reply", StageDeadline.started_at >= start, StageDeadline.started_at < end,
                    StageDeadline.completed_at.is_not(None), StageDeadline.cancelled_at.is_(None))
             .group_by(StageDeadline.department_id, started, completed))
    return [tuple(row) for row in session.execute(query)]


def returns_between(session: Session, start: datetime, end: datetime) -> list[tuple[str, int | None, int]]:
    """(initiator, department id, count) of the returns asked in [start, end) and approved."""
    query = (select(TicketReturn.initiator, Ticket.department_id, func.count())
             .select_from(TicketReturn).join(Ticket, Ticket.id == TicketReturn.ticket_id)
             .where(TicketReturn.requested_at >= start, TicketReturn.requested_at < end,
                    TicketReturn.decision == "approved")
             .group_by(TicketReturn.initiator, Ticket.department_id))
    return [tuple(row) for row in session.execute(query)]


def events_between(session: Session, action: str, start: datetime, end: datetime) -> list[tuple[int | None, int]]:
    """(department id, count) of the events of one action in [start, end)."""
    query = (select(Ticket.department_id, func.count()).select_from(TicketEvent)
             .join(Ticket, Ticket.id == TicketEvent.ticket_id)
             .where(TicketEvent.action == action, TicketEvent.at >= start, TicketEvent.at < end)
             .group_by(Ticket.department_id))
    return [tuple(row) for row in session.execute(query)]


def extensions_between(session: Session, start: datetime, end: datetime) -> list[tuple[int | None, str | None, int]]:
    """(department id, decision, count) of extension requests made in [start, end)."""
    query = (select(Ticket.department_id, Extension.decision, func.count())
             .select_from(Extension).join(Ticket, Ticket.id == Extension.ticket_id)
             .where(Extension.requested_at >= start, Extension.requested_at < end)
             .group_by(Ticket.department_id, Extension.decision))
    return [tuple(row) for row in session.execute(query)]


def _stride(session: Session, start: datetime, end: datetime, sample: int) -> int:
    """n such that every n-th ticket of the period (by id) makes a sample of about `sample`."""
    total = session.scalar(select(func.count()).select_from(Ticket).where(_received(start, end)))
    return max(1, -(-total // sample))


def contents_received_between(session: Session, start: datetime, end: datetime,
                              sample: int = CONTENT_SAMPLE) -> tuple[list[tuple], int]:
    """(content, caller's name, address) of the period's tickets, every n-th when there are more than
    `sample`; and n."""
    stride = _stride(session, start, end, sample)
    query = select(Ticket.content, Ticket.citizen_name, Ticket.address).where(_received(start, end))
    if stride > 1:
        query = query.where(Ticket.id % stride == 0)
    return [tuple(row) for row in session.execute(query)], stride


def troubled_contents(session: Session, start: datetime, end: datetime, now: datetime,
                      sample: int = CONTENT_SAMPLE) -> tuple[list[tuple], int]:
    """Contents of the period's tickets that went wrong: overdue (a stage completed late or open past due),
    returned (退单), redone (重办) or rated 不满意 — the 难点 are read from these; looked for among every
    n-th ticket of the period when there are more than five times `sample`, and at most about `sample` of
    them kept (every k-th); n·k returned, the weight of each."""
    stride = _stride(session, start, end, sample * 5)
    late = exists().where(StageDeadline.ticket_id == Ticket.id, StageDeadline.cancelled_at.is_(None),
                          or_(StageDeadline.completed_at > StageDeadline.due_at,
                              and_(StageDeadline.completed_at.is_(None), StageDeadline.due_at < now)))
    returned = exists().where(TicketReturn.ticket_id == Ticket.id, TicketReturn.decision == "approved")
    query = (select(Ticket.content, Ticket.citizen_name, Ticket.address)
             .where(_received(start, end),
                    or_(late, returned, Ticket.redo_count > 0, Ticket.satisfaction == "dissatisfied",
                        Ticket.status == "returned")))
    if stride > 1:
        query = query.where(Ticket.id % stride == 0)
    rows = [tuple(row) for row in session.execute(query)]
    step = -(-len(rows) // sample)  # more went wrong than the sample holds: every step-th of them
    return rows[::step] if step > 1 else rows, stride * max(step, 1)


def tickets_of_period(session: Session, start: datetime, end: datetime):
    """Every ticket of the period for the workbook's list, streamed in id order (no personal details)."""
    query = (select(Ticket.internal_no, Ticket.channel, Ticket.external_no, Ticket.kind, Ticket.service_category,
                    Ticket.business_category, handling_class().label("cls"), Ticket.department_id, Ticket.status,
                    Ticket.received_at, Ticket.overall_due_at, Ticket.closed_at, Ticket.satisfaction,
                    Ticket.redo_count)
             .where(_received(start, end)).order_by(Ticket.id)
             .execution_options(yield_per=2000))
    return session.execute(query)


def spot_check_sample(session: Session, start: datetime, end: datetime, size: int) -> list[tuple]:
    """抽查回访 (办法 第二十一条): (ticket id, internal no, channel, department id) of a random sample of the
    tickets closed in [start, end) — closed, not returned; drawn by the database."""
    query = (select(Ticket.id, Ticket.internal_no, Ticket.channel, Ticket.department_id)
             .where(Ticket.status == "closed", Ticket.closed_at >= start, Ticket.closed_at < end)
             .order_by(func.random()).limit(size))
    return [tuple(row) for row in session.execute(query)]


def dissatisfied_reports(session: Session, start: datetime, end: datetime, now: datetime) -> list[tuple]:
    """(ticket id, internal no, department id, report status, reasons, verification, overdue) of the
    dissatisfaction reports (规程 三(三)4) of tickets rated 不满意 in [start, end), or still not verified."""
    late = exists().where(StageDeadline.ticket_id == Ticket.id, StageDeadline.stage == "problem_report",
                          StageDeadline.open.is_(True), StageDeadline.due_at < now)
    query = (select(Ticket.id, Ticket.internal_no, Ticket.department_id, ProblemReport.status, ProblemReport.reasons,
                    ProblemReport.verification, late)
             .select_from(ProblemReport).join(Ticket, Ticket.id == ProblemReport.ticket_id)
             .where(ProblemReport.kind == "dissatisfied",
                    or_(ProblemReport.status != "verified",
                        and_(ProblemReport.verified_at >= start, ProblemReport.verified_at < end)))
             .order_by(Ticket.id))
    return [tuple(row) for row in session.execute(query)]


def unreplied(session: Session, now: datetime) -> list[tuple]:
    """未回复工单 (规程 三(三)4): (ticket id, internal no, department id, due) of the department replies
    still open past their deadline, oldest first."""
    query = (select(Ticket.id, Ticket.internal_no, StageDeadline.department_id, StageDeadline.due_at)
             .select_from(StageDeadline).join(Ticket, Ticket.id == StageDeadline.ticket_id)
             .where(StageDeadline.stage.in_(("reply", "supervision_reply")), StageDeadline.open.is_(True),
                    StageDeadline.due_at < now)
             .order_by(StageDeadline.due_at))
    return [tuple(row) for row in session.execute(query)]
