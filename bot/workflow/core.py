"""What every action of the workflow is made of: the actor, refusals, queued messages, and the step.

An action's guard and effect receive a `Step`: the ticket, the actor, the moment,
the transaction's session, and the few verbs every action uses (queue a message,
open or close a stage deadline, keep evidence). Nothing here knows Telegram.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.deadlines import Deadline
from bot.domain import STAGE_OWNER, TERMINAL_STATUSES, Audience, Role, Stage, Status
from storage import queries
from storage.models import Attachment, Member, StageDeadline, Ticket
from templates import label, text

if TYPE_CHECKING:
    from bot.workflow.engine import Workflow
    from bot.workflow.registry import Action


@dataclass(frozen=True)
class Actor:
    member_id: int | None
    roles: frozenset[tuple[str, int | None]] = frozenset()
    name: str = ""

    @classmethod
    def system(cls) -> Actor:
        """The command line and the importer act as the office."""
        return cls(None, frozenset({(Role.OFFICE.value, None)}), "system")

    @classmethod
    def load(cls, session: Session, member_id: int) -> Actor | None:
        member = session.get(Member, member_id)
        if member is None or not member.active:
            return None
        return cls(member.id, frozenset(queries.member_roles(session, member.id)), member.name)

    def has_role(self, role: str) -> bool:
        return any(r == role for r, _ in self.roles)

    def has(self, role: str, department_id: int | None) -> bool:
        return (str(role), department_id) in self.roles


class Refused(Exception):
    """The command was not carried out; `message` is for the user."""

    def __init__(self, code: str, message: str, **detail):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


def invalid(detail: str) -> Refused:
    return Refused("invalid", text("refusal_invalid", detail=detail))


def missing(items: list[str], group: str = "conformity") -> Refused:
    names = "、".join(label(group, i, i) for i in items)
    return Refused("missing", text("refusal_missing", items=names), missing=items)


def stale(status: str) -> Refused:
    return Refused("stale", text("refusal_stale", status=label("status", status)), status=status)


def require(value: str | None, item: str, group: str = "ticket_field") -> None:
    """A typed field that must not be blank."""
    if not (value or "").strip():
        raise missing([item], group)


@dataclass
class Message:
    audience: str
    template: str
    context: dict
    department_id: int | None = None
    member_id: int | None = None
    urgent: bool = False


@dataclass
class Outcome:
    ok: bool
    action: str
    ticket_id: int | None = None
    internal_no: str | None = None
    from_status: str | None = None
    to_status: str | None = None
    event_id: int | None = None
    messages: list[Message] = field(default_factory=list)
    refusal: Refused | None = None
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class EvidenceIn:
    kind: str
    file_id: str
    file_unique_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    caption: str | None = None
    # the bureau's own copy (bot/services/evidence.py), when the bot could download it
    file_size: int | None = None
    sha256: str | None = None
    stored_path: str | None = None


# Control characters a person cannot mean (NUL is refused by PostgreSQL's text): all but tab and line ends.
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13)) | {127: None}


def clean(value):
    """What people typed, without control characters, in any command, dict, list or tuple of it."""
    if isinstance(value, str):
        return value.translate(_CONTROL)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(clean(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: clean(getattr(value, f.name)) for f in fields(value) if f.init})
    return value


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return value


# Messages any action may queue besides its own: the fallback when nobody holds a role.
ALWAYS_ALLOWED = frozenset({"no_recipient"})


@dataclass
class Step:
    """One action being carried out: read by its guard, written by its effect, in one transaction."""

    workflow: Workflow
    action: Action
    session: Session
    actor: Actor
    ticket: Ticket | None
    now: datetime
    outcome: Outcome

    @property
    def rules(self):
        return self.workflow.rules

    @property
    def calc(self):
        return self.workflow.calc

    def local(self, moment: datetime) -> datetime:
        return self.calc.local(moment)

    # -- messages --

    def _queue(self, message: Message) -> None:
        if message.template not in self.action.queues and message.template not in ALWAYS_ALLOWED:
            raise AssertionError(f"{self.action.name} queues undeclared message {message.template}")
        self.outcome.messages.append(message)

    def _ctx(self, **extra) -> dict:
        t = self.ticket
        return {"ticket_id": t.id, "internal_no": t.internal_no, "channel": t.channel, "kind": t.kind, **extra}

    def to_office(self, template: str, **extra) -> None:
        self._queue(Message(Audience.OFFICE_GROUP, template, self._ctx(**extra), urgent=self.urgent))

    def to_department(self, template: str, **extra) -> None:
        self._queue(Message(Audience.DEPARTMENT_GROUP, template, self._ctx(**extra),
                            department_id=self.ticket.department_id, urgent=self.urgent))

    def to_group(self, department_id: int, template: str, **extra) -> None:
        """To a department's group other than the ticket's own (the one it left, an assisting one)."""
        self._queue(Message(Audience.DEPARTMENT_GROUP, template, self._ctx(**extra), department_id=department_id,
                            urgent=self.urgent))

    def to_member(self, member_id: int, template: str, **extra) -> None:
        self._queue(Message(Audience.MEMBER, template, self._ctx(**extra), member_id=member_id, urgent=self.urgent))

    def to_role(self, role: Role, template: str, department_id: int | None = None, **extra) -> None:
        """To every member holding the role; to the office when nobody does, so nothing waits unseen."""
        members = queries.members_with_role(self.session, role.value, department_id)
        for member in members:
            self.to_member(member.id, template, **extra)
        if not members:
            self.to_office("no_recipient", role=role.value, waiting=template)

    @property
    def urgent(self) -> bool:
        return self.workflow.is_urgent(self.ticket)

    # -- stage deadlines --

    def overall(self) -> Deadline | None:
        t = self.ticket
        if t.overall_due_at is None:
            return None
        years = (t.overall_due_at.year,) if t.calendar_fallback else ()
        rule = self.rules.overall_rule(t.channel, t.kind)
        return Deadline(self.local(t.overall_due_at), rule.describe() if rule else "overall", years)

    def open_stage(self, stage: Stage, event_at: datetime) -> StageDeadline | None:
        """The stage's deadline row, by its rule from `event_at`; while the ticket is open, capped at its
        办结时效 (SPEC §9.2: 规程 二(二)2「其他工单在办结时效内」). A closed ticket's after-care (a report
        on a dissatisfied follow-up, 规程 三(三)4) is past its 办结 and keeps its own rule."""
        t = self.ticket
        deadline = self.calc.stage(stage, t.channel, t.kind, event_at, self.overall(),
                                   cap=t.status not in TERMINAL_STATUSES)
        if deadline is None:
            return None
        row = StageDeadline(
            ticket_id=t.id,
            stage=stage.value,
            department_id=t.department_id if STAGE_OWNER[stage] == "department" else None,
            started_at=utc(event_at),
            due_at=utc(deadline.due_at),
            rule=deadline.rule,
            capped=deadline.capped,
            calendar_fallback=deadline.calendar_fallback,
            urgent=self.urgent,
        )
        self.session.add(row)
        return row

    def close_stages(self, stages: list[Stage] | None, cancel: bool = False) -> list[str]:
        """Close the ticket's open stages (all of them when `stages` is None), as done or cancelled."""
        closed = []
        for row in queries.open_stages(self.session, self.ticket.id, [str(s) for s in stages] if stages else None):
            row.open = False
            if cancel:
                row.cancelled_at = self.now
            else:
                row.completed_at = self.now
            closed.append(row.stage)
        return closed

    def reopen_stage(self, stage: Stage) -> None:
        row = queries.latest_stage(self.session, self.ticket.id, stage.value)
        if row is not None:
            row.open, row.completed_at, row.cancelled_at = True, None, None

    def reply_stage(self) -> StageDeadline | None:
        stages = queries.open_stages(self.session, self.ticket.id, [Stage.REPLY.value])
        return stages[-1] if stages else None

    def due(self, row: StageDeadline | None) -> datetime | None:
        return self.local(row.due_at) if row is not None else None

    def close_ticket(self, template: str | None = "closed") -> None:
        """The end of the road: every open stage done, the ticket closed, the department told."""
        self.close_stages(None)
        self.ticket.closed_at = self.now
        if template:
            self.to_department(template)

    # -- evidence --

    def add_evidence(self, evidence, purpose: str, owner_id: int | None) -> list[int]:
        ids = []
        for item in evidence:
            row = Attachment(ticket_id=self.ticket.id, purpose=purpose, owner_id=owner_id,
                             uploaded_by_id=self.actor.member_id, uploaded_at=self.now, **asdict(item))
            self.session.add(row)
            self.session.flush()
            ids.append(row.id)
        return ids


# --- groups of ticket statuses the actions start from -----------------------

ALL_STATUSES = frozenset(Status)
OPEN = frozenset(ALL_STATUSES - TERMINAL_STATUSES)
# with its department (for the parallel tasks)
WITH_DEPARTMENT = frozenset({Status.ACCEPTED, Status.REPLY_DRAFTED, Status.DEPT_REPLIED})
OPEN_WITH_DEPARTMENT = frozenset(OPEN - {Status.RECEIVED})
AFTER_ACCEPTANCE = frozenset(OPEN - {Status.RECEIVED, Status.DISPATCHED, Status.RETURN_REQUESTED,
                                     Status.RETURN_APPROVED})
# once a department has had it, until it was returned
EVER_DISPATCHED = frozenset(ALL_STATUSES - {Status.RECEIVED, Status.RETURNED})
