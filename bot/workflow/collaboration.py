"""Collaboration (协同件, 办法 第十八条): a ticket outside civil affairs is coordinated with another body,
or handed back to 12345 with the reason (which ends it here as returned).

协办 inside the bureau (办法 第十五条 「跨部门的…转交相关部门牵头处理」): the office adds assisting departments
to the lead one. They see the card (without 受理/退单: the lead department owns the ticket) and add their part,
which the lead handler gets and the approver sees with the reply; the lead's reply does not wait for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Channel, Role, Status
from bot.workflow.core import (
    OPEN_WITH_DEPARTMENT,
    WITH_DEPARTMENT,
    EvidenceIn,
    Refused,
    Step,
    invalid,
    require,
)
from bot.workflow.registry import EVERY, Press, declare
from storage import queries
from storage.models import Assist, Collaboration, Department
from templates import text

OPEN_ANYWHERE = OPEN_WITH_DEPARTMENT | {Status.RECEIVED}


@dataclass(frozen=True)
class RecordCollaboration:
    """Coordinated with another body (who, how); recorded when."""

    ticket_id: int
    body: str
    method: str = ""
    action = "record_collaboration"


def check_collaboration(s: Step, c: RecordCollaboration) -> None:
    require(c.body, "collab_body")


def record_collaboration(s: Step, c: RecordCollaboration) -> dict:
    s.session.add(Collaboration(ticket_id=s.ticket.id, body=c.body.strip(), method=c.method.strip() or None,
                                recorded_by_id=s.actor.member_id, recorded_at=s.now))
    s.ticket.handling_class = "collaboration"
    return {"body": c.body.strip(), "method": c.method}


declare(RecordCollaboration, who=Role.OFFICE, sources=OPEN_ANYWHERE, guard=check_collaboration,
        effect=record_collaboration, queues=(), settles=(),
        presses={"record_collaboration": Press(("collab_body", "collab_method"), lambda t, v: RecordCollaboration(
            t, v["collab_body"], v["collab_method"]))})


@dataclass(frozen=True)
class HandBack:
    """Cannot be coordinated: handed back to 12345 with the reason."""

    ticket_id: int
    reason: str
    action = "hand_back"


def check_hand_back(s: Step, c: HandBack) -> None:
    require(c.reason, "hand_back_reason")


def hand_back(s: Step, c: HandBack) -> dict:
    s.session.add(Collaboration(ticket_id=s.ticket.id, body="12345", handed_back=True, reason=c.reason.strip(),
                                recorded_by_id=s.actor.member_id, recorded_at=s.now))
    s.ticket.handling_class = "collaboration"
    s.close_stages(None, cancel=True)
    s.ticket.closed_at = s.now
    if s.ticket.department_id is not None:
        s.to_department("returned")
    return {"reason": c.reason.strip()}


declare(HandBack, who=Role.OFFICE, sources=OPEN_ANYWHERE, target=Status.RETURNED,
        channels={Channel.HOTLINE_12345}, guard=check_hand_back, effect=hand_back, queues={"returned"},
        settles=EVERY,
        presses={"hand_back": Press(("hand_back_reason",), lambda t, v: HandBack(t, v["hand_back_reason"]))})


# --- 协办: assisting departments of the bureau ----------------------------------------------------

LEAD_HAS_IT = WITH_DEPARTMENT | {Status.DISPATCHED, Status.RETURN_REQUESTED}


@dataclass(frozen=True)
class AddAssist:
    ticket_id: int
    department_id: int
    action = "add_assist"


def check_add_assist(s: Step, c: AddAssist) -> None:
    department = s.session.get(Department, c.department_id) if isinstance(c.department_id, int) else None
    if (department is None or not department.active or department.is_office or department.id == s.ticket.department_id
            or queries.assist_of(s.session, s.ticket.id, department.id) is not None):
        raise invalid(text("refusal_assist_department"))


def add_assist(s: Step, c: AddAssist) -> dict:
    s.session.add(Assist(ticket_id=s.ticket.id, department_id=c.department_id, added_by_id=s.actor.member_id,
                         added_at=s.now))
    name = s.session.get(Department, c.department_id).name
    reply = s.reply_stage()
    s.to_group(c.department_id, "assist_card", by=s.actor.name, due=s.due(reply), assisting=name)
    s.to_department("assist_added", by=s.actor.name, assisting=name)
    return {"department_id": c.department_id}


declare(AddAssist, who=Role.OFFICE, sources=LEAD_HAS_IT, guard=check_add_assist, effect=add_assist,
        queues={"assist_card", "assist_added"}, settles=(),
        presses={"add_assist": Press(pick="department", make=lambda t, v: AddAssist(t, v["department"]))})


@dataclass(frozen=True)
class AddAssistPart:
    """An assisting department's part of the reply (it may send it again to complete it)."""

    ticket_id: int
    part: str
    evidence: tuple[EvidenceIn, ...] = ()
    action = "add_assist_part"


def _assisting(s: Step) -> Assist | None:
    for assist in queries.assists_of(s.session, s.ticket.id):
        if s.actor.has(Role.HANDLER, assist.department_id):
            return assist
    return None


def check_assist_part(s: Step, c: AddAssistPart) -> None:
    if _assisting(s) is None:
        raise Refused("department", text("refusal_not_assisting"))
    require(c.part, "assist_part")


def add_assist_part(s: Step, c: AddAssistPart) -> dict:
    assist = _assisting(s)
    assist.part, assist.part_by_id, assist.part_at = c.part.strip(), s.actor.member_id, s.now
    evidence = s.add_evidence(c.evidence, "assist_evidence", assist.id)
    name = s.session.get(Department, assist.department_id).name
    told = {"by": s.actor.name, "assisting": name, "part": c.part.strip(), "assist_id": assist.id,
            "evidence": len(evidence)}
    s.to_department("assist_part_added", **told)
    if s.ticket.handler_id is not None:  # the lead handler gets the evidence with it, in private chat
        s.to_member(s.ticket.handler_id, "assist_part_added", **told)
    return {"assist_id": assist.id, "part": c.part.strip(), "evidence": evidence}


declare(AddAssistPart, who=Role.HANDLER, sources=LEAD_HAS_IT, guard=check_assist_part, effect=add_assist_part,
        queues={"assist_part_added"}, settles=(),
        presses={"add_assist_part": Press(flow="assist")})
