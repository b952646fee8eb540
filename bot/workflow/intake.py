"""Intake and dispatch (规程 二(一)1, 二(二)1, 二(三)): register, first contact, dispatch, accept."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from bot.domain import Channel, ContactStatus, NotContactedReason, Role, Stage, Status
from bot.knowledge import words
from bot.workflow.core import Refused, Step, invalid, missing, utc
from bot.workflow.emergencies import raise_alert
from bot.workflow.registry import EVERY, Press, declare, no_guard
from storage import queries
from storage.models import Department, Ticket, TicketLink, address_key
from templates import text

# --- register a ticket ------------------------------------------------------


@dataclass(frozen=True)
class CreateTicket:
    channel: str
    external_no: str
    received_at: datetime  # the bureau's receipt (收到转送事项之日): every deadline starts here
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
    business_category: str | None = None
    called_at: datetime | None = None  # 来电/来访时间 (附件1); the receipt when not given (SPEC §9.1)
    action = "create"


def check_create(s: Step, c: CreateTicket) -> None:
    if c.channel not in {ch.value for ch in Channel}:
        raise invalid(f"channel {c.channel}")
    if not (c.external_no or "").strip():
        raise missing(["external_no"], "ticket_field")
    if not (c.content or "").strip():
        raise missing(["content"], "ticket_field")
    kinds = s.rules.kinds(c.channel)
    if kinds and c.kind not in kinds:
        raise missing(["kind"], "ticket_field")
    if not kinds and c.kind is not None:
        raise invalid(f"kind {c.kind}")
    if c.received_at.tzinfo is None:
        raise invalid("received_at")
    if c.called_at is not None and c.called_at.tzinfo is None:
        raise invalid("called_at")
    existing = queries.ticket_by_external(s.session, c.channel, c.external_no.strip())
    if existing is not None:
        raise Refused("duplicate", text("refusal_duplicate", internal_no=existing.internal_no),
                      internal_no=existing.internal_no, ticket_id=existing.id)


def create(s: Step, c: CreateTicket) -> dict:
    local_now = s.local(s.now)
    seq = queries.next_internal_number(s.session, local_now.year)
    overall = s.calc.overall(c.channel, c.kind, c.received_at)
    values = {f.name: getattr(c, f.name) for f in fields(c)}
    values["tags"] = list(c.tags)
    values["external_no"] = c.external_no.strip()
    values["received_at"] = utc(c.received_at)
    values["called_at"] = utc(c.called_at or c.received_at)
    values["address_key"] = address_key(c.address)
    values["sensitive"] = c.sensitive or c.major_threat or c.kind in s.rules.flag("workflow", "sensitive_kinds")
    ticket = Ticket(
        **values,
        internal_no=f"{s.rules.internal_number_prefix}-{local_now.year}-{seq:06d}",
        status=Status.RECEIVED.value,
        overall_due_at=utc(overall.due_at) if overall else None,
        calendar_fallback=bool(overall and overall.calendar_fallback),
        created_by_id=s.actor.member_id,
        created_at=s.now,
        updated_at=s.now,
    )
    s.session.add(ticket)
    s.session.flush()
    s.ticket = ticket
    s.outcome.ticket_id, s.outcome.internal_no, s.outcome.to_status = ticket.id, ticket.internal_no, ticket.status
    stages = [s.open_stage(Stage.DISPATCH, c.received_at), s.open_stage(Stage.OVERALL, c.received_at)]
    s.session.flush()
    if any(row is not None and row.calendar_fallback for row in stages):
        ticket.calendar_fallback = True
    if ticket.emergency or ticket.major_threat:
        raise_alert(s)
    match_repeats(s)
    s.outcome.data["dispatch_due"] = stages[0].due_at if stages[0] else None
    return {"external_no": ticket.external_no, "kind": ticket.kind}


def match_repeats(s: Step) -> None:
    """规程 三(三)5: link the latest earlier tickets of the same citizen, in any channel (phone; name and
    address; or name and similar content): at most `repeat_links` of them, found through indexes, so a
    citizen's hundredth ticket costs what the second did."""
    ticket = s.ticket
    since = ticket.received_at - timedelta(days=s.rules.flag("workflow", "repeat_window_days"))
    threshold = s.rules.flag("workflow", "repeat_content_similarity")
    limit = s.rules.flag("workflow", "repeat_links")
    mine: set[str] | None = None  # cut with jieba only if some candidate needs its content compared
    found = []
    for other in queries.repeat_candidates(s.session, ticket, since, limit):
        matched = [key for key in ("phone", "citizen_name", "address_key")
                   if getattr(ticket, key) and getattr(other, key) == getattr(ticket, key)]
        keys = set(matched)
        if keys == {"citizen_name"}:
            mine = set(words(ticket.content)) if mine is None else mine
            theirs = set(words(other.content))
            if mine and theirs and len(mine & theirs) / len(mine | theirs) >= threshold:
                matched.append("content")
                keys.add("content")
        if "phone" in keys or {"citizen_name", "address_key"} <= keys or {"citizen_name", "content"} <= keys:
            matched = ["address" if key == "address_key" else key for key in matched]
            s.session.add(TicketLink(ticket_id=ticket.id, related_ticket_id=other.id, matched_on=matched,
                                     created_at=s.now))
            found.append(other.internal_no)
            if len(found) == limit:
                break
    if found:
        ticket.repeat = True
        s.to_office("repeat_found", earlier=found)


declare(CreateTicket, who=Role.OFFICE, sources={None}, guard=check_create, effect=create,
        queues={"repeat_found", "emergency_alert"}, settles=(), presses={})


# --- the office's first contact with the citizen (先行联系) -------------------


@dataclass(frozen=True)
class RecordFirstContact:
    ticket_id: int
    contact_status: str
    not_contacted_reason: str | None = None
    note: str | None = None
    contacted_at: datetime | None = None
    action = "record_first_contact"


def check_first_contact(s: Step, c: RecordFirstContact) -> None:
    if c.contact_status not in {v.value for v in ContactStatus}:
        raise invalid(f"contact_status {c.contact_status}")
    if c.contact_status == ContactStatus.NOT_CONTACTED:
        if c.not_contacted_reason not in {r.value for r in NotContactedReason}:
            raise missing(["not_contacted_reason"], "ticket_field")
        if c.not_contacted_reason == NotContactedReason.OTHER and not (c.note or "").strip():
            raise missing(["contact_note"], "ticket_field")


def record_first_contact(s: Step, c: RecordFirstContact) -> dict:
    t = s.ticket
    t.contact_status = c.contact_status
    t.not_contacted_reason = c.not_contacted_reason if c.contact_status == ContactStatus.NOT_CONTACTED else None
    t.contact_note = c.note
    t.contacted_by_id = s.actor.member_id
    t.contacted_at = utc(c.contacted_at or s.now)
    return {"contact_status": c.contact_status, "reason": t.not_contacted_reason, "note": c.note}


declare(RecordFirstContact, who=Role.OFFICE, sources={Status.RECEIVED, Status.DISPATCHED},
        guard=check_first_contact, effect=record_first_contact, queues=(), settles=(),
        presses={"first_contact_other": Press(("note",), lambda t, v: RecordFirstContact(
            t, ContactStatus.NOT_CONTACTED.value, NotContactedReason.OTHER.value, v["note"]))})


# --- dispatch to a department -------------------------------------------------


@dataclass(frozen=True)
class Dispatch:
    ticket_id: int
    department_id: int
    opinion: str | None = None  # 附件4 「科室负责人或分管领导交办意见」: whoever dispatches gives it
    action = "dispatch"


def check_dispatch(s: Step, c: Dispatch) -> None:
    department = s.session.get(Department, c.department_id)
    if department is None or not department.active or department.is_office:
        raise invalid(text("refusal_no_department"))
    if s.ticket.channel in s.rules.flag("workflow", "first_contact_before_dispatch") and not s.ticket.contact_status:
        raise missing(["first_contact"], "ticket_field")


def dispatch(s: Step, c: Dispatch) -> dict:
    s.ticket.department_id = c.department_id
    s.close_stages([Stage.DISPATCH])
    due = {}
    for stage in (Stage.ACCEPT, Stage.REPLY, Stage.DEPT_FIRST_CONTACT):
        row = s.open_stage(stage, s.now)
        if row is not None:
            due[stage.value] = s.local(row.due_at)
    calming = needs_calming(s)
    s.to_department("ticket_card", due=due, calming=calming)
    if calming:  # 规程 二(二)3(2): 即接即电话安抚 — the call is due within hours of the hand-over
        row = s.open_stage(Stage.CALMING_CALL, s.now)
        s.to_department("calm_caller_now", due=s.due(row))
    return {"department_id": c.department_id, "due": due,
            "opinion": (c.opinion or "").strip() or text("dispatch_opinion_default")}


def needs_calming(s: Step) -> bool:
    return s.ticket.kind in s.rules.ladder.calming_call_kinds or s.ticket.major_threat


declare(Dispatch, who=Role.OFFICE, sources={Status.RECEIVED}, target=Status.DISPATCHED,
        guard=check_dispatch, effect=dispatch, queues={"ticket_card", "calm_caller_now"}, settles=EVERY, presses={})


# --- the department accepts (受理) --------------------------------------------


@dataclass(frozen=True)
class Accept:
    ticket_id: int
    action = "accept"


def accept(s: Step, c: Accept) -> dict:
    s.ticket.handler_id = s.actor.member_id
    s.close_stages([Stage.ACCEPT])
    # the petition's 受理告知书 (规程 二(一)1) once: a department that takes it over after 改派 does not reopen it
    row = s.open_stage(Stage.ACCEPTANCE_NOTICE, s.now) if s.ticket.acceptance_notice_sent_at is None else None
    s.to_office("accepted", handler=s.actor.name, notice_due=s.due(row))
    return {"handler_id": s.actor.member_id}


declare(Accept, who=Role.HANDLER, own_department=True, sources={Status.DISPATCHED}, target=Status.ACCEPTED,
        guard=no_guard, effect=accept, queues={"accepted"}, settles=EVERY)
