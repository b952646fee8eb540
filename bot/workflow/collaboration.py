"""Collaboration (协同件, 办法 第十八条): a ticket outside civil affairs is coordinated with another body,
or handed back to 12345 with the reason (which ends it here as returned).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Channel, Role, Status
from bot.workflow.core import OPEN_WITH_DEPARTMENT, Step, require
from bot.workflow.registry import EVERY, Press, declare
from storage.models import Collaboration

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
