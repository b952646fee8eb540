"""Leases: one process at a time holds a duty, by compare-and-set on one row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.models import Lease


def insert_ignoring(session: Session, model, rows: list[dict], key: str) -> None:
    """INSERT … ON CONFLICT DO NOTHING, on either database."""
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(model).values(rows).on_conflict_do_nothing(index_elements=[key]))


def take_lease(session: Session, name: str, holder: str, now: datetime, until: datetime) -> bool:
    """Hold (or renew) the lease until `until`: True when it is free, run out, or already ours."""
    insert_ignoring(session, Lease, [{"name": name, "holder": holder, "until": now}], "name")
    result = session.execute(update(Lease).where(Lease.name == name, or_(Lease.holder == holder, Lease.until <= now))
                             .values(holder=holder, until=until))
    return result.rowcount == 1


def release_lease(session: Session, name: str, holder: str, now: datetime) -> None:
    session.execute(update(Lease).where(Lease.name == name, Lease.holder == holder).values(until=now))
