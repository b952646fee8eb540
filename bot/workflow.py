"""The workflow state machine (SPEC §4): every transition of the three channels.

`Workflow.execute(session, actor, command)` checks the actor's role and
department, compares-and-sets the ticket's status, moves the stage deadlines,
writes the audit event and queues the messages in the outbox, all in the
caller's one transaction. `Workflow.handle(db, actor, command)` wraps that in
a transaction and records a refusal in the audit log. Nothing here knows
Telegram: messages are (audience, template, context) rows for the outbox, and
their context carries no personal data (the renderer loads and masks it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from bot.deadlines import Deadline, DeadlineCalculator
from bot.domain import (
    LEADER_ROLES,
    STAGE_OWNER,
    TERMINAL_STATUSES,
    Audience,
    Channel,
    ContactStatus,
    NotContactedReason,
    ProblemKind,
    ProblemStatus,
    ReplyStatus,
    ReplyTemplate,
    ReturnInitiator,
    Role,
    Stage,
    Status,
    SupervisionTrigger,
)
from bot.parsing import parse_local_time
from bot.rules import Rules
from storage import queries
from storage.models import (
    Attachment,
    Collaboration,
    DailyReport,
    Department,
    EmergencyAlert,
    Extension,
    FollowUp,
    FormRecord,
    Member,
    Outbox,
    ProblemReport,
    Reply,
    StageDeadline,
    Supervision,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketReturn,
    Visit,
)
from templates import label, labels, text

# --- actors, results, refusals ----------------------------------------------


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


# --- commands ---------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceIn:
    kind: str
    file_id: str
    file_unique_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    caption: str | None = None


@dataclass(frozen=True)
class CreateTicket:
    channel: str
    external_no: str
    received_at: datetime
    content: str
    kind: str | None = None
    citizen_name: str | None = None
    phone: str | None = None
    address: str | None = None
    id_number: str | None = None
    source: str | None = None
    tags: tuple[str, ...] = ()
    city_urged: bool = False
    sensitive: bool = False
    repeat: bool = False
    review: bool = False
    major_threat: bool = False
    emergency: bool = False
    service_category: str | None = None
    handling_class: str | None = None
    business_category: str | None = None
    action = "create"


@dataclass(frozen=True)
class RecordFirstContact:
    ticket_id: int
    contact_status: str
    not_contacted_reason: str | None = None
    note: str | None = None
    contacted_at: datetime | None = None
    action = "record_first_contact"


@dataclass(frozen=True)
class Dispatch:
    ticket_id: int
    department_id: int
    action = "dispatch"


@dataclass(frozen=True)
class OfficeReturn:
    ticket_id: int
    reason: str
    belongs_to: str
    action = "office_return"


@dataclass(frozen=True)
class Accept:
    ticket_id: int
    action = "accept"


@dataclass(frozen=True)
class AskReturn:
    ticket_id: int
    reason: str
    evidence: tuple[EvidenceIn, ...] = ()
    action = "ask_return"


@dataclass(frozen=True)
class ApproveReturn:
    ticket_id: int
    comment: str | None = None
    action = "approve_return"


@dataclass(frozen=True)
class RejectReturn:
    ticket_id: int
    comment: str
    action = "reject_return"


@dataclass(frozen=True)
class CompleteReturn:
    ticket_id: int
    note: str | None = None
    action = "complete_return"


@dataclass(frozen=True)
class SendAcceptanceNotice:
    ticket_id: int
    action = "send_acceptance_notice"


@dataclass(frozen=True)
class RecordDeptContact:
    ticket_id: int
    contacted_at: datetime | None = None
    action = "record_dept_contact"


REPLY_FIELDS = (
    "template", "contact_time", "contact_manner", "verified_by", "site_visit", "fact_finding", "fact_note",
    "demand_assessment", "demand_note", "basis", "points", "summary", "letter", "result", "result_other",
    "acceptance", "satisfaction", "knowledge_ref",
)

CHOICE_FIELDS = {
    "template": "reply_template",
    "contact_manner": "contact_manner",
    "fact_finding": "fact_finding",
    "demand_assessment": "demand_assessment",
    "result": "result",
    "acceptance": "acceptance",
    "satisfaction": "satisfaction",
}


@dataclass(frozen=True)
class SaveReply:
    """Save fields of the department's reply draft (any subset)."""

    ticket_id: int
    values: dict
    evidence: tuple[EvidenceIn, ...] = ()
    action = "save_reply"


@dataclass(frozen=True)
class SubmitReply:
    ticket_id: int
    action = "submit_reply"


@dataclass(frozen=True)
class ApproveReply:
    ticket_id: int
    comment: str | None = None
    action = "approve_reply"


@dataclass(frozen=True)
class RejectReply:
    ticket_id: int
    comment: str
    action = "reject_reply"


@dataclass(frozen=True)
class PassReview:
    ticket_id: int
    action = "pass_review"


@dataclass(frozen=True)
class FailReview:
    ticket_id: int
    reasons: tuple[str, ...]
    action = "fail_review"


@dataclass(frozen=True)
class SubmitApprovalForm:
    ticket_id: int
    values: dict = field(default_factory=dict)
    action = "submit_approval_form"


@dataclass(frozen=True)
class SubmitFinalReply:
    ticket_id: int
    values: dict = field(default_factory=dict)
    action = "submit_final_reply"


@dataclass(frozen=True)
class ApproveSignoff:
    ticket_id: int
    comment: str | None = None
    action = "approve_signoff"


@dataclass(frozen=True)
class RejectSignoff:
    ticket_id: int
    comment: str
    action = "reject_signoff"


@dataclass(frozen=True)
class RecordMail:
    ticket_id: int
    letter_no: str
    action = "record_mail"


@dataclass(frozen=True)
class RecordPlatformReply:
    ticket_id: int
    text: str | None = None
    action = "record_platform_reply"


@dataclass(frozen=True)
class RecordDailyReport:
    """The department's progress on a sensitive ticket today (规程 三(三)3)."""

    ticket_id: int
    text: str
    action = "record_daily_report"


@dataclass(frozen=True)
class ScheduleVisit:
    """The visit to calm a major threat (上门疏导), planned: when (as typed) and who goes."""

    ticket_id: int
    when: str
    visitors: str
    action = "schedule_visit"


@dataclass(frozen=True)
class RecordVisit:
    """The visit to calm a major threat (上门疏导), done."""

    ticket_id: int
    note: str
    action = "record_visit"


@dataclass(frozen=True)
class RequestExtension:
    """The department asks for more working days on its reply deadline (延期), before it passes."""

    ticket_id: int
    working_days: int
    reason: str
    action = "request_extension"


@dataclass(frozen=True)
class ApproveExtension:
    ticket_id: int
    comment: str | None = None
    action = "approve_extension"


@dataclass(frozen=True)
class RejectExtension:
    ticket_id: int
    comment: str
    action = "reject_extension"


@dataclass(frozen=True)
class MarkEmergency:
    """Mark a ticket 应急件 or 重大扬言 after intake; the alert goes out at once."""

    ticket_id: int
    major_threat: bool = False
    action = "mark_emergency"


@dataclass(frozen=True)
class AcknowledgeEmergency:
    ticket_id: int
    action = "acknowledge_emergency"


@dataclass(frozen=True)
class RecordFollowUp:
    """The city or district follow-up result of a closed ticket (回访)."""

    ticket_id: int
    level: str  # city | district
    result: str  # satisfied | dissatisfied | acknowledged | not_rated
    note: str | None = None
    action = "record_follow_up"


@dataclass(frozen=True)
class RequestRepeatClosure:
    """The office asks the department to prove a repeat ticket not factual, to apply to close it."""

    ticket_id: int
    action = "request_repeat_closure"


@dataclass(frozen=True)
class SubmitProblemReport:
    ticket_id: int
    reasons: str
    work_done: str
    evidence: tuple[EvidenceIn, ...] = ()
    action = "submit_problem_report"


@dataclass(frozen=True)
class SignProblemReport:
    ticket_id: int
    action = "sign_problem_report"


@dataclass(frozen=True)
class ReturnProblemReport:
    ticket_id: int
    comment: str
    action = "return_problem_report"


@dataclass(frozen=True)
class VerifyProblemReport:
    ticket_id: int
    note: str | None = None
    action = "verify_problem_report"


@dataclass(frozen=True)
class LinkTickets:
    ticket_id: int
    other_id: int
    action = "link_tickets"


@dataclass(frozen=True)
class UnlinkTickets:
    ticket_id: int
    other_id: int
    action = "unlink_tickets"


@dataclass(frozen=True)
class ProposeSupervision:
    """A leader's instruction (or the office) makes a ticket a 督办件 to be created."""

    ticket_id: int
    instruction: str
    trigger: str = "leader_instruction"
    action = "propose_supervision"


@dataclass(frozen=True)
class CreateSupervision:
    ticket_id: int
    action = "create_supervision"


@dataclass(frozen=True)
class ReplySupervision:
    ticket_id: int
    text: str
    action = "reply_supervision"


@dataclass(frozen=True)
class RecordCollaboration:
    """协同件 (办法 第十八条): the ticket is coordinated with another body (who, how); recorded when."""

    ticket_id: int
    body: str
    method: str = ""
    action = "record_collaboration"


@dataclass(frozen=True)
class HandBack:
    """协同件 that cannot be coordinated: handed back to 12345 with the reason (办法 第十八条)."""

    ticket_id: int
    reason: str
    action = "hand_back"


# --- the transition table ---------------------------------------------------

ANY = None  # every channel

# Statuses in which a ticket is with its department (for the parallel tasks).
WITH_DEPARTMENT = frozenset({Status.ACCEPTED, Status.REPLY_DRAFTED, Status.DEPT_REPLIED})
OPEN_WITH_DEPARTMENT = frozenset(set(Status) - TERMINAL_STATUSES - {Status.RECEIVED})
AFTER_ACCEPTANCE = frozenset(set(Status) - TERMINAL_STATUSES - {Status.RECEIVED, Status.DISPATCHED,
                                                                 Status.RETURN_REQUESTED, Status.RETURN_APPROVED})


@dataclass(frozen=True)
class Transition:
    role: Role | tuple[Role, ...]
    sources: frozenset[str]
    target: dict[str | None, str] | str | None  # None: the status does not change
    channels: frozenset[str] | None = ANY
    department_scoped: bool = False

    def target_for(self, channel: str, current: str) -> str:
        if self.target is None:
            return current
        if isinstance(self.target, str):
            return self.target
        return self.target.get(channel) or self.target[ANY]


def _t(role, sources, target=None, channels=ANY, scoped=False) -> Transition:
    sources = frozenset({sources} if isinstance(sources, str) else sources)
    return Transition(role, sources, target, frozenset(channels) if channels else ANY, scoped)


P, H, N = Channel.PETITION.value, Channel.HOTLINE_12345.value, Channel.HOTLINE_962200.value

TRANSITIONS: dict[str, Transition] = {
    "record_first_contact": _t(Role.OFFICE, {Status.RECEIVED, Status.DISPATCHED}),
    "dispatch": _t(Role.OFFICE, Status.RECEIVED, Status.DISPATCHED),
    "office_return": _t(Role.OFFICE, Status.RECEIVED, Status.RETURN_APPROVED),
    "accept": _t(Role.HANDLER, Status.DISPATCHED, Status.ACCEPTED, scoped=True),
    "ask_return": _t(Role.HANDLER, {Status.DISPATCHED, Status.ACCEPTED}, Status.RETURN_REQUESTED, scoped=True),
    "approve_return": _t(Role.BUSINESS_LEADER, Status.RETURN_REQUESTED, Status.RETURN_APPROVED, scoped=True),
    "reject_return": _t(Role.BUSINESS_LEADER, Status.RETURN_REQUESTED, Status.ACCEPTED, scoped=True),
    "complete_return": _t(Role.OFFICE, Status.RETURN_APPROVED, Status.RETURNED),
    "send_acceptance_notice": _t(Role.OFFICE, AFTER_ACCEPTANCE, channels={P}),
    "record_dept_contact": _t(Role.HANDLER, WITH_DEPARTMENT, scoped=True),
    "save_reply": _t(Role.HANDLER, Status.ACCEPTED, scoped=True),
    "submit_reply": _t(Role.HANDLER, Status.ACCEPTED, Status.REPLY_DRAFTED, scoped=True),
    "approve_reply": _t(Role.BUSINESS_LEADER, Status.REPLY_DRAFTED, Status.DEPT_REPLIED, scoped=True),
    "reject_reply": _t(Role.BUSINESS_LEADER, Status.REPLY_DRAFTED, Status.ACCEPTED, scoped=True),
    "pass_review": _t(Role.OFFICE, Status.DEPT_REPLIED,
                      {P: Status.FINAL_REPLY, H: Status.APPROVAL_FORM, N: Status.PLATFORM_REPLY}),
    "fail_review": _t(Role.OFFICE, Status.DEPT_REPLIED, Status.ACCEPTED),
    "submit_approval_form": _t(Role.OFFICE, Status.APPROVAL_FORM, Status.LEADER_SIGNOFF, channels={H}),
    "submit_final_reply": _t(Role.OFFICE, Status.FINAL_REPLY, Status.LEADER_SIGNOFF, channels={P}),
    "approve_signoff": _t(Role.PETITION_LEADER, Status.LEADER_SIGNOFF,
                          {P: Status.AWAITING_MAIL, H: Status.PLATFORM_REPLY}, channels={P, H}),
    "reject_signoff": _t(Role.PETITION_LEADER, Status.LEADER_SIGNOFF,
                         {P: Status.FINAL_REPLY, H: Status.APPROVAL_FORM}, channels={P, H}),
    "record_mail": _t(Role.OFFICE, Status.AWAITING_MAIL, Status.CLOSED, channels={P}),
    "record_daily_report": _t(Role.HANDLER, OPEN_WITH_DEPARTMENT, scoped=True),
    "mark_emergency": _t(Role.OFFICE, OPEN_WITH_DEPARTMENT | {Status.RECEIVED}),
    "acknowledge_emergency": _t((Role.OFFICE, *LEADER_ROLES),
                                OPEN_WITH_DEPARTMENT | {Status.RECEIVED} | TERMINAL_STATUSES),
    "record_follow_up": _t(Role.OFFICE, Status.CLOSED),
    "request_repeat_closure": _t(Role.OFFICE, OPEN_WITH_DEPARTMENT - {Status.DISPATCHED}),
    "submit_problem_report": _t(Role.HANDLER, set(Status) - {Status.RECEIVED, Status.RETURNED}, scoped=True),
    "sign_problem_report": _t(Role.BUSINESS_LEADER, set(Status) - {Status.RECEIVED, Status.RETURNED}, scoped=True),
    "return_problem_report": _t(Role.BUSINESS_LEADER, set(Status) - {Status.RECEIVED, Status.RETURNED},
                                scoped=True),
    "verify_problem_report": _t(Role.OFFICE, set(Status) - {Status.RECEIVED, Status.RETURNED}),
    "link_tickets": _t(Role.OFFICE, set(Status)),
    "unlink_tickets": _t(Role.OFFICE, set(Status)),
    "propose_supervision": _t((*LEADER_ROLES, Role.OFFICE),
                              set(Status) - {Status.RECEIVED, Status.RETURNED}),
    "create_supervision": _t(Role.OFFICE, set(Status) - {Status.RECEIVED, Status.RETURNED}),
    "reply_supervision": _t(Role.HANDLER, set(Status) - {Status.RECEIVED, Status.RETURNED}, scoped=True),
    "record_collaboration": _t(Role.OFFICE, OPEN_WITH_DEPARTMENT | {Status.RECEIVED}),
    "hand_back": _t(Role.OFFICE, OPEN_WITH_DEPARTMENT | {Status.RECEIVED}, Status.RETURNED, channels={H}),
    "request_extension": _t(Role.HANDLER, WITH_DEPARTMENT | {Status.DISPATCHED}, scoped=True),
    "approve_extension": _t(Role.BUSINESS_LEADER, WITH_DEPARTMENT | {Status.DISPATCHED}, scoped=True),
    "reject_extension": _t(Role.BUSINESS_LEADER, WITH_DEPARTMENT | {Status.DISPATCHED}, scoped=True),
    "record_visit": _t(Role.OFFICE, OPEN_WITH_DEPARTMENT),
    "schedule_visit": _t(Role.OFFICE, OPEN_WITH_DEPARTMENT),
    "record_platform_reply": _t(Role.OFFICE, Status.PLATFORM_REPLY, Status.CLOSED, channels={H, N}),
}

# The department's reply must carry these before it goes to the leader.
REPLY_REQUIRED = ("template", "contact_time", "contact_manner", "fact_finding", "result")
# 规程 三(二): the elements the office checks before passing a reply.
CONFORMITY_ITEMS = ("department", "handler", "contact_time", "fact_finding", "basis", "result", "contact_manner",
                    "satisfaction")


def conformity_missing(ticket: Ticket, reply: Reply | None) -> list[str]:
    """What the reply lacks of the 办结规范 (规程 三(二)), as codes of labels.conformity."""
    if reply is None:
        return list(CONFORMITY_ITEMS)
    present = {
        "department": ticket.department_id is not None,
        "handler": (reply.author_id or ticket.handler_id) is not None,
        "contact_time": reply.contact_time is not None,
        "fact_finding": bool(reply.fact_finding),
        "basis": bool((reply.basis or "").strip()) or bool(reply.points),
        "result": bool(reply.result),
        "contact_manner": bool(reply.contact_manner),
        "satisfaction": bool(reply.satisfaction),
    }
    return [item for item in CONFORMITY_ITEMS if not present[item]]


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# --- the engine -------------------------------------------------------------


class Workflow:
    def __init__(self, rules: Rules, calc: DeadlineCalculator, clock: Callable[[], datetime] | None = None):
        self.rules = rules
        self.calc = calc
        self.clock = clock or (lambda: datetime.now(UTC))
        self._handlers: dict[str, Callable] = {
            name[len("_do_"):]: getattr(self, name) for name in dir(self) if name.startswith("_do_")
        }

    def now(self) -> datetime:
        return _utc(self.clock())

    # -- entry points --

    def handle(self, db, actor: Actor | None, command) -> Outcome:
        """Run a command in its own transaction; a refusal is rolled back and audited."""
        try:
            with db.session() as session:
                return self.execute(session, actor, command)
        except Refused as refusal:
            with db.session() as session:
                event = TicketEvent(
                    ticket_id=self._existing_ticket_id(session, command),
                    actor_id=actor.member_id if actor else None,
                    at=self.now(),
                    action="refused",
                    payload={"command": command.action, "code": refusal.code, "message": refusal.message,
                             **jsonable(refusal.detail)},
                )
                session.add(event)
            return Outcome(ok=False, action=command.action, ticket_id=getattr(command, "ticket_id", None),
                           refusal=refusal)

    def execute(self, session: Session, actor: Actor | None, command) -> Outcome:
        if actor is None:
            raise Refused("not_member", text("refusal_not_member"))
        if isinstance(command, CreateTicket):
            return self._create(session, actor, command)
        transition = TRANSITIONS[command.action]
        ticket = self._preflight(session, actor, transition, command.ticket_id)
        before = ticket.status
        after = transition.target_for(ticket.channel, before)
        now = self.now()
        outcome = Outcome(ok=True, action=command.action, ticket_id=ticket.id, internal_no=ticket.internal_no,
                          from_status=before, to_status=after)
        # Validation that needs no write comes first, then the compare-and-set, then the effects.
        prepare = getattr(self, f"_check_{command.action}", None)
        if prepare:
            prepare(session, actor, ticket, command)
        if not queries.compare_and_set_status(session, ticket, after, now):
            raise self._stale(queries.current_status(session, ticket.id) or before)
        payload = self._handlers[command.action](session, actor, ticket, command, now, outcome) or {}
        event = self._event(session, ticket, actor, command.action, before, after, now, payload)
        outcome.event_id = event.id
        self._flush_messages(session, ticket, event, outcome)
        return outcome

    def _preflight(self, session: Session, actor: Actor, transition: Transition, ticket_id: int) -> Ticket:
        ticket = queries.ticket(session, ticket_id)
        if ticket is None:
            raise Refused("not_found", text("refusal_not_found"))
        self._authorise(actor, transition, ticket)
        if transition.channels is not ANY and ticket.channel not in transition.channels:
            raise Refused("channel", text("refusal_channel", channel=label("channel", ticket.channel)))
        if ticket.status not in transition.sources:
            raise self._stale(ticket.status)
        return ticket

    def check(self, session: Session, actor: Actor | None, action: str, ticket_id: int) -> Refused | None:
        """Would this actor be allowed this action on the ticket now? (before asking them to type)"""
        if actor is None:
            return Refused("not_member", text("refusal_not_member"))
        try:
            self._preflight(session, actor, TRANSITIONS[action], ticket_id)
        except Refused as refusal:
            return refusal
        return None

    # -- helpers --

    @staticmethod
    def _existing_ticket_id(session: Session, command) -> int | None:
        ticket_id = getattr(command, "ticket_id", None)
        return ticket_id if ticket_id is not None and queries.ticket(session, ticket_id) else None

    @staticmethod
    def _stale(status: str) -> Refused:
        return Refused("stale", text("refusal_stale", status=label("status", status)), status=status)

    @staticmethod
    def _authorise(actor: Actor, transition: Transition, ticket: Ticket) -> None:
        roles = transition.role if isinstance(transition.role, tuple) else (transition.role,)
        role = roles[0]
        if not any(actor.has_role(r) for r in roles):
            raise Refused("role", text("refusal_role", role="、".join(label("role", r) for r in roles)),
                          role=str(role))
        if transition.department_scoped and not actor.has(role, ticket.department_id):
            raise Refused("department", text("refusal_department"), department_id=ticket.department_id)

    @staticmethod
    def _invalid(detail: str) -> Refused:
        return Refused("invalid", text("refusal_invalid", detail=detail))

    @staticmethod
    def _missing(items: list[str], group: str = "conformity") -> Refused:
        names = "、".join(label(group, i, i) for i in items)
        return Refused("missing", text("refusal_missing", items=names), missing=items)

    def _event(self, session, ticket, actor, action, before, after, now, payload) -> TicketEvent:
        event = TicketEvent(ticket_id=ticket.id, actor_id=actor.member_id, at=now, action=action,
                            from_status=before, to_status=after, payload=jsonable(payload))
        session.add(event)
        session.flush()
        return event

    def _is_urgent(self, ticket: Ticket) -> bool:
        return ticket.emergency or (ticket.kind in self.rules.flag("workflow", "urgent_kinds"))

    def _overall(self, ticket: Ticket) -> Deadline | None:
        if ticket.overall_due_at is None:
            return None
        years = (ticket.overall_due_at.year,) if ticket.calendar_fallback else ()
        rule = self.rules.overall_rule(ticket.channel, ticket.kind)
        return Deadline(self.calc.local(ticket.overall_due_at), rule.describe() if rule else "overall", years)

    def _open_stage(self, session, ticket: Ticket, stage: Stage, event_at: datetime) -> StageDeadline | None:
        deadline = self.calc.stage(stage, ticket.channel, ticket.kind, event_at, self._overall(ticket))
        if deadline is None:
            return None
        owner = STAGE_OWNER[stage]
        row = StageDeadline(
            ticket_id=ticket.id,
            stage=stage.value,
            department_id=ticket.department_id if owner == "department" else None,
            started_at=_utc(event_at),
            due_at=_utc(deadline.due_at),
            rule=deadline.rule,
            calendar_fallback=deadline.calendar_fallback,
            urgent=self._is_urgent(ticket),
        )
        session.add(row)
        return row

    @staticmethod
    def _close_stages(session, ticket: Ticket, stages, now: datetime, cancel: bool = False) -> list[str]:
        closed = []
        for row in queries.open_stages(session, ticket.id, [str(s) for s in stages] if stages else None):
            row.open = False
            if cancel:
                row.cancelled_at = now
            else:
                row.completed_at = now
            closed.append(row.stage)
        return closed

    @staticmethod
    def _reopen_stage(session, ticket: Ticket, stage: Stage) -> None:
        row = queries.latest_stage(session, ticket.id, stage.value)
        if row is not None:
            row.open, row.completed_at, row.cancelled_at = True, None, None

    def _due(self, row: StageDeadline | None) -> datetime | None:
        return self.calc.local(row.due_at) if row is not None else None

    def _ctx(self, ticket: Ticket, **extra) -> dict:
        return {"ticket_id": ticket.id, "internal_no": ticket.internal_no, "channel": ticket.channel,
                "kind": ticket.kind, **extra}

    def _to_office(self, outcome: Outcome, ticket: Ticket, template: str, **extra) -> None:
        outcome.messages.append(Message(Audience.OFFICE_GROUP, template, self._ctx(ticket, **extra),
                                        urgent=self._is_urgent(ticket)))

    def _to_department(self, outcome: Outcome, ticket: Ticket, template: str, **extra) -> None:
        outcome.messages.append(Message(Audience.DEPARTMENT_GROUP, template, self._ctx(ticket, **extra),
                                        department_id=ticket.department_id, urgent=self._is_urgent(ticket)))

    def _to_member(self, outcome: Outcome, ticket: Ticket, member_id: int, template: str, **extra) -> None:
        outcome.messages.append(Message(Audience.MEMBER, template, self._ctx(ticket, **extra), member_id=member_id,
                                        urgent=self._is_urgent(ticket)))

    def _to_role(self, session, outcome: Outcome, ticket: Ticket, role: Role, template: str,
                 department_id: int | None = None, **extra) -> None:
        """To every member holding the role; to the office when nobody does, so nothing waits unseen."""
        members = queries.members_with_role(session, role.value, department_id)
        for member in members:
            self._to_member(outcome, ticket, member.id, template, **extra)
        if not members:
            self._to_office(outcome, ticket, "no_recipient", role=role.value, waiting=template)

    def _flush_messages(self, session, ticket: Ticket | None, event: TicketEvent, outcome: Outcome) -> None:
        for message in outcome.messages:
            session.add(Outbox(
                ticket_id=ticket.id if ticket else None,
                event_id=event.id,
                audience=str(message.audience),
                department_id=message.department_id,
                member_id=message.member_id,
                template=message.template,
                context=jsonable(message.context),
                urgent=message.urgent,
                next_attempt_at=event.at,
                created_at=event.at,
            ))
        session.flush()

    def _add_evidence(self, session, actor, ticket, evidence, purpose: str, owner_id: int | None, now) -> list[int]:
        ids = []
        for item in evidence:
            row = Attachment(ticket_id=ticket.id, purpose=purpose, owner_id=owner_id, uploaded_by_id=actor.member_id,
                             uploaded_at=now, **asdict(item))
            session.add(row)
            session.flush()
            ids.append(row.id)
        return ids

    # -- intake --

    def _validate_create(self, c: CreateTicket) -> None:
        channels = {ch.value for ch in Channel}
        if c.channel not in channels:
            raise self._invalid(f"channel {c.channel}")
        if not (c.external_no or "").strip():
            raise self._missing(["external_no"], "ticket_field")
        if not (c.content or "").strip():
            raise self._missing(["content"], "ticket_field")
        kinds = self.rules.kinds(c.channel)
        if kinds and c.kind not in kinds:
            raise self._missing(["kind"], "ticket_field")
        if not kinds and c.kind is not None:
            raise self._invalid(f"kind {c.kind}")
        if c.received_at.tzinfo is None:
            raise self._invalid("received_at")

    def _create(self, session: Session, actor: Actor, c: CreateTicket) -> Outcome:
        if not actor.has_role(Role.OFFICE):
            raise Refused("role", text("refusal_role", role=label("role", Role.OFFICE)), role=Role.OFFICE.value)
        self._validate_create(c)
        existing = queries.ticket_by_external(session, c.channel, c.external_no.strip())
        if existing is not None:
            raise Refused("duplicate", text("refusal_duplicate", internal_no=existing.internal_no),
                          internal_no=existing.internal_no, ticket_id=existing.id)
        now = self.now()
        local_now = self.calc.local(now)
        seq = queries.next_internal_number(session, local_now.year)
        overall = self.calc.overall(c.channel, c.kind, c.received_at)
        values = {f.name: getattr(c, f.name) for f in fields(c)}
        values["tags"] = list(c.tags)
        values["external_no"] = c.external_no.strip()
        values["received_at"] = _utc(c.received_at)
        values["sensitive"] = c.sensitive or c.major_threat or c.kind in self.rules.flag("workflow", "sensitive_kinds")
        ticket = Ticket(
            **values,
            internal_no=f"{self.rules.internal_number_prefix}-{local_now.year}-{seq:06d}",
            status=Status.RECEIVED.value,
            overall_due_at=_utc(overall.due_at) if overall else None,
            calendar_fallback=bool(overall and overall.calendar_fallback),
            created_by_id=actor.member_id,
            created_at=now,
            updated_at=now,
        )
        session.add(ticket)
        session.flush()
        stages = [self._open_stage(session, ticket, Stage.DISPATCH, c.received_at),
                  self._open_stage(session, ticket, Stage.OVERALL, c.received_at)]
        session.flush()
        if any(s is not None and s.calendar_fallback for s in stages):
            ticket.calendar_fallback = True
        outcome = Outcome(ok=True, action=c.action, ticket_id=ticket.id, internal_no=ticket.internal_no,
                          from_status=None, to_status=ticket.status)
        if ticket.emergency or ticket.major_threat:
            self._raise_alert(session, ticket, actor, now, outcome)
        self._match_repeats(session, ticket, now, outcome)
        event = self._event(session, ticket, actor, c.action, None, ticket.status, now,
                            {"external_no": ticket.external_no, "kind": ticket.kind})
        outcome.event_id = event.id
        outcome.data["dispatch_due"] = stages[0].due_at if stages[0] else None
        self._flush_messages(session, ticket, event, outcome)
        return outcome

    def _match_repeats(self, session, ticket: Ticket, now: datetime, outcome: Outcome) -> None:
        """规程 三(三)5: link earlier tickets of the same citizen, in any channel (phone; name and address;
        or name and similar content)."""
        from bot.knowledge import words

        since = ticket.received_at - timedelta(days=self.rules.flag("workflow", "repeat_window_days"))
        threshold = self.rules.flag("workflow", "repeat_content_similarity")
        mine = set(words(ticket.content))
        found = []
        for other in queries.repeat_candidates(session, ticket, since):
            matched = [key for key in ("phone", "citizen_name", "address")
                       if getattr(ticket, key) and getattr(other, key) == getattr(ticket, key)]
            theirs = set(words(other.content))
            if mine and theirs and len(mine & theirs) / len(mine | theirs) >= threshold:
                matched.append("content")
            if "phone" in matched or {"citizen_name", "address"} <= set(matched) or {"citizen_name", "content"} <= set(
                    matched):
                session.add(TicketLink(ticket_id=ticket.id, related_ticket_id=other.id, matched_on=matched,
                                       created_at=now))
                found.append(other.internal_no)
        if found:
            ticket.repeat = True
            self._to_office(outcome, ticket, "repeat_found", earlier=found)

    def _raise_alert(self, session, ticket: Ticket, actor: Actor, now: datetime, outcome: Outcome) -> None:
        """应急件 / 重大扬言 (办法 第十七条): at once to the office and every leader, to be acknowledged."""
        session.add(EmergencyAlert(ticket_id=ticket.id, raised_at=now, raised_by_id=actor.member_id))
        self._to_office(outcome, ticket, "emergency_alert", round=0)
        for member_id in queries.members_with_any_role(session, [r.value for r in LEADER_ROLES]):
            self._to_member(outcome, ticket, member_id, "emergency_alert", round=0)

    # -- checks before the compare-and-set --

    def _check_record_first_contact(self, session, actor, ticket, c: RecordFirstContact) -> None:
        if c.contact_status not in {s.value for s in ContactStatus}:
            raise self._invalid(f"contact_status {c.contact_status}")
        if c.contact_status == ContactStatus.NOT_CONTACTED:
            if c.not_contacted_reason not in {r.value for r in NotContactedReason}:
                raise self._missing(["not_contacted_reason"], "ticket_field")
            if c.not_contacted_reason == NotContactedReason.OTHER and not (c.note or "").strip():
                raise self._missing(["contact_note"], "ticket_field")

    def _check_dispatch(self, session, actor, ticket, c: Dispatch) -> None:
        department = session.get(Department, c.department_id)
        if department is None or not department.active or department.is_office:
            raise self._invalid(text("refusal_no_department"))
        if ticket.channel in self.rules.flag("workflow", "first_contact_before_dispatch") and not ticket.contact_status:
            raise self._missing(["first_contact"], "ticket_field")

    def _check_office_return(self, session, actor, ticket, c: OfficeReturn) -> None:
        if not c.reason.strip():
            raise self._missing(["return_reason"], "ticket_field")
        if not c.belongs_to.strip():
            raise self._missing(["belongs_to"], "ticket_field")

    def _check_ask_return(self, session, actor, ticket, c: AskReturn) -> None:
        if not c.reason.strip():
            raise self._missing(["return_reason"], "ticket_field")
        if self.rules.flag("workflow", "return_requires_evidence") and not c.evidence:
            raise self._missing(["return_evidence"], "ticket_field")

    def _check_comment(self, session, actor, ticket, c) -> None:
        if not (c.comment or "").strip():
            raise self._missing(["comment"], "ticket_field")

    _check_reject_return = _check_comment
    _check_reject_reply = _check_comment
    _check_reject_signoff = _check_comment

    def _check_send_acceptance_notice(self, session, actor, ticket, c) -> None:
        if ticket.acceptance_notice_sent_at is not None:
            raise self._invalid(text("refusal_already_done"))

    def _check_record_dept_contact(self, session, actor, ticket, c) -> None:
        if ticket.dept_contacted_at is not None:
            raise self._invalid(text("refusal_already_done"))

    def _check_save_reply(self, session, actor, ticket, c: SaveReply) -> None:
        unknown = set(c.values) - set(REPLY_FIELDS)
        if unknown:
            raise self._invalid(f"unknown fields: {', '.join(sorted(unknown))}")
        for key, group in CHOICE_FIELDS.items():
            value = c.values.get(key)
            if value is not None and value not in _choices(group):
                raise self._invalid(f"{key}={value}")

    def _check_submit_reply(self, session, actor, ticket, c) -> None:
        reply = queries.current_reply(session, ticket.id)
        if reply is None or reply.status != ReplyStatus.DRAFT:
            raise self._missing(list(REPLY_REQUIRED), "reply_field")
        missing = [f for f in REPLY_REQUIRED if getattr(reply, f) in (None, "", [], {})]
        if missing:
            raise self._missing(missing, "reply_field")
        self._check_evidence(session, ticket, reply)

    def _check_evidence(self, session, ticket, reply) -> None:
        """规程 三(三)2: 不属实 / 诉求过高 need the work done and supporting evidence before approval."""
        if reply is None or reply.result not in self.rules.flag("workflow", "evidence_required_results"):
            return
        missing = []
        if not (reply.summary or "").strip():
            missing.append("work_done")
        if not queries.attachments_of(session, ticket.id, "reply_evidence"):
            missing.append("evidence")
        if missing:
            raise self._missing(missing, "reply_field")

    def _check_approve_reply(self, session, actor, ticket, c) -> None:
        self._check_evidence(session, ticket, queries.current_reply(session, ticket.id))

    def _check_pass_review(self, session, actor, ticket, c) -> None:
        missing = conformity_missing(ticket, queries.current_reply(session, ticket.id))
        if missing and self.rules.flag("workflow", "review_blocks_on_missing"):
            raise self._missing(missing)

    def _check_fail_review(self, session, actor, ticket, c: FailReview) -> None:
        if not [r for r in c.reasons if r.strip()]:
            raise self._missing(["review_reasons"], "ticket_field")

    def _check_record_follow_up(self, session, actor, ticket, c: RecordFollowUp) -> None:
        if c.level not in ("city", "district") or c.result not in _choices("satisfaction"):
            raise self._invalid(f"{c.level}/{c.result}")
        if c.result == "dissatisfied" and queries.open_problem(session, ticket.id) is not None:
            raise self._invalid(text("refusal_problem_open"))

    def _check_request_repeat_closure(self, session, actor, ticket, c) -> None:
        if not ticket.repeat:
            raise self._invalid(text("refusal_not_repeat"))
        if queries.open_problem(session, ticket.id) is not None:
            raise self._invalid(text("refusal_problem_open"))

    def _problem(self, session, ticket, status: str):
        problem = queries.open_problem(session, ticket.id)
        if problem is None or problem.status != status:
            raise self._stale(ticket.status)
        return problem

    def _check_submit_problem_report(self, session, actor, ticket, c: SubmitProblemReport) -> None:
        self._problem(session, ticket, ProblemStatus.REQUESTED)
        missing = [k for k, v in (("problem_reasons", c.reasons), ("work_done", c.work_done)) if not v.strip()]
        if not c.evidence:
            missing.append("problem_evidence")
        if missing:
            raise self._missing(missing, "ticket_field")

    def _check_sign_problem_report(self, session, actor, ticket, c) -> None:
        self._problem(session, ticket, ProblemStatus.SUBMITTED)

    def _check_return_problem_report(self, session, actor, ticket, c) -> None:
        self._check_comment(session, actor, ticket, c)
        self._problem(session, ticket, ProblemStatus.SUBMITTED)

    def _check_verify_problem_report(self, session, actor, ticket, c) -> None:
        self._problem(session, ticket, ProblemStatus.SIGNED)

    def _check_link_tickets(self, session, actor, ticket, c: LinkTickets) -> None:
        other = queries.ticket(session, c.other_id)
        if other is None or other.id == ticket.id:
            raise Refused("not_found", text("refusal_not_found"))
        link = queries.link_between(session, ticket.id, other.id)
        if link is not None and link.unlinked_at is None:
            raise self._invalid(text("refusal_already_done"))

    def _check_unlink_tickets(self, session, actor, ticket, c: UnlinkTickets) -> None:
        link = queries.link_between(session, ticket.id, c.other_id)
        if link is None or link.unlinked_at is not None:
            raise self._invalid(text("refusal_not_linked"))

    def _check_propose_supervision(self, session, actor, ticket, c: ProposeSupervision) -> None:
        if not c.instruction.strip():
            raise self._missing(["instruction"], "ticket_field")
        if queries.open_supervision(session, ticket.id) is not None:
            raise self._invalid(text("refusal_supervised"))
        if ticket.department_id is None:
            raise self._invalid(text("refusal_no_department"))

    def _check_create_supervision(self, session, actor, ticket, c) -> None:
        supervision = queries.open_supervision(session, ticket.id)
        if supervision is None or supervision.status != "proposed":
            raise self._stale(ticket.status)

    def _check_reply_supervision(self, session, actor, ticket, c: ReplySupervision) -> None:
        supervision = queries.open_supervision(session, ticket.id)
        if supervision is None or supervision.status != "created":
            raise self._stale(ticket.status)
        if not c.text.strip():
            raise self._missing(["supervision_reply"], "ticket_field")

    def _check_record_collaboration(self, session, actor, ticket, c: RecordCollaboration) -> None:
        if not c.body.strip():
            raise self._missing(["collab_body"], "ticket_field")

    def _check_hand_back(self, session, actor, ticket, c: HandBack) -> None:
        if not c.reason.strip():
            raise self._missing(["hand_back_reason"], "ticket_field")

    def _check_mark_emergency(self, session, actor, ticket, c: MarkEmergency) -> None:
        if (ticket.major_threat if c.major_threat else ticket.emergency):
            raise self._invalid(text("refusal_already_done"))

    def _check_acknowledge_emergency(self, session, actor, ticket, c) -> None:
        if queries.open_alert(session, ticket.id) is None:
            raise self._stale(ticket.status)

    def _check_request_extension(self, session, actor, ticket, c: RequestExtension) -> None:
        most = self.rules.flag("workflow", "extension_max_working_days")
        if not isinstance(c.working_days, int) or not 1 <= c.working_days <= most:
            raise self._invalid(text("refusal_extension_days", most=most))
        if not c.reason.strip():
            raise self._missing(["extension_reason"], "ticket_field")
        stage = self._reply_stage(session, ticket)
        if stage is None or stage.due_at < self.now():
            raise Refused("too_late", text("refusal_extension_late"))
        if queries.pending_extension(session, ticket.id) is not None:
            raise self._invalid(text("refusal_extension_pending"))

    def _check_approve_extension(self, session, actor, ticket, c) -> None:
        if queries.pending_extension(session, ticket.id) is None:
            raise self._stale(ticket.status)

    def _check_reject_extension(self, session, actor, ticket, c) -> None:
        self._check_comment(session, actor, ticket, c)
        self._check_approve_extension(session, actor, ticket, c)

    @staticmethod
    def _reply_stage(session, ticket) -> StageDeadline | None:
        stages = queries.open_stages(session, ticket.id, [Stage.REPLY.value])
        return stages[-1] if stages else None

    def _check_record_daily_report(self, session, actor, ticket, c: RecordDailyReport) -> None:
        if not c.text.strip():
            raise self._missing(["progress"], "ticket_field")

    def _check_schedule_visit(self, session, actor, ticket, c: ScheduleVisit) -> None:
        if parse_local_time(c.when, self.calc.local(self.now()), future=True) is None:
            raise self._invalid(text("refusal_visit_time"))
        if not c.visitors.strip():
            raise self._missing(["visitors"], "ticket_field")

    def _check_record_visit(self, session, actor, ticket, c: RecordVisit) -> None:
        if not c.note.strip():
            raise self._missing(["visit_note"], "ticket_field")

    def _check_record_mail(self, session, actor, ticket, c: RecordMail) -> None:
        if not c.letter_no.strip():
            raise self._missing(["letter_no"], "ticket_field")

    # -- effects after the compare-and-set (return the event payload) --

    def _do_record_first_contact(self, session, actor, ticket, c: RecordFirstContact, now, outcome):
        ticket.contact_status = c.contact_status
        ticket.not_contacted_reason = c.not_contacted_reason if c.contact_status == ContactStatus.NOT_CONTACTED else None
        ticket.contact_note = c.note
        ticket.contacted_by_id = actor.member_id
        ticket.contacted_at = _utc(c.contacted_at or now)
        return {"contact_status": c.contact_status, "reason": ticket.not_contacted_reason, "note": c.note}

    def _do_dispatch(self, session, actor, ticket, c: Dispatch, now, outcome):
        ticket.department_id = c.department_id
        self._close_stages(session, ticket, [Stage.DISPATCH], now)
        due = {}
        for stage in (Stage.ACCEPT, Stage.REPLY, Stage.DEPT_FIRST_CONTACT):
            row = self._open_stage(session, ticket, stage, now)
            if row is not None:
                due[stage.value] = self.calc.local(row.due_at)
        self._to_department(outcome, ticket, "ticket_card", due=due)
        return {"department_id": c.department_id, "due": due}

    def _do_office_return(self, session, actor, ticket, c: OfficeReturn, now, outcome):
        session.add(TicketReturn(ticket_id=ticket.id, initiator=ReturnInitiator.OFFICE.value, reason=c.reason.strip(),
                                 belongs_to=c.belongs_to.strip(), requested_by_id=actor.member_id, requested_at=now,
                                 decision="approved", decided_at=now))
        self._close_stages(session, ticket, [Stage.DISPATCH], now)
        row = self._open_stage(session, ticket, Stage.RETURN, now)
        return {"reason": c.reason, "belongs_to": c.belongs_to, "return_due": self._due(row)}

    def _do_accept(self, session, actor, ticket, c, now, outcome):
        ticket.handler_id = actor.member_id
        self._close_stages(session, ticket, [Stage.ACCEPT], now)
        row = self._open_stage(session, ticket, Stage.ACCEPTANCE_NOTICE, now)
        self._to_office(outcome, ticket, "accepted", handler=actor.name,
                        notice_due=self._due(row))
        if ticket.kind == "threat" or ticket.major_threat:
            self._to_department(outcome, ticket, "calm_caller_now")
        return {"handler_id": actor.member_id}

    def _do_ask_return(self, session, actor, ticket, c: AskReturn, now, outcome):
        request = TicketReturn(ticket_id=ticket.id, initiator=ReturnInitiator.DEPARTMENT.value, reason=c.reason.strip(),
                               requested_by_id=actor.member_id, requested_at=now)
        session.add(request)
        session.flush()
        evidence = self._add_evidence(session, actor, ticket, c.evidence, "return_evidence", request.id, now)
        self._close_stages(session, ticket, [Stage.ACCEPT], now)
        self._to_role(session, outcome, ticket, Role.BUSINESS_LEADER, "return_request",
                      department_id=ticket.department_id, requested_by=actor.name, return_id=request.id)
        return {"return_id": request.id, "reason": c.reason, "evidence": evidence}

    def _decide_return(self, session, actor, ticket, approved: bool, comment, now) -> TicketReturn:
        request = queries.open_return(session, ticket.id)
        request.leader_id = actor.member_id
        request.decision = "approved" if approved else "rejected"
        request.decided_at = now
        request.leader_comment = comment
        return request

    def _do_approve_return(self, session, actor, ticket, c: ApproveReturn, now, outcome):
        request = self._decide_return(session, actor, ticket, True, c.comment, now)
        self._close_stages(session, ticket, [Stage.ACCEPT, Stage.REPLY, Stage.DEPT_FIRST_CONTACT,
                                             Stage.ACCEPTANCE_NOTICE], now, cancel=True)
        row = self._open_stage(session, ticket, Stage.RETURN, now)
        self._to_office(outcome, ticket, "return_approved", leader=actor.name, return_id=request.id,
                        return_due=self._due(row))
        self._to_department(outcome, ticket, "return_decided", approved=True, leader=actor.name)
        return {"return_id": request.id, "comment": c.comment}

    def _do_reject_return(self, session, actor, ticket, c: RejectReturn, now, outcome):
        request = self._decide_return(session, actor, ticket, False, c.comment, now)
        request.completed_at = now
        if ticket.handler_id is None:
            ticket.handler_id = request.requested_by_id
        self._to_department(outcome, ticket, "return_decided", approved=False, leader=actor.name, comment=c.comment)
        return {"return_id": request.id, "comment": c.comment}

    def _do_complete_return(self, session, actor, ticket, c: CompleteReturn, now, outcome):
        request = queries.open_return(session, ticket.id)
        request.completed_by_id = actor.member_id
        request.completed_at = now
        request.channel_note = c.note
        self._close_stages(session, ticket, [Stage.RETURN], now)
        self._close_stages(session, ticket, None, now, cancel=True)
        ticket.closed_at = now
        if ticket.department_id is not None:
            self._to_department(outcome, ticket, "returned")
        return {"return_id": request.id, "note": c.note}

    def _do_send_acceptance_notice(self, session, actor, ticket, c, now, outcome):
        ticket.acceptance_notice_sent_at = now
        self._close_stages(session, ticket, [Stage.ACCEPTANCE_NOTICE], now)
        return {}

    def _do_record_dept_contact(self, session, actor, ticket, c: RecordDeptContact, now, outcome):
        ticket.dept_contacted_at = _utc(c.contacted_at or now)
        self._close_stages(session, ticket, [Stage.DEPT_FIRST_CONTACT], now)
        return {"contacted_at": ticket.dept_contacted_at}

    def _draft(self, session, actor, ticket, now) -> Reply:
        reply = queries.current_reply(session, ticket.id)
        if reply is None or reply.status not in (ReplyStatus.DRAFT,):
            reply = Reply(ticket_id=ticket.id, round=(reply.round + 1) if reply else 1, author_id=actor.member_id,
                          department_id=ticket.department_id, template=self.default_template(ticket),
                          created_at=now, updated_at=now)
            session.add(reply)
            session.flush()
        return reply

    @staticmethod
    def default_template(ticket: Ticket) -> str:
        if ticket.channel == Channel.PETITION:
            return ReplyTemplate.PETITION.value
        if ticket.kind == "consultation" or ticket.service_category == "consultation":
            return ReplyTemplate.CONSULT_SUGGESTION.value
        return ReplyTemplate.HELP_COMPLAINT.value

    def _do_save_reply(self, session, actor, ticket, c: SaveReply, now, outcome):
        reply = self._draft(session, actor, ticket, now)
        for key, value in c.values.items():
            if key == "letter":
                value = {**(reply.letter or {}), **value}
            setattr(reply, key, _utc(value) if isinstance(value, datetime) else value)
        reply.author_id = actor.member_id
        reply.updated_at = now
        evidence = self._add_evidence(session, actor, ticket, c.evidence, "reply_evidence", reply.id, now)
        outcome.data["reply_id"] = reply.id
        return {"reply_id": reply.id, "fields": sorted(c.values), "evidence": evidence}

    def _do_submit_reply(self, session, actor, ticket, c, now, outcome):
        reply = queries.current_reply(session, ticket.id)
        reply.status = ReplyStatus.SUBMITTED.value
        reply.submitted_at = now
        self._to_role(session, outcome, ticket, Role.BUSINESS_LEADER, "reply_for_approval",
                      department_id=ticket.department_id, reply_id=reply.id, handler=actor.name)
        return {"reply_id": reply.id, "round": reply.round}

    def _do_approve_reply(self, session, actor, ticket, c: ApproveReply, now, outcome):
        reply = queries.current_reply(session, ticket.id)
        reply.status = ReplyStatus.APPROVED.value
        reply.leader_id, reply.leader_decided_at, reply.leader_comment = actor.member_id, now, c.comment
        self._close_stages(session, ticket, [Stage.REPLY], now)
        row = self._open_stage(session, ticket, Stage.FINAL_REPLY, now)
        missing = conformity_missing(ticket, reply)
        self._to_office(outcome, ticket, "reply_for_review", reply_id=reply.id, leader=actor.name, missing=missing,
                        final_reply_due=self._due(row))
        self._to_department(outcome, ticket, "reply_approved", leader=actor.name)
        return {"reply_id": reply.id, "comment": c.comment, "missing": missing}

    def _do_reject_reply(self, session, actor, ticket, c: RejectReply, now, outcome):
        reply = queries.current_reply(session, ticket.id)
        reply.status = ReplyStatus.DRAFT.value
        reply.leader_id, reply.leader_decided_at, reply.leader_comment = actor.member_id, now, c.comment
        self._to_department(outcome, ticket, "reply_rejected", leader=actor.name, comment=c.comment)
        if reply.author_id:
            self._to_member(outcome, ticket, reply.author_id, "reply_rejected", leader=actor.name, comment=c.comment)
        return {"reply_id": reply.id, "comment": c.comment}

    def _do_pass_review(self, session, actor, ticket, c, now, outcome):
        reply = queries.current_reply(session, ticket.id)
        reply.reviewed_by_id, reply.reviewed_at = actor.member_id, now
        ticket.satisfaction = reply.satisfaction
        follow_up = {Status.PLATFORM_REPLY: "platform_reply_due", Status.APPROVAL_FORM: "approval_form_due",
                     Status.FINAL_REPLY: "final_reply_due"}[Status(ticket.status)]
        self._to_office(outcome, ticket, follow_up, reviewer=actor.name)
        return {"reply_id": reply.id}

    def _do_fail_review(self, session, actor, ticket, c: FailReview, now, outcome):
        reasons = [r.strip() for r in c.reasons if r.strip()]
        old = queries.current_reply(session, ticket.id)
        old.status = ReplyStatus.SENT_BACK.value
        old.reviewed_by_id, old.reviewed_at, old.review_reasons = actor.member_id, now, reasons
        # The redo starts from a copy of the sent-back reply; the old one stays as it was reviewed.
        copy = {k: getattr(old, k) for k in REPLY_FIELDS}
        session.add(Reply(ticket_id=ticket.id, round=old.round + 1, author_id=old.author_id,
                          department_id=ticket.department_id, created_at=now, updated_at=now, **copy))
        ticket.redo_count += 1
        self._reopen_stage(session, ticket, Stage.REPLY)
        self._close_stages(session, ticket, [Stage.FINAL_REPLY], now, cancel=True)
        self._to_department(outcome, ticket, "redo", reasons=reasons, redo_count=ticket.redo_count)
        if old.author_id:
            self._to_member(outcome, ticket, old.author_id, "redo", reasons=reasons, redo_count=ticket.redo_count)
        return {"reply_id": old.id, "reasons": reasons, "redo_count": ticket.redo_count}

    def _form(self, session, actor, ticket, number: int, values: dict, now) -> FormRecord:
        record = FormRecord(ticket_id=ticket.id, form=number, data=jsonable(values), created_by_id=actor.member_id,
                            created_at=now)
        session.add(record)
        session.flush()
        return record

    def _do_submit_approval_form(self, session, actor, ticket, c: SubmitApprovalForm, now, outcome):
        record = self._form(session, actor, ticket, 4, c.values, now)
        self._to_role(session, outcome, ticket, Role.PETITION_LEADER, "signoff_request", form=4, form_id=record.id)
        return {"form_id": record.id}

    def _do_submit_final_reply(self, session, actor, ticket, c: SubmitFinalReply, now, outcome):
        record = self._form(session, actor, ticket, 2, c.values, now)
        self._close_stages(session, ticket, [Stage.FINAL_REPLY], now)
        self._to_role(session, outcome, ticket, Role.PETITION_LEADER, "signoff_request", form=2, form_id=record.id)
        return {"form_id": record.id}

    def _do_approve_signoff(self, session, actor, ticket, c: ApproveSignoff, now, outcome):
        record = queries.latest_form(session, ticket.id)
        if record is not None:
            record.signed_by_id, record.signed_at = actor.member_id, now
        template = "mail_due" if ticket.status == Status.AWAITING_MAIL else "platform_reply_due"
        self._to_office(outcome, ticket, template, leader=actor.name)
        return {"form_id": record.id if record else None, "comment": c.comment}

    def _do_reject_signoff(self, session, actor, ticket, c: RejectSignoff, now, outcome):
        self._to_office(outcome, ticket, "signoff_rejected", leader=actor.name, comment=c.comment)
        follow_up = "final_reply_due" if ticket.status == Status.FINAL_REPLY else "approval_form_due"
        self._to_office(outcome, ticket, follow_up, reviewer=actor.name)
        return {"comment": c.comment}

    def _do_record_follow_up(self, session, actor, ticket, c: RecordFollowUp, now, outcome):
        session.add(FollowUp(ticket_id=ticket.id, level=c.level, result=c.result, note=c.note,
                             recorded_by_id=actor.member_id, recorded_at=now))
        ticket.satisfaction = c.result
        if c.result == "dissatisfied":
            self._open_problem(session, ticket, actor, ProblemKind.DISSATISFIED, now, outcome)
            self._propose_supervision(session, ticket, actor, SupervisionTrigger.UNSATISFIED,
                                      text("supervision_unsatisfied"), now, outcome)
        return {"level": c.level, "result": c.result}

    def _open_problem(self, session, ticket, actor, kind: str, now, outcome) -> None:
        session.add(ProblemReport(ticket_id=ticket.id, kind=kind, status=ProblemStatus.REQUESTED.value))
        row = self._open_stage(session, ticket, Stage.PROBLEM_REPORT, now)
        self._to_department(outcome, ticket, "problem_request", kind=kind, due=self._due(row))
        if ticket.handler_id:
            self._to_member(outcome, ticket, ticket.handler_id, "problem_request", kind=kind, due=self._due(row))

    def _do_request_repeat_closure(self, session, actor, ticket, c, now, outcome):
        self._open_problem(session, ticket, actor, ProblemKind.REPEAT_NOT_FACTUAL, now, outcome)
        return {}

    def _do_submit_problem_report(self, session, actor, ticket, c: SubmitProblemReport, now, outcome):
        problem = queries.open_problem(session, ticket.id)
        problem.reasons, problem.work_done = c.reasons.strip(), c.work_done.strip()
        problem.status, problem.author_id, problem.submitted_at = ProblemStatus.SUBMITTED.value, actor.member_id, now
        evidence = self._add_evidence(session, actor, ticket, c.evidence, "problem_evidence", problem.id, now)
        self._close_stages(session, ticket, [Stage.PROBLEM_REPORT], now)
        self._to_role(session, outcome, ticket, Role.BUSINESS_LEADER, "problem_for_signature",
                      department_id=ticket.department_id, kind=problem.kind, by=actor.name,
                      reasons=problem.reasons, work_done=problem.work_done, evidence=len(evidence))
        return {"problem_id": problem.id, "evidence": evidence}

    def _do_sign_problem_report(self, session, actor, ticket, c, now, outcome):
        problem = queries.open_problem(session, ticket.id)
        problem.status, problem.leader_id, problem.signed_at = ProblemStatus.SIGNED.value, actor.member_id, now
        self._to_office(outcome, ticket, "problem_for_verification", kind=problem.kind, leader=actor.name,
                        reasons=problem.reasons, work_done=problem.work_done)
        return {"problem_id": problem.id}

    def _do_return_problem_report(self, session, actor, ticket, c: ReturnProblemReport, now, outcome):
        problem = queries.open_problem(session, ticket.id)
        problem.status = ProblemStatus.REQUESTED.value
        self._reopen_stage(session, ticket, Stage.PROBLEM_REPORT)
        self._to_department(outcome, ticket, "problem_returned", leader=actor.name, comment=c.comment, kind=problem.kind)
        return {"problem_id": problem.id, "comment": c.comment}

    def _do_verify_problem_report(self, session, actor, ticket, c: VerifyProblemReport, now, outcome):
        problem = queries.open_problem(session, ticket.id)
        problem.status, problem.verified_by_id, problem.verified_at = ProblemStatus.VERIFIED.value, actor.member_id, now
        problem.verification = c.note
        if problem.kind == ProblemKind.REPEAT_NOT_FACTUAL:
            problem.close_applied_at = now  # 申请结单: the form goes with the office's application
            self._to_office(outcome, ticket, "close_application", problem_id=problem.id)
        return {"problem_id": problem.id, "note": c.note}

    def _do_link_tickets(self, session, actor, ticket, c: LinkTickets, now, outcome):
        link = queries.link_between(session, ticket.id, c.other_id)
        if link is None:
            session.add(TicketLink(ticket_id=ticket.id, related_ticket_id=c.other_id, matched_on=["office"],
                                   created_by_id=actor.member_id, created_at=now))
        else:
            link.unlinked_at = link.unlinked_by_id = None
        ticket.repeat = True
        return {"other_id": c.other_id}

    def _do_unlink_tickets(self, session, actor, ticket, c: UnlinkTickets, now, outcome):
        link = queries.link_between(session, ticket.id, c.other_id)
        link.unlinked_at, link.unlinked_by_id = now, actor.member_id
        session.flush()
        ticket.repeat = bool(queries.links_of(session, ticket.id))
        return {"other_id": c.other_id}

    def _propose_supervision(self, session, ticket, actor, trigger: str, instruction: str, now, outcome) -> None:
        if queries.open_supervision(session, ticket.id) is not None:
            return
        supervision = Supervision(ticket_id=ticket.id, trigger=trigger, instruction=instruction, proposed_at=now,
                                  department_id=ticket.department_id)
        session.add(supervision)
        session.flush()
        row = self._open_stage(session, ticket, Stage.SUPERVISION_CREATE, now)
        row.supervision_id = supervision.id
        self._to_office(outcome, ticket, "supervision_proposed", trigger=trigger, instruction=instruction,
                        by=actor.name if actor else "", due=self._due(row))

    def _do_propose_supervision(self, session, actor, ticket, c: ProposeSupervision, now, outcome):
        self._propose_supervision(session, ticket, actor, c.trigger, c.instruction.strip(), now, outcome)
        return {"trigger": c.trigger, "instruction": c.instruction.strip()}

    def _do_create_supervision(self, session, actor, ticket, c, now, outcome):
        supervision = queries.open_supervision(session, ticket.id)
        supervision.status, supervision.created_by_id, supervision.created_at = "created", actor.member_id, now
        self._close_stages(session, ticket, [Stage.SUPERVISION_CREATE], now)
        row = self._open_stage(session, ticket, Stage.SUPERVISION_REPLY, now)
        row.supervision_id = supervision.id
        self._to_department(outcome, ticket, "supervision_card", instruction=supervision.instruction,
                            trigger=supervision.trigger, due=self._due(row))
        return {"supervision_id": supervision.id}

    def _do_reply_supervision(self, session, actor, ticket, c: ReplySupervision, now, outcome):
        supervision = queries.open_supervision(session, ticket.id)
        supervision.status, supervision.reply, supervision.replied_at = "replied", c.text.strip(), now
        self._close_stages(session, ticket, [Stage.SUPERVISION_REPLY], now)
        self._to_office(outcome, ticket, "supervision_replied", by=actor.name, reply=c.text.strip())
        return {"supervision_id": supervision.id}

    def _do_record_collaboration(self, session, actor, ticket, c: RecordCollaboration, now, outcome):
        session.add(Collaboration(ticket_id=ticket.id, body=c.body.strip(), method=c.method.strip() or None,
                                  recorded_by_id=actor.member_id, recorded_at=now))
        ticket.handling_class = "collaboration"
        return {"body": c.body.strip(), "method": c.method}

    def _do_hand_back(self, session, actor, ticket, c: HandBack, now, outcome):
        session.add(Collaboration(ticket_id=ticket.id, body="12345", handed_back=True, reason=c.reason.strip(),
                                  recorded_by_id=actor.member_id, recorded_at=now))
        ticket.handling_class = "collaboration"
        self._close_stages(session, ticket, None, now, cancel=True)
        ticket.closed_at = now
        if ticket.department_id is not None:
            self._to_department(outcome, ticket, "returned")
        return {"reason": c.reason.strip()}

    def _do_mark_emergency(self, session, actor, ticket, c: MarkEmergency, now, outcome):
        if c.major_threat:
            ticket.major_threat = ticket.sensitive = True
        else:
            ticket.emergency = True
        for row in queries.open_stages(session, ticket.id):
            row.urgent = True
        self._raise_alert(session, ticket, actor, now, outcome)
        return {"major_threat": c.major_threat}

    def _do_acknowledge_emergency(self, session, actor, ticket, c, now, outcome):
        alert = queries.open_alert(session, ticket.id)
        alert.acknowledged_by_id, alert.acknowledged_at = actor.member_id, now
        self._to_office(outcome, ticket, "emergency_acknowledged", by=actor.name)
        return {"alert_id": alert.id}

    def _do_request_extension(self, session, actor, ticket, c: RequestExtension, now, outcome):
        stage = self._reply_stage(session, ticket)
        request = Extension(ticket_id=ticket.id, stage_deadline_id=stage.id, reason=c.reason.strip(),
                            working_days=c.working_days, requested_by_id=actor.member_id, requested_at=now,
                            old_due_at=stage.due_at)
        session.add(request)
        session.flush()
        new_due = self.calc.end_of(self._extended_day(stage.due_at, c.working_days))
        self._to_role(session, outcome, ticket, Role.BUSINESS_LEADER, "extension_request",
                      department_id=ticket.department_id, requested_by=actor.name, days=c.working_days,
                      reason=c.reason.strip(), old_due=self.calc.local(stage.due_at), new_due=new_due)
        return {"extension_id": request.id, "days": c.working_days, "reason": c.reason.strip()}

    def _extended_day(self, due_at: datetime, working_days: int):
        return self.calc.calendar.add_working_days(self.calc.local(due_at).date(), working_days).day

    def _do_approve_extension(self, session, actor, ticket, c: ApproveExtension, now, outcome):
        request = queries.pending_extension(session, ticket.id)
        old = session.get(StageDeadline, request.stage_deadline_id)
        result = self.calc.calendar.add_working_days(self.calc.local(old.due_at).date(), request.working_days)
        # the extended deadline is a new row: its warnings start afresh, the old row keeps its history
        old.open, old.cancelled_at = False, now
        extended = StageDeadline(ticket_id=ticket.id, stage=old.stage, department_id=old.department_id,
                                 started_at=old.started_at, due_at=_utc(self.calc.end_of(result.day)),
                                 original_due_at=old.original_due_at or old.due_at,
                                 rule=f"extended:+{request.working_days}",
                                 calendar_fallback=old.calendar_fallback or bool(result.fallback_years),
                                 urgent=old.urgent)
        session.add(extended)
        session.flush()
        request.decision, request.decided_at, request.leader_id = "approved", now, actor.member_id
        request.new_due_at, request.comment = extended.due_at, c.comment
        new_due = self.calc.local(extended.due_at)
        self._to_department(outcome, ticket, "extension_decided", approved=True, leader=actor.name, new_due=new_due,
                            days=request.working_days)
        self._to_office(outcome, ticket, "extension_decided", approved=True, leader=actor.name, new_due=new_due,
                        days=request.working_days)
        return {"extension_id": request.id, "new_due": new_due}

    def _do_reject_extension(self, session, actor, ticket, c: RejectExtension, now, outcome):
        request = queries.pending_extension(session, ticket.id)
        request.decision, request.decided_at, request.leader_id, request.comment = ("rejected", now,
                                                                                    actor.member_id, c.comment)
        self._to_department(outcome, ticket, "extension_decided", approved=False, leader=actor.name,
                            comment=c.comment, days=request.working_days)
        return {"extension_id": request.id, "comment": c.comment}

    def _do_record_daily_report(self, session, actor, ticket, c: RecordDailyReport, now, outcome):
        today = self.calc.local(now).date()
        report = queries.daily_report(session, ticket.id, today)
        if report is None:
            report = DailyReport(ticket_id=ticket.id, report_date=today, department_id=ticket.department_id,
                                 text=c.text.strip(), author_id=actor.member_id, created_at=now)
            session.add(report)
        else:  # a second report the same day replaces the first
            report.text, report.author_id, report.created_at = c.text.strip(), actor.member_id, now
        return {"day": today.isoformat(), "text": c.text.strip()}

    def _do_schedule_visit(self, session, actor, ticket, c: ScheduleVisit, now, outcome):
        when = parse_local_time(c.when, self.calc.local(now), future=True)
        session.add(Visit(ticket_id=ticket.id, scheduled_for=_utc(when), visitors=c.visitors.strip(),
                          recorded_by_id=actor.member_id))
        self._to_department(outcome, ticket, "visit_scheduled", when=when, visitors=c.visitors.strip())
        return {"when": when, "visitors": c.visitors.strip()}

    def _do_record_visit(self, session, actor, ticket, c: RecordVisit, now, outcome):
        planned = queries.planned_visit(session, ticket.id)
        if planned is not None:
            planned.visited_at, planned.note, planned.recorded_by_id = now, c.note.strip(), actor.member_id
        else:
            session.add(Visit(ticket_id=ticket.id, visited_at=now, visitors=actor.name, note=c.note.strip(),
                              recorded_by_id=actor.member_id))
        self._to_department(outcome, ticket, "visit_recorded", note=c.note.strip(), by=actor.name)
        return {"note": c.note.strip()}

    def _close(self, session, ticket, now, outcome) -> None:
        self._close_stages(session, ticket, None, now)
        ticket.closed_at = now
        self._to_department(outcome, ticket, "closed")

    def _do_record_mail(self, session, actor, ticket, c: RecordMail, now, outcome):
        ticket.letter_no = c.letter_no.strip()
        ticket.city_system_entered_at = now
        self._close(session, ticket, now, outcome)
        return {"letter_no": ticket.letter_no}

    def _do_record_platform_reply(self, session, actor, ticket, c: RecordPlatformReply, now, outcome):
        ticket.platform_reply = c.text
        self._close(session, ticket, now, outcome)
        return {"text": c.text}


def _choices(group: str) -> set[str]:
    if group == "reply_template":
        return {t.value for t in ReplyTemplate}
    return set(labels(group))


def jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return value
