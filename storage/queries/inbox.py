"""The inbox: updates stored before Telegram is told they arrived, processed from here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from storage.models import InboxUpdate
from storage.queries.leases import insert_ignoring


def store_updates(session: Session, updates: list[tuple[int, dict]], now: datetime) -> None:
    """Each update once, whoever received it first (a repeated delivery is ignored)."""
    insert_ignoring(session, InboxUpdate, [{"update_id": i, "payload": p, "received_at": now, "attempts": 0}
                                           for i, p in updates], "update_id")


def pending_updates(session: Session, limit: int) -> list[InboxUpdate]:
    return list(session.scalars(select(InboxUpdate).where(InboxUpdate.done_at.is_(None))
                                .order_by(InboxUpdate.update_id).limit(limit)))


def update_attempted(session: Session, update_id: int) -> int:
    """Count one more attempt at the update; returns how many there were."""
    session.execute(update(InboxUpdate).where(InboxUpdate.update_id == update_id)
                    .values(attempts=InboxUpdate.attempts + 1))
    return session.scalar(select(InboxUpdate.attempts).where(InboxUpdate.update_id == update_id)) or 0


def update_done(session: Session, update_id: int, now: datetime, error: str | None = None) -> None:
    session.execute(update(InboxUpdate).where(InboxUpdate.update_id == update_id)
                    .values(done_at=now, error=error))
