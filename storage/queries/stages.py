"""Stage deadlines: open ones by ticket and by due time, warnings already sent, duties claimed once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import (
    JobRun,
    StageDeadline,
    Ticket,
    WarningSent,
)


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


def next_due(session: Session, ticket_ids: Sequence[int]) -> dict[int, datetime]:
    """The soonest open stage deadline of each ticket."""
    if not ticket_ids:
        return {}
    rows = session.execute(
        select(StageDeadline.ticket_id, func.min(StageDeadline.due_at))
        .where(StageDeadline.ticket_id.in_(list(ticket_ids)), StageDeadline.open.is_(True))
        .group_by(StageDeadline.ticket_id)
    )
    return {ticket_id: due for ticket_id, due in rows}


def claim(session: Session, key: str, now: datetime) -> bool:
    """Record that a duty keyed `key` is done; False when it already was (by anyone, ever)."""
    if session.scalar(select(JobRun.id).where(JobRun.key == key)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(JobRun(key=key, ran_at=now))
    except IntegrityError:
        return False
    return True


def _urgent():
    return (StageDeadline.urgent.is_(True) | (StageDeadline.rule == "immediate")
            | StageDeadline.rule.startswith("hours:") | Ticket.emergency.is_(True))


def stages_to_check(session: Session, now: datetime, limit: int, urgent_only: bool = False):
    """Open stages whose next warning may be due by `now`, or not yet worked out, with their tickets:
    read through ix_stage_deadline_next_warning (open rows only), so a scan with nothing due reads nothing.
    Two queries, not one with OR: SQLite uses the partial index for each alone."""
    rows = []
    for due in (StageDeadline.next_warning_at.is_(None), StageDeadline.next_warning_at <= now):
        # the stages alone first, their tickets then by id: a planner misled by stale statistics (all NULL
        # when last analysed) cannot turn this into a walk over every stage joined to every ticket
        query = select(StageDeadline).where(StageDeadline.open.is_(True), due)
        if urgent_only:
            query = query.join(Ticket, Ticket.id == StageDeadline.ticket_id).where(_urgent())
        stages = list(session.scalars(query.limit(limit - len(rows))))
        tickets = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_({s.ticket_id for s in stages})))} \
            if stages else {}
        rows += [(stage, tickets[stage.ticket_id]) for stage in stages]
        if len(rows) >= limit:
            break
    return rows


def prioritised():
    """0 for a ticket listed first (市级催办 or 扬言, bot/priority.py), else 1."""
    return case((Ticket.city_urged.is_(True) | Ticket.major_threat.is_(True) | (Ticket.kind == "threat"), 0), else_=1)


def open_stages_due(session: Session, after: datetime | None, before: datetime, limit: int, until: bool = False):
    """(stage, ticket) of the open stages due in [after, before) — [after, before] when `until` —
    prioritised then soonest first, at most `limit`, and how many there are (ix_stage_deadline_open_due)."""
    where = [StageDeadline.open.is_(True), StageDeadline.due_at <= before if until else StageDeadline.due_at < before]
    if after is not None:
        where.append(StageDeadline.due_at >= after)
    rows = list(session.execute(select(StageDeadline, Ticket).join(Ticket, Ticket.id == StageDeadline.ticket_id)
                                .where(*where).order_by(prioritised(), StageDeadline.due_at, StageDeadline.id)
                                .limit(limit)))
    total = rows and len(rows) == limit and session.scalar(select(func.count()).select_from(StageDeadline)
                                                           .where(*where))
    return rows, total or len(rows)


def record_warnings(session: Session, warnings: list[dict], moments: list[dict]) -> None:
    """The warnings a scan sent and each stage's next moment, written in bulk (executemany, no ORM objects)."""
    if warnings:
        session.execute(insert(WarningSent), warnings)
    if moments:
        session.execute(update(StageDeadline).execution_options(synchronize_session=False), moments)


def warnings_of(session: Session, stage_ids: Sequence[int]) -> dict[int, set[tuple[str, int]]]:
    out: dict[int, set[tuple[str, int]]] = {}
    for start in range(0, len(stage_ids), 500):
        rows = session.execute(select(WarningSent.stage_deadline_id, WarningSent.level, WarningSent.seq)
                               .where(WarningSent.stage_deadline_id.in_(list(stage_ids[start:start + 500]))))
        for stage_id, level, seq in rows:
            out.setdefault(stage_id, set()).add((level, seq))
    return out


def open_fallback_years(session: Session) -> bool:
    return session.scalar(select(StageDeadline.id).where(StageDeadline.open.is_(True),
                                                         StageDeadline.calendar_fallback.is_(True)).limit(1)) is not None
