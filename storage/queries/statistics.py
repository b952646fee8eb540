"""Figures of a period, computed in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from storage.models import (
    Extension,
    StageDeadline,
    Ticket,
    TicketEvent,
    TicketReturn,
)


def tickets_received_between(session: Session, start: datetime, end: datetime):
    """Rows (id, channel, kind, business_category, department_id, status, handling_class, emergency,
    satisfaction, redo_count) of tickets received in [start, end)."""
    return list(session.execute(
        select(Ticket.id, Ticket.channel, Ticket.kind, Ticket.business_category, Ticket.department_id,
               Ticket.status, Ticket.handling_class, Ticket.emergency, Ticket.satisfaction, Ticket.redo_count)
        .where(Ticket.received_at >= start, Ticket.received_at < end)
    ))


def contents_received_between(session: Session, start: datetime, end: datetime, limit: int = 20000) -> list[str]:
    return list(session.scalars(
        select(Ticket.content).where(Ticket.received_at >= start, Ticket.received_at < end).limit(limit)
    ))


def stage_timeliness(session: Session, stage: str, start: datetime, end: datetime, now: datetime):
    """Per department: (on time, late, still open and not yet due) for a stage started in [start, end)."""
    rows = session.execute(
        select(StageDeadline.department_id, StageDeadline.due_at, StageDeadline.completed_at,
               StageDeadline.cancelled_at)
        .where(StageDeadline.stage == stage, StageDeadline.started_at >= start, StageDeadline.started_at < end)
    )
    out: dict[int | None, list[int]] = {}
    for department_id, due_at, completed_at, cancelled_at in rows:
        if cancelled_at is not None:
            continue
        counts = out.setdefault(department_id, [0, 0, 0])
        if completed_at is not None:
            counts[0 if completed_at <= due_at else 1] += 1
        elif due_at < now:
            counts[1] += 1
        else:
            counts[2] += 1
    return out


def returns_between(session: Session, start: datetime, end: datetime) -> list[tuple[str, int | None]]:
    """(initiator, department id) of returns asked or decided in [start, end) and carried out or approved."""
    return list(session.execute(
        select(TicketReturn.initiator, Ticket.department_id)
        .join(Ticket, Ticket.id == TicketReturn.ticket_id)
        .where(TicketReturn.requested_at >= start, TicketReturn.requested_at < end,
               TicketReturn.decision == "approved")
    ))


def events_between(session: Session, action: str, start: datetime, end: datetime) -> list[tuple[int, int | None]]:
    """(ticket id, department id) of the events of one action in [start, end)."""
    return list(session.execute(
        select(TicketEvent.ticket_id, Ticket.department_id)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.action == action, TicketEvent.at >= start, TicketEvent.at < end)
    ))


def extensions_between(session: Session, start: datetime, end: datetime) -> list[tuple[int | None, str | None]]:
    """(department id, decision) of extension requests made in [start, end)."""
    return list(session.execute(
        select(Ticket.department_id, Extension.decision).join(Ticket, Ticket.id == Extension.ticket_id)
        .where(Extension.requested_at >= start, Extension.requested_at < end)))
