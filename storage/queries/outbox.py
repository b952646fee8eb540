"""The outbox: what is pending, what was sent where, which buttons are still open."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from storage.models import (
    Outbox,
)


def outbox_of(session: Session, ticket_id: int | None = None) -> list[Outbox]:
    query = select(Outbox).order_by(Outbox.id)
    if ticket_id is not None:
        query = query.where(Outbox.ticket_id == ticket_id)
    return list(session.scalars(query))


def pending_outbox(session: Session, now: datetime, limit: int = 50) -> list[Outbox]:
    return list(session.scalars(
        select(Outbox).where(Outbox.status == "pending", Outbox.next_attempt_at <= now)
        .order_by(Outbox.urgent.desc(), Outbox.id).limit(limit)
    ))


def open_buttons(session: Session, ticket_id: int) -> list[Outbox]:
    return list(session.scalars(
        select(Outbox).where(Outbox.ticket_id == ticket_id, Outbox.buttons_open.is_(True)).order_by(Outbox.id)
    ))


def outbox_by_message(session: Session, chat_id: int, message_id: int) -> Outbox | None:
    return session.scalar(select(Outbox).where(Outbox.chat_id == chat_id, Outbox.telegram_message_id == message_id))


def outbox_with_key(session: Session, key: str) -> Outbox | None:
    return session.scalar(select(Outbox).where(Outbox.dedupe_key == key))


def sent_to_chat_since(session: Session, chat_id: int, since: datetime) -> list[datetime]:
    """When messages went to a chat since a moment, oldest first (for the per-group rate)."""
    return list(session.scalars(select(Outbox.sent_at).where(Outbox.chat_id == chat_id, Outbox.sent_at >= since)
                                .order_by(Outbox.sent_at)))


def pending_for_groups(session: Session, now: datetime) -> list[Outbox]:
    return list(session.scalars(select(Outbox).where(
        Outbox.status == "pending", Outbox.next_attempt_at <= now,
        Outbox.audience.in_(["office_group", "department_group"])).order_by(Outbox.id)))
