"""Supervision (督办件, 办法 第十六条): proposed, created by the office within 2 working days, answered
by the department within 10. It moves on its own machine (SUPERVISION): proposed → created → replied.

A leader's instruction proposes one by hand; an unsatisfied follow-up (follow_up.py)
and a reply overdue without an approved extension (the clock) propose one too.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import LEADER_ROLES, Role, Stage, SupervisionTrigger
from bot.workflow.core import EVER_DISPATCHED, Actor, Refused, Step, invalid, require
from bot.workflow.machines import SUPERVISION, SupervisionState
from bot.workflow.registry import Press, declare, no_guard
from storage import queries
from storage.models import Supervision
from templates import text


def propose(s: Step, trigger: str, instruction: str) -> None:
    """Propose a 督办件 unless one is open; the office has its deadline to create it."""
    if queries.open_supervision(s.session, s.ticket.id) is not None:
        return
    supervision = Supervision(ticket_id=s.ticket.id, trigger=trigger, instruction=instruction, proposed_at=s.now,
                              department_id=s.ticket.department_id, status=SupervisionState.PROPOSED.value)
    s.session.add(supervision)
    s.session.flush()
    row = s.open_stage(Stage.SUPERVISION_CREATE, s.now)
    row.supervision_id = supervision.id
    s.to_office("supervision_proposed", trigger=trigger, instruction=instruction,
                by=s.actor.name if s.actor else "", due=s.due(row))


# --- proposed -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposeSupervision:
    """A leader's instruction (or the office, or the clock) makes a ticket a 督办件 to be created."""

    ticket_id: int
    instruction: str
    trigger: str = SupervisionTrigger.LEADER_INSTRUCTION.value
    action = "propose_supervision"


def check_propose(s: Step, c: ProposeSupervision) -> None:
    require(c.instruction, "instruction")
    if s.ticket.department_id is None:
        raise invalid(text("refusal_no_department"))


def propose_supervision(s: Step, c: ProposeSupervision) -> dict:
    propose(s, c.trigger, c.instruction.strip())
    return {"trigger": c.trigger, "instruction": c.instruction.strip()}


NO_OPEN_SUPERVISION = {SupervisionState.NONE, SupervisionState.REPLIED, SupervisionState.DISMISSED}

declare(ProposeSupervision, who=(*LEADER_ROLES, Role.OFFICE), sources=EVER_DISPATCHED,
        sub=SUPERVISION.move(NO_OPEN_SUPERVISION, SupervisionState.PROPOSED, refusal="refusal_supervised"),
        guard=check_propose, effect=propose_supervision, queues={"supervision_proposed"}, settles=(),
        presses={"propose_supervision": Press(("instruction",),
                                              lambda t, v: ProposeSupervision(t, v["instruction"]))})


# --- created by the office ---------------------------------------------------------------


@dataclass(frozen=True)
class CreateSupervision:
    ticket_id: int
    action = "create_supervision"


def create_supervision(s: Step, c: CreateSupervision) -> dict:
    supervision = queries.open_supervision(s.session, s.ticket.id)
    supervision.status = SupervisionState.CREATED.value
    supervision.created_by_id, supervision.created_at = s.actor.member_id, s.now
    s.close_stages([Stage.SUPERVISION_CREATE])
    row = s.open_stage(Stage.SUPERVISION_REPLY, s.now)
    row.supervision_id = supervision.id
    s.to_department("supervision_card", instruction=supervision.instruction, trigger=supervision.trigger,
                    due=s.due(row))
    return {"supervision_id": supervision.id}


declare(CreateSupervision, who=Role.OFFICE, sources=EVER_DISPATCHED,
        sub=SUPERVISION.move(SupervisionState.PROPOSED, SupervisionState.CREATED),
        guard=no_guard, effect=create_supervision, queues={"supervision_card"}, settles={"supervision_proposed"})


# --- answered by the department --------------------------------------------------------


@dataclass(frozen=True)
class ReplySupervision:
    ticket_id: int
    text: str
    action = "reply_supervision"


def check_reply(s: Step, c: ReplySupervision) -> None:
    require(c.text, "supervision_reply")


def reply_supervision(s: Step, c: ReplySupervision) -> dict:
    supervision = queries.open_supervision(s.session, s.ticket.id)
    supervision.status, supervision.reply, supervision.replied_at = (SupervisionState.REPLIED.value, c.text.strip(),
                                                                     s.now)
    s.close_stages([Stage.SUPERVISION_REPLY])
    s.to_office("supervision_replied", by=s.actor.name, reply=c.text.strip())
    return {"supervision_id": supervision.id}


declare(ReplySupervision, who=Role.HANDLER, own_department=True, sources=EVER_DISPATCHED,
        sub=SUPERVISION.move(SupervisionState.CREATED, SupervisionState.REPLIED),
        guard=check_reply, effect=reply_supervision, queues={"supervision_replied"}, settles={"supervision_card"},
        presses={"reply_supervision": Press(("supervision_reply",),
                                            lambda t, v: ReplySupervision(t, v["supervision_reply"]))})


# --- dismissed: a 正当理由 (办法 第十六条「无正当理由…不能按时办结的」 are 督办件, others not) ----------


@dataclass(frozen=True)
class DismissSupervision:
    """The office or a bureau leader (第十六条) records why the proposal is not a 督办件."""

    ticket_id: int
    reason: str
    action = "dismiss_supervision"


# 办法 第十六条: the operator (the office) lists a case as 督办件, so the office judges whether a proposal had a
# 正当理由 — never the department that would be supervised; a leader's instruction is withdrawn by a leader.
DISMISSES_SUPERVISION = (Role.OFFICE, Role.MAIN_LEADER, Role.PETITION_LEADER)


def check_over_the_ticket(s: Step, c=None) -> None:
    """The office and the bureau's leaders over every ticket; a business leader over their department's only."""
    over_all = any(s.actor.has_role(r) for r in (Role.OFFICE, Role.MAIN_LEADER, Role.PETITION_LEADER))
    if not over_all and not s.actor.has(Role.BUSINESS_LEADER, s.ticket.department_id):
        raise Refused("department", text("refusal_department"), department_id=s.ticket.department_id)


def dismiss_ready(s: Step) -> None:
    """A leader's instruction (领导批示: proposed by a leader) is withdrawn by a leader of the bureau, refused at
    the press before a reason is typed; the office dismisses its own and the clock's proposals."""
    if s.actor.has_role(Role.MAIN_LEADER) or s.actor.has_role(Role.PETITION_LEADER):
        return
    leaders = (Role.MAIN_LEADER, Role.PETITION_LEADER, Role.BUSINESS_LEADER)
    proposer = queries.last_actor(s.session, s.ticket.id, ProposeSupervision.action)
    by = Actor.load(s.session, proposer) if proposer is not None else None
    if by is not None and any(by.has_role(r) for r in leaders):
        raise Refused("role", text("refusal_leader_instruction"))


def check_dismiss(s: Step, c: DismissSupervision) -> None:
    dismiss_ready(s)
    require(c.reason, "dismiss_reason")


def dismiss_supervision(s: Step, c: DismissSupervision) -> dict:
    supervision = queries.open_supervision(s.session, s.ticket.id)
    supervision.status = SupervisionState.DISMISSED.value
    supervision.dismissed_by_id, supervision.dismissed_at = s.actor.member_id, s.now
    supervision.dismiss_reason = c.reason.strip()
    s.close_stages([Stage.SUPERVISION_CREATE], cancel=True)  # nothing to create: no more reminders
    s.to_office("supervision_dismissed", by=s.actor.name, reason=c.reason.strip(), trigger=supervision.trigger)
    return {"supervision_id": supervision.id, "reason": c.reason.strip()}


declare(DismissSupervision, who=DISMISSES_SUPERVISION, sources=EVER_DISPATCHED,
        sub=SUPERVISION.move(SupervisionState.PROPOSED, SupervisionState.DISMISSED),
        guard=check_dismiss, effect=dismiss_supervision, queues={"supervision_dismissed"},
        settles={"supervision_proposed"}, ready=dismiss_ready,
        presses={"dismiss_supervision": Press(("dismiss_reason",),
                                              lambda t, v: DismissSupervision(t, v["dismiss_reason"]))})
