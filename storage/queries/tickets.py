"""Tickets: look-ups, the compare-and-set of a status, numbers, lists, search, links and history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import case, func, literal_column, select, table, update
from sqlalchemy import column as named_column
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from storage import fulltext
from storage.models import (
    Attachment,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketLink,
)


def ticket(session: Session, ticket_id: int) -> Ticket | None:
    return session.get(Ticket, ticket_id, populate_existing=True)


def callers(session: Session, numbers: list[str]) -> list[tuple[str | None, str | None, str | None]]:
    """(citizen name, address, phone) of the tickets with these internal numbers, through their unique index."""
    if not numbers:
        return []
    return [tuple(r) for r in session.execute(select(Ticket.citizen_name, Ticket.address, Ticket.phone)
                                              .where(Ticket.internal_no.in_(numbers)))]


def ticket_by_number(session: Session, number: str) -> Ticket | None:
    """By internal number, or by external number in any channel."""
    number = number.strip()
    found = session.scalar(select(Ticket).where(Ticket.internal_no == number))
    return found or session.scalar(select(Ticket).where(Ticket.external_no == number).order_by(Ticket.id))


def ticket_by_external(session: Session, channel: str, external_no: str) -> Ticket | None:
    return session.scalar(select(Ticket).where(Ticket.channel == channel, Ticket.external_no == external_no))


def tickets_by_external(session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Ticket]:
    keys = list(keys)
    out: dict[tuple[str, str], Ticket] = {}
    for channel in {c for c, _ in keys}:
        numbers = [n for c, n in keys if c == channel]
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            for t in session.scalars(select(Ticket).where(Ticket.channel == channel, Ticket.external_no.in_(chunk))):
                out[(t.channel, t.external_no)] = t
    return out


def compare_and_set_status(session: Session, ticket: Ticket, to_status: str, now: datetime, **values) -> bool:
    """Move the ticket to to_status only if nobody changed it since it was read."""
    result = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status == ticket.status, Ticket.version == ticket.version)
        .values(status=to_status, version=Ticket.version + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    for key, value in {"status": to_status, "version": ticket.version + 1, "updated_at": now, **values}.items():
        set_committed_value(ticket, key, value)
    return True


def current_status(session: Session, ticket_id: int) -> str | None:
    return session.scalar(select(Ticket.status).where(Ticket.id == ticket_id).execution_options(populate_existing=True))


def next_internal_number(session: Session, year: int) -> int:
    """Increment the year's counter atomically; creates the year's row on first use."""
    stmt = (
        update(TicketCounter)
        .where(TicketCounter.year == year)
        .values(last=TicketCounter.last + 1)
        .returning(TicketCounter.last)
    )
    value = session.scalar(stmt)
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.add(TicketCounter(year=year, last=1))
        return 1
    except IntegrityError:
        return session.scalar(stmt)


def events_of(session: Session, ticket_id: int) -> list[TicketEvent]:
    return list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)))


def count(session: Session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def dispatch_history(session: Session, phone: str | None, category: str | None, since: datetime) -> dict:
    """Where earlier tickets of the same citizen, and of the same category, went: department id -> counts."""
    out: dict[int, dict[str, int]] = {}
    if phone:
        rows = session.execute(
            select(Ticket.department_id, func.count())
            .where(Ticket.phone == phone, Ticket.department_id.is_not(None))
            .group_by(Ticket.department_id)
        )
        for department_id, n in rows:
            out.setdefault(department_id, {})["citizen"] = n
    if category:
        rows = session.execute(
            select(Ticket.department_id, func.count())
            .where(Ticket.business_category == category, Ticket.department_id.is_not(None),
                   Ticket.received_at >= since)
            .group_by(Ticket.department_id)
        )
        for department_id, n in rows:
            out.setdefault(department_id, {})["category"] = n
    return out


def tickets_where(session: Session, *, department_id: int | None = None, handler_id: int | None = None,
                  statuses: Sequence[str] | None = None, open_only: bool = True, limit: int = 30) -> list[Ticket]:
    query = select(Ticket)
    if department_id is not None:
        query = query.where(Ticket.department_id == department_id)
    if handler_id is not None:
        query = query.where(Ticket.handler_id == handler_id)
    if statuses is not None:
        query = query.where(Ticket.status.in_(list(statuses)))
    if open_only:
        query = query.where(Ticket.closed_at.is_(None))
    return list(session.scalars(query.order_by(Ticket.overall_due_at.is_(None), Ticket.overall_due_at,
                                               Ticket.received_at).limit(limit)))


SHORT_SCAN = 30_000  # tickets a search of only one- and two-character words looks through, newest first


def search_tickets(session: Session, words: Sequence[str], limit: int = 20) -> list[Ticket]:
    """Tickets whose number, content, citizen, phone or address contain every word, newest first.

    Words of three characters or more are looked up in the trigram index (storage/fulltext.py); shorter
    ones filter what those found. When every word is shorter (no trigram), only the newest SHORT_SCAN
    tickets are looked through, on either database, so a query stays bounded however long the history."""
    words = [w for w in words if w]
    long = [w for w in words if len(w) >= fulltext.MIN_LENGTH]
    doc = fulltext.ticket_doc()
    order = (Ticket.received_at.desc(), Ticket.id.desc())
    if not long:  # the newest, with their text, on their own; the words filter those (never the whole table)
        newest = (select(Ticket.id.label("id"), Ticket.received_at.label("received_at"), doc.label("doc"))
                  .order_by(*order).limit(SHORT_SCAN).cte("newest").prefix_with("MATERIALIZED"))
        query = (select(Ticket).join(newest, newest.c.id == Ticket.id)
                 .where(*[newest.c.doc.ilike(fulltext.like(w), escape="\\") for w in words])
                 .order_by(newest.c.received_at.desc(), newest.c.id.desc()).limit(limit))
        return list(session.scalars(query))
    query = select(Ticket)
    if session.get_bind().dialect.name == "sqlite":  # PostgreSQL's GIN index serves ILIKE itself
        fts = table("ticket_fts", named_column("rowid"))
        query = (select(Ticket).select_from(fts).join(Ticket, Ticket.id == fts.c.rowid)
                 .where(literal_column("ticket_fts").op("MATCH")(" AND ".join(fulltext.phrase(w) for w in long))))
        words = [w for w in words if len(w) < fulltext.MIN_LENGTH]
    for word in words:
        query = query.where(doc.ilike(fulltext.like(word), escape="\\"))
    return list(session.scalars(query.order_by(*order).limit(limit)))


def attachments_of(session: Session, ticket_id: int, purpose: str | None = None) -> list[Attachment]:
    query = select(Attachment).where(Attachment.ticket_id == ticket_id)
    if purpose:
        query = query.where(Attachment.purpose == purpose)
    return list(session.scalars(query.order_by(Attachment.id)))


def attachment_counts(session: Session, ticket_ids: Iterable[int]) -> dict[int, int]:
    """How many files of evidence each of these tickets has (a ticket with none is absent), in one query."""
    ids = list(set(ticket_ids))
    if not ids:
        return {}
    query = select(Attachment.ticket_id, func.count()).where(Attachment.ticket_id.in_(ids))
    return dict(session.execute(query.group_by(Attachment.ticket_id)).all())


def repeat_candidates(session: Session, ticket: Ticket, since: datetime, limit: int) -> list[Ticket]:
    """The latest other tickets since `since` sharing the phone, the name or the normalised address: at most
    `limit` by each, each read through its (key, received_at) index; latest first."""
    found: dict[int, Ticket] = {}
    for column, value in ((Ticket.phone, ticket.phone), (Ticket.citizen_name, ticket.citizen_name),
                          (Ticket.address_key, ticket.address_key)):
        if value:
            found.update((t.id, t) for t in session.scalars(
                select(Ticket).where(column == value, Ticket.received_at >= since, Ticket.id != ticket.id)
                .order_by(Ticket.received_at.desc()).limit(limit)))
    return sorted(found.values(), key=lambda t: (t.received_at, t.id), reverse=True)


def links_of(session: Session, ticket_id: int, active: bool = True):
    query = select(TicketLink).where((TicketLink.ticket_id == ticket_id) | (TicketLink.related_ticket_id == ticket_id))
    if active:
        query = query.where(TicketLink.unlinked_at.is_(None))
    return list(session.scalars(query.order_by(TicketLink.id)))


def linked_tickets(session: Session, ticket_id: int, limit: int = 20) -> tuple[list[tuple[TicketLink, Ticket]], int]:
    """(link, the other ticket) of the ticket's active repeat links, the newest `limit` tickets, in one
    query; and how many links there are."""
    other = case((TicketLink.ticket_id == ticket_id, TicketLink.related_ticket_id), else_=TicketLink.ticket_id)
    where = [(TicketLink.ticket_id == ticket_id) | (TicketLink.related_ticket_id == ticket_id),
             TicketLink.unlinked_at.is_(None)]
    rows = [tuple(r) for r in session.execute(select(TicketLink, Ticket).join(Ticket, Ticket.id == other).where(*where)
                                              .order_by(Ticket.received_at.desc(), Ticket.id.desc()).limit(limit))]
    if len(rows) < limit:
        return rows, len(rows)
    return rows, session.scalar(select(func.count()).select_from(TicketLink).where(*where))


def link_between(session: Session, a: int, b: int):
    return session.scalar(select(TicketLink).where(
        ((TicketLink.ticket_id == a) & (TicketLink.related_ticket_id == b))
        | ((TicketLink.ticket_id == b) & (TicketLink.related_ticket_id == a))))


def recent_dispatched(session: Session, before: datetime, since: datetime, limit: int = 500):
    """(department id, content) of the latest dispatched tickets, for 'where similar tickets went'."""
    return list(session.execute(
        select(Ticket.department_id, Ticket.content)
        .where(Ticket.department_id.is_not(None), Ticket.received_at >= since, Ticket.received_at <= before)
        .order_by(Ticket.received_at.desc()).limit(limit)))
