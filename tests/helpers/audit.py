"""The audit log seen from a test: where it ends now, and what was written after that."""

from __future__ import annotations

from sqlmodel import select

from storage.models import TicketEvent


def last_event_id(db) -> int:
    with db.session() as session:
        return session.exec(select(TicketEvent.id).order_by(TicketEvent.id.desc()).limit(1)).first() or 0


def events_after(db, event_id: int) -> list[TicketEvent]:
    with db.session() as session:
        return session.exec(select(TicketEvent).where(TicketEvent.id > event_id).order_by(TicketEvent.id)).all()
