"""Every query the core needs; the core itself holds no SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from storage.models import (
    ChatBinding,
    Department,
    FormRecord,
    Member,
    MemberRole,
    Outbox,
    Reply,
    StageDeadline,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketReturn,
)

# --- organisation -----------------------------------------------------------


def member_roles(session: Session, member_id: int) -> list[tuple[str, int | None]]:
    rows = session.execute(select(MemberRole.role, MemberRole.department_id).where(MemberRole.member_id == member_id))
    return [(r, d) for r, d in rows]


def member_by_telegram_id(session: Session, telegram_user_id: int) -> Member | None:
    return session.scalar(select(Member).where(Member.telegram_user_id == telegram_user_id))


def members_with_role(session: Session, role: str, department_id: int | None = None) -> list[Member]:
    query = (
        select(Member)
        .join(MemberRole, MemberRole.member_id == Member.id)
        .where(MemberRole.role == role, Member.active.is_(True))
        .order_by(Member.id)
    )
    if department_id is not None:
        query = query.where(MemberRole.department_id == department_id)
    return list(session.scalars(query).unique())


def department_by_code(session: Session, code: str) -> Department | None:
    return session.scalar(select(Department).where(Department.code == code))


def department_by_name(session: Session, name: str) -> Department | None:
    return session.scalar(select(Department).where((Department.name == name) | (Department.code == name)))


def add_role(session: Session, member_id: int, role: str, department_id: int | None) -> MemberRole:
    existing = session.scalar(
        select(MemberRole).where(
            MemberRole.member_id == member_id,
            MemberRole.role == role,
            MemberRole.department_id.is_(None) if department_id is None else MemberRole.department_id == department_id,
        )
    )
    if existing:
        return existing
    row = MemberRole(member_id=member_id, role=role, department_id=department_id)
    session.add(row)
    session.flush()
    return row


def chats_of_department(session: Session, department_id: int) -> list[ChatBinding]:
    return list(session.scalars(select(ChatBinding).where(ChatBinding.department_id == department_id)))


# --- tickets ----------------------------------------------------------------


def ticket(session: Session, ticket_id: int) -> Ticket | None:
    return session.get(Ticket, ticket_id, populate_existing=True)


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


# --- stages -----------------------------------------------------------------


def open_stages(session: Session, ticket_id: int, stages: Sequence[str] | None = None) -> list[StageDeadline]:
    query = select(StageDeadline).where(StageDeadline.ticket_id == ticket_id, StageDeadline.open.is_(True))
    if stages is not None:
        query = query.where(StageDeadline.stage.in_(list(stages)))
    return list(session.scalars(query.order_by(StageDeadline.id)))


def latest_stage(session: Session, ticket_id: int, stage: str) -> StageDeadline | None:
    return session.scalar(
        select(StageDeadline)
        .where(StageDeadline.ticket_id == ticket_id, StageDeadline.stage == stage)
        .order_by(StageDeadline.id.desc())
        .limit(1)
    )


def stages_of(session: Session, ticket_id: int) -> list[StageDeadline]:
    return list(session.scalars(select(StageDeadline).where(StageDeadline.ticket_id == ticket_id).order_by(StageDeadline.id)))


def open_deadlines_before(session: Session, moment: datetime, limit: int = 1000) -> list[StageDeadline]:
    """Open stages due before `moment`, soonest first (served by ix_stage_deadline_open_due)."""
    return list(
        session.scalars(
            select(StageDeadline)
            .where(StageDeadline.open.is_(True), StageDeadline.due_at <= moment)
            .order_by(StageDeadline.due_at)
            .limit(limit)
        )
    )


# --- replies, returns, events, outbox ---------------------------------------


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


def events_of(session: Session, ticket_id: int) -> list[TicketEvent]:
    return list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)))


def events_by_action(session: Session, action: str) -> list[TicketEvent]:
    return list(session.scalars(select(TicketEvent).where(TicketEvent.action == action).order_by(TicketEvent.id)))


def outbox_of(session: Session, ticket_id: int | None = None) -> list[Outbox]:
    query = select(Outbox).order_by(Outbox.id)
    if ticket_id is not None:
        query = query.where(Outbox.ticket_id == ticket_id)
    return list(session.scalars(query))


def count(session: Session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))
