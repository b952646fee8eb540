"""The engine: one command, one transaction — who, from which status, the guard, the effect, the trail.

`Workflow.execute(session, actor, command)` looks the command's action up by
type, checks the actor's role and department and the ticket's status (and the
action's side machine), runs the guard, compares-and-sets the status, runs the
effect, writes the audit event and queues the messages in the outbox, all in
the caller's transaction. `Workflow.handle(db, actor, command)` wraps that in
one transaction and records a refusal in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlmodel import Session

from bot.deadlines import DeadlineCalculator
from bot.rules import Rules
from bot.workflow.core import Actor, Outcome, Refused, Step, clean, invalid, jsonable, stale, utc
from bot.workflow.registry import BY_NAME, Action, action_of
from storage import queries
from storage.models import Outbox, Ticket, TicketEvent
from templates import label, text


class Workflow:
    def __init__(self, rules: Rules, calc: DeadlineCalculator, clock: Callable[[], datetime] | None = None):
        self.rules = rules
        self.calc = calc
        self.clock = clock or (lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return utc(self.clock())

    def is_urgent(self, ticket: Ticket) -> bool:
        return ticket.emergency or (ticket.kind in self.rules.flag("workflow", "urgent_kinds"))

    # -- entry points --

    def handle(self, db, actor: Actor | None, command) -> Outcome:
        """Run a command in its own transaction; a refusal is rolled back and audited."""
        try:
            with db.session() as session:
                return self.execute(session, actor, command)
        except Refused as refusal:
            name = action_of(command).name
            with db.session() as session:
                ticket_id = getattr(command, "ticket_id", None)
                if ticket_id is not None and queries.ticket(session, ticket_id) is None:
                    ticket_id = None
                session.add(TicketEvent(
                    ticket_id=ticket_id, actor_id=actor.member_id if actor else None, at=self.now(),
                    action="refused",
                    payload={"command": name, "code": refusal.code, "message": refusal.message,
                             **jsonable(refusal.detail)},
                ))
            return Outcome(ok=False, action=name, ticket_id=getattr(command, "ticket_id", None), refusal=refusal)

    def execute(self, session: Session, actor: Actor | None, command) -> Outcome:
        action = action_of(command)
        command = clean(command)
        if actor is None:
            raise Refused("not_member", text("refusal_not_member"))
        now = self.now()
        if action.creates:
            authorise(actor, action, None)
            step = Step(self, action, session, actor, None, now, Outcome(ok=True, action=action.name))
            action.guard(step, command)
            payload = action.effect(step, command) or {}
            return self._record(step, None, payload)
        ticket = self._preflight(session, actor, action, command.ticket_id)
        before = ticket.status
        after = action.target_for(ticket.channel, before)
        outcome = Outcome(ok=True, action=action.name, ticket_id=ticket.id, internal_no=ticket.internal_no,
                          from_status=before, to_status=after)
        step = Step(self, action, session, actor, ticket, now, outcome)
        action.guard(step, command)
        if not queries.compare_and_set_status(session, ticket, after, now):
            raise stale(queries.current_status(session, ticket.id) or before)
        payload = action.effect(step, command) or {}
        if action.sub is not None:
            session.flush()
            landed = action.sub.machine.state(session, ticket.id)
            if landed != action.sub.target:
                raise AssertionError(f"{action.name} left the {action.sub.machine.name} {landed}, "
                                     f"declared {action.sub.target}")
        return self._record(step, before, payload)

    def check(self, session: Session, actor: Actor | None, name: str, ticket_id: int,
              command=None) -> Refused | None:
        """Would this actor be allowed this action on the ticket now? (before asking them to type; with the
        command, its guard is asked too — guards only read)"""
        if actor is None:
            return Refused("not_member", text("refusal_not_member"))
        action = BY_NAME[name]
        try:
            ticket = self._preflight(session, actor, action, ticket_id)
            step = Step(self, action, session, actor, ticket, self.now(), Outcome(ok=True, action=name))
            if action.ready is not None:  # what can refuse before anything is typed (a deadline passed)
                action.ready(step)
            if command is not None:
                action.guard(step, command)
        except Refused as refusal:
            return refusal
        return None

    # -- the parts every action shares --

    def _preflight(self, session: Session, actor: Actor, action: Action, ticket_id: int) -> Ticket:
        ticket = queries.ticket(session, ticket_id)
        if ticket is None:
            raise Refused("not_found", text("refusal_not_found"))
        authorise(actor, action, ticket)
        if action.channels is not None and ticket.channel not in action.channels:
            raise Refused("channel", text("refusal_channel", channel=label("channel", ticket.channel)))
        if ticket.status not in action.sources:
            raise stale(ticket.status)
        sub = action.sub
        if sub is not None and sub.machine.state(session, ticket.id) not in sub.sources:
            raise invalid(text(sub.refusal)) if sub.refusal else stale(ticket.status)
        return ticket

    def _record(self, step: Step, before: str | None, payload: dict) -> Outcome:
        """The audit event and the outbox rows, in the action's transaction."""
        session, ticket, outcome = step.session, step.ticket, step.outcome
        event = TicketEvent(ticket_id=ticket.id, actor_id=step.actor.member_id, at=step.now,
                            action=step.action.name, from_status=before, to_status=outcome.to_status,
                            payload=jsonable(payload))
        session.add(event)
        session.flush()
        outcome.event_id = event.id
        for message in outcome.messages:
            session.add(Outbox(
                ticket_id=ticket.id, event_id=event.id, audience=str(message.audience),
                department_id=message.department_id, member_id=message.member_id, template=message.template,
                context=jsonable(message.context), urgent=message.urgent, next_attempt_at=event.at,
                created_at=event.at,
            ))
        session.flush()
        return outcome


def authorise(actor: Actor, action: Action, ticket: Ticket | None) -> None:
    role = action.who[0]
    if not any(actor.has_role(r) for r in action.who):
        raise Refused("role", text("refusal_role", role="、".join(label("role", r) for r in action.who)),
                      role=str(role))
    if action.own_department and not actor.has(role, ticket.department_id):
        raise Refused("department", text("refusal_department"), department_id=ticket.department_id)
