"""The records beside a ticket: its reply, forms, return, extension, alert, problem report, supervision, visits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import Session

from storage.models import (
    Assist,
    DailyReport,
    EmergencyAlert,
    Extension,
    FormRecord,
    HotlineExtension,
    ProblemReport,
    Reply,
    StageDeadline,
    Supervision,
    Ticket,
    TicketEvent,
    TicketReturn,
    Visit,
)
from storage.queries.stages import prioritised


def current_reply(session: Session, ticket_id: int) -> Reply | None:
    return session.scalar(select(Reply).where(Reply.ticket_id == ticket_id).order_by(Reply.round.desc()).limit(1))


def latest_form(session: Session, ticket_id: int) -> FormRecord | None:
    return session.scalar(
        select(FormRecord).where(FormRecord.ticket_id == ticket_id).order_by(FormRecord.id.desc()).limit(1)
    )


def open_return(session: Session, ticket_id: int) -> TicketReturn | None:
    return session.scalar(
        select(TicketReturn)
        .where(TicketReturn.ticket_id == ticket_id, TicketReturn.completed_at.is_(None))
        .order_by(TicketReturn.id.desc())
        .limit(1)
    )


def open_sensitive_tickets(session: Session) -> list[Ticket]:
    return list(session.scalars(
        select(Ticket).where(Ticket.closed_at.is_(None), Ticket.department_id.is_not(None),
                             (Ticket.sensitive.is_(True)) | (Ticket.major_threat.is_(True)))
        .order_by(Ticket.department_id, Ticket.id)
    ))


def daily_report(session: Session, ticket_id: int, day) -> DailyReport | None:
    return session.scalar(select(DailyReport).where(DailyReport.ticket_id == ticket_id,
                                                    DailyReport.report_date == day))


def visited(session: Session, ticket_id: int) -> bool:
    return session.scalar(select(Visit.id).where(Visit.ticket_id == ticket_id, Visit.visited_at.is_not(None))
                          .limit(1)) is not None


def open_tickets_in(session: Session, statuses: Sequence[str], limit: int | None = None) -> tuple[list[Ticket], int]:
    """The tickets in these statuses, prioritised then oldest first (at most `limit`), and how many there are."""
    where = Ticket.status.in_(list(statuses))
    tickets = list(session.scalars(select(Ticket).where(where).order_by(prioritised(), Ticket.id).limit(limit)))
    if limit is None or len(tickets) < limit:
        return tickets, len(tickets)
    return tickets, session.scalar(select(func.count()).select_from(Ticket).where(where))


def pending_extension(session: Session, ticket_id: int):
    return session.scalar(select(Extension).where(Extension.ticket_id == ticket_id, Extension.decision.is_(None))
                          .order_by(Extension.id.desc()).limit(1))


def open_alert(session: Session, ticket_id: int):
    return session.scalar(select(EmergencyAlert).where(EmergencyAlert.ticket_id == ticket_id,
                                                       EmergencyAlert.acknowledged_at.is_(None))
                          .order_by(EmergencyAlert.id.desc()).limit(1))


def unacknowledged_alerts(session: Session):
    return list(session.execute(
        select(EmergencyAlert, Ticket).join(Ticket, Ticket.id == EmergencyAlert.ticket_id)
        .where(EmergencyAlert.acknowledged_at.is_(None)).order_by(EmergencyAlert.id)))


def bump_reminder(session: Session, alert_id: int, seen: int) -> bool:
    """Count one more reminder, only if nobody else did since it was read."""
    result = session.execute(update(EmergencyAlert)
                             .where(EmergencyAlert.id == alert_id, EmergencyAlert.reminders_sent == seen,
                                    EmergencyAlert.acknowledged_at.is_(None))
                             .values(reminders_sent=seen + 1).execution_options(synchronize_session=False))
    return result.rowcount == 1


def open_problem(session: Session, ticket_id: int):
    return session.scalar(select(ProblemReport).where(ProblemReport.ticket_id == ticket_id,
                                                      ProblemReport.status != "verified")
                          .order_by(ProblemReport.id.desc()).limit(1))


def problems(session: Session, statuses: Sequence[str] | None = None):
    """(report, ticket) of problem reports, oldest first."""
    query = select(ProblemReport, Ticket).join(Ticket, Ticket.id == ProblemReport.ticket_id)
    if statuses is not None:
        query = query.where(ProblemReport.status.in_(list(statuses)))
    return list(session.execute(query.order_by(ProblemReport.id)))


def open_supervision(session: Session, ticket_id: int):
    return session.scalar(select(Supervision).where(Supervision.ticket_id == ticket_id,
                                                    Supervision.status.in_(["proposed", "created"]))
                          .order_by(Supervision.id.desc()).limit(1))


def overdue_replies_to_escalate(session: Session, now: datetime, limit: int = 100) -> list[tuple[StageDeadline, Ticket]]:
    """(stage, ticket) of the department replies overdue (no approved extension keeps them open) that the scan
    has not yet looked at for supervision, the longest overdue first: through ix_stage_deadline_to_escalate,
    so replies already looked at are never read again."""
    return [tuple(r) for r in session.execute(
        select(StageDeadline, Ticket).join(Ticket, Ticket.id == StageDeadline.ticket_id)
        .where(StageDeadline.open.is_(True), StageDeadline.escalated_at.is_(None), StageDeadline.stage == "reply",
               StageDeadline.due_at < now)
        .order_by(StageDeadline.due_at, StageDeadline.id).limit(limit))]


def supervised(session: Session, ticket_id: int) -> bool:
    return session.scalar(select(Supervision.id).where(Supervision.ticket_id == ticket_id).limit(1)) is not None


def planned_visit(session: Session, ticket_id: int) -> Visit | None:
    return session.scalar(select(Visit).where(Visit.ticket_id == ticket_id, Visit.visited_at.is_(None),
                                              Visit.scheduled_for.is_not(None)).order_by(Visit.id).limit(1))


def visits_due(session: Session, now: datetime):
    """(visit, ticket) of planned visits whose time has come and that are not recorded as done."""
    return list(session.execute(select(Visit, Ticket).join(Ticket, Ticket.id == Visit.ticket_id)
                                .where(Visit.visited_at.is_(None), Visit.scheduled_for <= now,
                                       Ticket.closed_at.is_(None))
                                .order_by(Visit.id)))


def supervisions_in(session: Session, status: str) -> list[Ticket]:
    return list(session.scalars(select(Ticket).join(Supervision, Supervision.ticket_id == Ticket.id)
                                .where(Supervision.status == status).order_by(Ticket.id)))


def _latest(session: Session, model, ticket_id: int, *where):
    return session.scalar(select(model).where(model.ticket_id == ticket_id, *where)
                          .order_by(model.id.desc()).limit(1))


def latest_return(session: Session, ticket_id: int) -> TicketReturn | None:
    return _latest(session, TicketReturn, ticket_id)


def latest_extension(session: Session, ticket_id: int):
    return _latest(session, Extension, ticket_id)


def latest_hotline_extension(session: Session, ticket_id: int):
    return _latest(session, HotlineExtension, ticket_id)


def latest_alert(session: Session, ticket_id: int):
    return _latest(session, EmergencyAlert, ticket_id)


def latest_visit(session: Session, ticket_id: int) -> Visit | None:
    return _latest(session, Visit, ticket_id)


def latest_supervision(session: Session, ticket_id: int):
    return _latest(session, Supervision, ticket_id)


def latest_problem(session: Session, ticket_id: int):
    return _latest(session, ProblemReport, ticket_id)


# --- the ticket's history (办理记录), 催办 and 协办 ---------------------------------------


def history(session: Session, ticket_id: int, actions: Sequence[str], offset: int, limit: int
            ) -> tuple[list[TicketEvent], int]:
    """A page of the ticket's workflow events, oldest first, and how many there are in all."""
    where = (TicketEvent.ticket_id == ticket_id, TicketEvent.action.in_(list(actions)))
    total = session.scalar(select(func.count()).select_from(TicketEvent).where(*where)) or 0
    rows = session.scalars(select(TicketEvent).where(*where).order_by(TicketEvent.at, TicketEvent.id)
                           .offset(offset).limit(limit))
    return list(rows), total


def events_named(session: Session, ticket_id: int, actions: Sequence[str], before_id: int | None = None
                 ) -> list[TicketEvent]:
    """The ticket's events of these actions, oldest first; with before_id only those recorded before that event."""
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.action.in_(list(actions)))
    if before_id is not None:
        query = query.where(TicketEvent.id < before_id)
    return list(session.scalars(query.order_by(TicketEvent.id)))


def count_events(session: Session, ticket_id: int, action: str) -> int:
    return session.scalar(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.action == action)) or 0


def last_actor(session: Session, ticket_id: int, action: str) -> int | None:
    """Who took the latest step of this action on the ticket (None: the system, or never)."""
    return session.scalar(select(TicketEvent.actor_id).where(TicketEvent.ticket_id == ticket_id,
                                                             TicketEvent.action == action)
                          .order_by(TicketEvent.at.desc(), TicketEvent.id.desc()).limit(1))


def last_event_at(session: Session, ticket_id: int, action: str) -> datetime | None:
    return session.scalar(select(func.max(TicketEvent.at)).where(TicketEvent.ticket_id == ticket_id,
                                                                 TicketEvent.action == action))


def assists_of(session: Session, ticket_id: int) -> list[Assist]:
    return list(session.scalars(select(Assist).where(Assist.ticket_id == ticket_id).order_by(Assist.id)))


def assist_of(session: Session, ticket_id: int, department_id: int | None) -> Assist | None:
    return session.scalar(select(Assist).where(Assist.ticket_id == ticket_id, Assist.department_id == department_id))


def assists_waiting(session: Session, department_ids: Sequence[int]) -> list[Ticket]:
    """Open tickets on which these departments assist and have not added their part."""
    waiting = select(Assist.ticket_id).where(Assist.department_id.in_(list(department_ids)), Assist.part_at.is_(None))
    return list(session.scalars(select(Ticket).where(Ticket.id.in_(waiting), Ticket.closed_at.is_(None))
                                .order_by(Ticket.id)))


def extensions_waiting(session: Session, department_id: int | None) -> list[Ticket]:
    """Open tickets of the department with a 延期 request nobody decided yet."""
    asked = select(Extension.ticket_id).where(Extension.decision.is_(None))
    return list(session.scalars(select(Ticket).where(
        Ticket.department_id == department_id, Ticket.id.in_(asked), Ticket.closed_at.is_(None)).order_by(Ticket.id)))


def tickets_waiting_on(session: Session, stage: str) -> list[Ticket]:
    """Open tickets with this stage still open (a petition's 受理告知书 not yet recorded)."""
    waiting = select(StageDeadline.ticket_id).where(StageDeadline.stage == stage, StageDeadline.open.is_(True))
    return list(session.scalars(select(Ticket).where(Ticket.id.in_(waiting), Ticket.closed_at.is_(None))
                                .order_by(Ticket.id)))
