"""The outbox: what is pending, what was sent where, which buttons are still open."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
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


def _unclaimed(now: datetime):
    return or_(Outbox.claimed_until.is_(None), Outbox.claimed_until < now)


def _mergeable(now: datetime, templates: list[str]) -> list:
    return [Outbox.status == "pending", Outbox.next_attempt_at <= now, _unclaimed(now),
            Outbox.audience.in_(["office_group", "department_group"]), Outbox.template.in_(templates),
            Outbox.urgent.is_(False)]


def pending_group_counts(session: Session, now: datetime, templates: list[str]) -> list[tuple]:
    """(audience, department_id, how many) of the due group messages of these kinds no process is sending."""
    return [tuple(r) for r in session.execute(
        select(Outbox.audience, Outbox.department_id, func.count())
        .where(*_mergeable(now, templates)).group_by(Outbox.audience, Outbox.department_id))]


def pending_for_group(session: Session, now: datetime, templates: list[str], audience: str,
                      department_id: int | None, limit: int) -> list[Outbox]:
    """The oldest `limit` of them for one group, locked for this transaction (others skip them)."""
    group = Outbox.department_id.is_(None) if department_id is None else Outbox.department_id == department_id
    return list(session.scalars(select(Outbox).where(*_mergeable(now, templates), Outbox.audience == audience, group)
                                .order_by(Outbox.id).limit(limit).with_for_update(skip_locked=True)))


def claimable_outbox(session: Session, now: datetime, limit: int) -> list[Outbox]:
    """Due rows no process is sending (or whose sender's claim ran out), locked for this transaction: on
    PostgreSQL another process skips them (SKIP LOCKED); SQLite has one writer at a time (BEGIN IMMEDIATE)."""
    return list(session.scalars(
        select(Outbox).where(Outbox.status == "pending", Outbox.next_attempt_at <= now, _unclaimed(now))
        .order_by(Outbox.urgent.desc(), Outbox.id).limit(limit).with_for_update(skip_locked=True)
    ))


def messages_sent_since(session: Session, since: datetime, now: datetime,
                        chat_id: int | None = None) -> tuple[int, datetime | None]:
    """Telegram messages that went out (to one chat, or to any) since a moment, with those that processes
    are sending now; and when the oldest of them went (for when the window frees)."""
    chat = [Outbox.chat_id == chat_id] if chat_id is not None else []
    sent, oldest = session.execute(select(func.coalesce(func.sum(Outbox.parts_sent), 0), func.min(Outbox.sent_at))
                                   .where(*chat, Outbox.sent_at >= since)).one()
    sending = session.scalar(select(func.coalesce(func.sum(Outbox.messages - Outbox.parts_sent), 0)).where(
        *chat, Outbox.status == "pending", Outbox.claimed_until > now))
    return int(sent) + int(sending), oldest
