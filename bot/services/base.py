"""What every service shares: the database, the rules, the clock, the audit trail and the outbox queue.

A service method is one use case in one transaction (`with self.db.session()`),
and what it returns is plain data: ids, strings, dataclasses, or frozen copies
of rows (`snapshot`) that no longer belong to any session.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, SQLModel

from bot.deadlines import DeadlineCalculator
from bot.domain import Role
from bot.evidence import evidence_rows
from bot.rules import Rules
from bot.views import ticket_view
from bot.workflow import Actor, Workflow, jsonable
from storage import queries
from storage.db import Database
from storage.models import Outbox, Ticket, TicketEvent
from templates import render


class Service:
    def __init__(self, db: Database, rules: Rules, calc: DeadlineCalculator, workflow: Workflow, files_dir: Path):
        self.db = db
        self.rules = rules
        self.calc = calc
        self.workflow = workflow
        self.files_dir = files_dir

    def now(self) -> datetime:
        return self.workflow.now()

    def _audit(self, session: Session, actor: Actor | None, action: str, ticket_id: int | None = None,
               **payload) -> TicketEvent:
        event = TicketEvent(ticket_id=ticket_id, actor_id=actor.member_id if actor else None, at=self.now(),
                            action=action, payload=jsonable(payload))
        session.add(event)
        session.flush()
        return event

    def _queue(self, session: Session, event: TicketEvent, audience: str, template: str, context: dict,
               member_id: int | None = None, department_id: int | None = None, ticket_id: int | None = None,
               dedupe_key: str | None = None) -> None:
        if dedupe_key and queries.outbox_with_key(session, dedupe_key) is not None:
            return
        session.add(Outbox(ticket_id=ticket_id, event_id=event.id, audience=audience, template=template,
                           context=jsonable(context), member_id=member_id, department_id=department_id,
                           created_at=event.at, next_attempt_at=event.at, dedupe_key=dedupe_key))

    def _ticket_text(self, session: Session, actor: Actor | None, ticket: Ticket, private_chat: bool,
                     template: str = "ticket_detail", **extra) -> str | None:
        """The ticket as the asker may see it here (None: not at all); a view of full details is audited."""
        if not may_see(actor, ticket):
            return None
        full = private_chat and may_see_full(actor, ticket)
        if full:
            self._audit(session, actor, "view_full", ticket.id, template=template)
        view = ticket_view(session, ticket, self.calc, full)
        reply = queries.current_reply(session, ticket.id)
        shown = {k: getattr(reply, k) for k in REPLY_FIELDS} if reply is not None else None
        if full and template == "ticket_detail":  # the evidence the bureau keeps, by name and SHA-256
            extra.setdefault("evidence", evidence_rows(queries.attachments_of(session, ticket.id)))
        return render(template, t=view, reply=shown, **extra)


# -- who may see a ticket (SPEC §7) --

def may_see_full(actor: Actor | None, ticket) -> bool:
    """Full details only to the assigned handler, the office and the leaders."""
    if actor is None:
        return False
    if actor.has_role(Role.OFFICE) or actor.has_role(Role.PETITION_LEADER) or actor.has_role(Role.MAIN_LEADER):
        return True
    if actor.has(Role.BUSINESS_LEADER, ticket.department_id):
        return True
    return actor.has(Role.HANDLER, ticket.department_id) and ticket.handler_id in (None, actor.member_id)


def may_see(actor: Actor | None, ticket) -> bool:
    if actor is None:
        return False
    return may_see_full(actor, ticket) or actor.has(Role.HANDLER, ticket.department_id)


REPLY_FIELDS = ("round", "status", "template", "contact_time", "contact_manner", "verified_by", "site_visit",
                "fact_finding", "fact_note", "demand_assessment", "demand_note", "basis", "points", "summary",
                "letter", "result", "acceptance", "satisfaction", "leader_comment", "review_reasons")


# -- rows as plain data --

@cache
def _frozen_type(model: type[SQLModel]) -> type:
    columns = [column.name for column in model.__table__.columns]
    return dataclasses.make_dataclass(f"{model.__name__}Data", [(name, Any) for name in columns], frozen=True)


def snapshot(row: SQLModel | None):
    """A frozen copy of a row's columns (same attribute names), safe to use after its session is gone."""
    if row is None:
        return None
    kind = _frozen_type(type(row))
    return kind(**{f.name: getattr(row, f.name) for f in dataclasses.fields(kind)})
