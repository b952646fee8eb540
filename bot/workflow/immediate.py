"""即办件 (办法 第十四条): the office answers the citizen at once, without a department.

话务员接到市民来电或“12345”流转工单后，能够直接答复的，应即时予以答复 — `AnswerAtOnce` closes
the ticket as 即办件 with the answer given. 即时难以答复的，则应拟定答复内容，报主管负责人审核后，
及时答复 — `DraftImmediateAnswer` sends the drafted answer to the 主管负责人 (the office's
信访条线分管领导), who approves (closed as 即办件) or sends it back with a comment (the ticket is
received again, to answer anew or to dispatch). Channels whose answers always go through the
主管负责人 are in rules.toml (`immediate_review_channels`: 12345, 规程 二(二)2).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Channel, HandlingClass, Role, Status
from bot.workflow.core import Refused, Step, invalid, require
from bot.workflow.registry import EVERY, Press, declare
from bot.workflow.returns import check_comment
from templates import label, text

CHANNELS = {Channel.HOTLINE_12345.value, Channel.HOTLINE_962200.value}


def _answer_allowed(s: Step, answer: str) -> None:
    require(answer, "immediate_answer")
    if s.ticket.channel not in s.rules.flag("workflow", "immediate_channels"):
        raise Refused("channel", text("refusal_channel", channel=label("channel", s.ticket.channel)))


# --- answered at once -----------------------------------------------------------------


@dataclass(frozen=True)
class AnswerAtOnce:
    ticket_id: int
    answer: str
    action = "answer_at_once"


def check_answer(s: Step, c: AnswerAtOnce) -> None:
    _answer_allowed(s, c.answer)
    if s.ticket.channel in s.rules.flag("workflow", "immediate_review_channels"):
        raise Refused("review", text("refusal_immediate_review"))


def answer_at_once(s: Step, c: AnswerAtOnce) -> dict:
    s.ticket.handling_class = HandlingClass.IMMEDIATE.value
    s.ticket.platform_reply = c.answer.strip()
    s.close_ticket(template=None)
    return {"answer": c.answer.strip()}


declare(AnswerAtOnce, who=Role.OFFICE, sources={Status.RECEIVED}, target=Status.CLOSED, channels=CHANNELS,
        guard=check_answer, effect=answer_at_once, queues=(), settles=EVERY,
        presses={"answer_at_once": Press(("immediate_answer",),
                                         lambda t, v: AnswerAtOnce(t, v["immediate_answer"]))})


# --- drafted, for the 主管负责人's review ----------------------------------------------------


@dataclass(frozen=True)
class DraftImmediateAnswer:
    ticket_id: int
    answer: str
    action = "draft_immediate_answer"


def check_draft(s: Step, c: DraftImmediateAnswer) -> None:
    _answer_allowed(s, c.answer)


def draft_immediate_answer(s: Step, c: DraftImmediateAnswer) -> dict:
    s.ticket.handling_class = HandlingClass.IMMEDIATE.value
    s.ticket.platform_reply = c.answer.strip()
    s.to_role(Role.PETITION_LEADER, "immediate_for_approval", answer=c.answer.strip(), by=s.actor.name)
    return {"answer": c.answer.strip()}


declare(DraftImmediateAnswer, who=Role.OFFICE, sources={Status.RECEIVED}, target=Status.LEADER_SIGNOFF,
        channels=CHANNELS, guard=check_draft, effect=draft_immediate_answer, queues={"immediate_for_approval"},
        settles=EVERY, presses={"draft_immediate_answer": Press(
            ("immediate_answer",), lambda t, v: DraftImmediateAnswer(t, v["immediate_answer"]))})


# --- the 主管负责人 decides ----------------------------------------------------------------


def is_immediate(s: Step) -> None:
    """The sign-off waiting is an answer given at once, not a department's reply (附件4)."""
    if s.ticket.handling_class != HandlingClass.IMMEDIATE:
        raise invalid(text("refusal_not_immediate"))


def is_department_reply(s: Step) -> None:
    """The sign-off waiting is a department's reply (附件2, 附件4), not an answer given at once."""
    if s.ticket.handling_class == HandlingClass.IMMEDIATE:
        raise invalid(text("refusal_immediate_signoff"))


@dataclass(frozen=True)
class ApproveImmediateAnswer:
    ticket_id: int
    action = "approve_immediate_answer"


def check_approve(s: Step, c: ApproveImmediateAnswer) -> None:
    is_immediate(s)


def approve_immediate_answer(s: Step, c: ApproveImmediateAnswer) -> dict:
    s.close_ticket(template=None)
    s.to_office("immediate_decided", approved=True, leader=s.actor.name, answer=s.ticket.platform_reply)
    return {}


declare(ApproveImmediateAnswer, who=Role.PETITION_LEADER, sources={Status.LEADER_SIGNOFF}, target=Status.CLOSED,
        channels=CHANNELS, guard=check_approve, effect=approve_immediate_answer, queues={"immediate_decided"},
        settles=EVERY)


@dataclass(frozen=True)
class RejectImmediateAnswer:
    ticket_id: int
    comment: str
    action = "reject_immediate_answer"


def check_reject(s: Step, c: RejectImmediateAnswer) -> None:
    is_immediate(s)
    check_comment(s, c)


def reject_immediate_answer(s: Step, c: RejectImmediateAnswer) -> dict:
    s.ticket.handling_class = None
    s.ticket.platform_reply = None
    s.to_office("immediate_decided", approved=False, leader=s.actor.name, comment=c.comment.strip())
    return {"comment": c.comment.strip()}


declare(RejectImmediateAnswer, who=Role.PETITION_LEADER, sources={Status.LEADER_SIGNOFF}, target=Status.RECEIVED,
        channels=CHANNELS, guard=check_reject, effect=reject_immediate_answer, queues={"immediate_decided"},
        settles=EVERY, presses={"reject_immediate_answer": Press(
            ("comment",), lambda t, v: RejectImmediateAnswer(t, v["comment"]))})
