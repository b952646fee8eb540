"""Returns (退单, 规程 三(一)): by the office at once, or asked by the department and approved by its leader.

The request moves on its own machine (RETURN): requested → approved/rejected → completed.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import ReturnInitiator, Role, Stage, Status
from bot.workflow.core import EvidenceIn, Refused, Step, missing, require
from bot.workflow.machines import RETURN, ReturnState
from bot.workflow.registry import EVERY, Press, declare, no_guard
from storage import queries
from storage.models import TicketReturn
from templates import text

NO_OPEN_REQUEST = {ReturnState.NONE, ReturnState.REJECTED, ReturnState.REASSIGNED}

# --- the office returns a ticket that is plainly not the bureau's ------------


@dataclass(frozen=True)
class OfficeReturn:
    ticket_id: int
    reason: str
    belongs_to: str
    action = "office_return"


def check_office_return(s: Step, c: OfficeReturn) -> None:
    require(c.reason, "return_reason")
    require(c.belongs_to, "belongs_to")


def office_return(s: Step, c: OfficeReturn) -> dict:
    s.session.add(TicketReturn(ticket_id=s.ticket.id, initiator=ReturnInitiator.OFFICE.value, reason=c.reason.strip(),
                               belongs_to=c.belongs_to.strip(), requested_by_id=s.actor.member_id,
                               requested_at=s.now, decision="approved", decided_at=s.now))
    s.close_stages([Stage.DISPATCH])
    row = s.open_stage(Stage.RETURN, s.now)
    return {"reason": c.reason, "belongs_to": c.belongs_to, "return_due": s.due(row)}


declare(OfficeReturn, who=Role.OFFICE, sources={Status.RECEIVED}, target=Status.RETURN_APPROVED,
        sub=RETURN.move(NO_OPEN_REQUEST, ReturnState.APPROVED),
        guard=check_office_return, effect=office_return, queues=(), settles=EVERY,
        presses={"office_return": Press(("reason", "belongs_to"),
                                        lambda t, v: OfficeReturn(t, v["reason"], v["belongs_to"]))})


# --- the department asks to return, with reason and evidence -------------------


@dataclass(frozen=True)
class AskReturn:
    ticket_id: int
    reason: str
    evidence: tuple[EvidenceIn, ...] = ()
    action = "ask_return"


def check_return_in_time(s: Step) -> None:
    """规程 三(一) 「承办责任科室须在处置时限内提交」: not after the department's own deadline has passed."""
    stage = queries.latest_stage(s.session, s.ticket.id, s.rules.workflow.return_within_stage)
    if stage is not None and stage.open and stage.due_at < s.now:
        raise Refused("too_late", text("refusal_return_late", due=s.due(stage)))


def check_ask_return(s: Step, c: AskReturn) -> None:
    check_return_in_time(s)
    require(c.reason, "return_reason")
    if s.rules.flag("workflow", "return_requires_evidence") and not c.evidence:
        raise missing(["return_evidence"], "ticket_field")


def ask_return(s: Step, c: AskReturn) -> dict:
    request = TicketReturn(ticket_id=s.ticket.id, initiator=ReturnInitiator.DEPARTMENT.value, reason=c.reason.strip(),
                           requested_by_id=s.actor.member_id, requested_at=s.now)
    s.session.add(request)
    s.session.flush()
    evidence = s.add_evidence(c.evidence, "return_evidence", request.id)
    s.close_stages([Stage.ACCEPT])
    path = s.open_stage(Stage.RETURN_PATH, s.now)  # 规程 三(一): the whole 退单流程 within one working day
    decision = s.open_stage(Stage.RETURN_DECISION, s.now)
    if decision is not None and path is not None and decision.due_at > path.due_at:
        decision.due_at, decision.capped = path.due_at, True
    s.to_role(Role.BUSINESS_LEADER, "return_request", department_id=s.ticket.department_id,
              requested_by=s.actor.name, return_id=request.id, reason=c.reason.strip(), evidence=len(evidence),
              decision_due=s.due(decision), path_due=s.due(path))
    return {"return_id": request.id, "reason": c.reason, "evidence": evidence}


declare(AskReturn, who=Role.HANDLER, own_department=True, sources={Status.DISPATCHED, Status.ACCEPTED},
        target=Status.RETURN_REQUESTED, sub=RETURN.move(NO_OPEN_REQUEST, ReturnState.REQUESTED),
        guard=check_ask_return, effect=ask_return, queues={"return_request"}, settles=EVERY, ready=check_return_in_time,
        presses={"ask_return": Press(flow="return")})


# --- the business leader decides ---------------------------------------------


@dataclass(frozen=True)
class ApproveReturn:
    ticket_id: int
    comment: str | None = None
    action = "approve_return"


def _decide(s: Step, approved: bool, comment: str | None) -> TicketReturn:
    request = queries.open_return(s.session, s.ticket.id)
    request.leader_id = s.actor.member_id
    request.decision = "approved" if approved else "rejected"
    request.decided_at = s.now
    request.leader_comment = comment
    return request


def approve_return(s: Step, c: ApproveReturn) -> dict:
    request = _decide(s, True, c.comment)
    s.close_stages([Stage.RETURN_DECISION])
    s.close_stages([Stage.ACCEPT, Stage.REPLY, Stage.DEPT_FIRST_CONTACT, Stage.ACCEPTANCE_NOTICE], cancel=True)
    # the office returns it by the end of the whole path (规程 三(一)); a request from before the path was timed
    # gets the office's own day
    paths = queries.open_stages(s.session, s.ticket.id, [Stage.RETURN_PATH.value])
    row = paths[-1] if paths else s.open_stage(Stage.RETURN, s.now)
    # 规程 三(一) 「说明理由并提交相关证明…交局办公室」: what the office returns it with (the files: 查看佐证)
    proof = [a for a in queries.attachments_of(s.session, s.ticket.id, "return_evidence") if a.owner_id == request.id]
    s.to_office("return_approved", leader=s.actor.name, return_id=request.id, return_due=s.due(row),
                reason=request.reason, evidence=len(proof), comment=c.comment)
    s.to_department("return_decided", approved=True, leader=s.actor.name)
    return {"return_id": request.id, "comment": c.comment}


declare(ApproveReturn, who=Role.BUSINESS_LEADER, own_department=True, sources={Status.RETURN_REQUESTED},
        target=Status.RETURN_APPROVED, sub=RETURN.move(ReturnState.REQUESTED, ReturnState.APPROVED),
        guard=no_guard, effect=approve_return, queues={"return_approved", "return_decided"}, settles=EVERY)


@dataclass(frozen=True)
class RejectReturn:
    ticket_id: int
    comment: str
    action = "reject_return"


def check_comment(s: Step, c) -> None:
    require(c.comment, "comment")


def reject_return(s: Step, c: RejectReturn) -> dict:
    request = _decide(s, False, c.comment)
    request.completed_at = s.now
    s.close_stages([Stage.RETURN_DECISION])
    s.close_stages([Stage.RETURN_PATH], cancel=True)
    if s.ticket.handler_id is None:
        s.ticket.handler_id = request.requested_by_id
    s.to_department("return_decided", approved=False, leader=s.actor.name, comment=c.comment)
    return {"return_id": request.id, "comment": c.comment}


declare(RejectReturn, who=Role.BUSINESS_LEADER, own_department=True, sources={Status.RETURN_REQUESTED},
        target=Status.ACCEPTED, sub=RETURN.move(ReturnState.REQUESTED, ReturnState.REJECTED),
        guard=check_comment, effect=reject_return, queues={"return_decided"}, settles=EVERY,
        presses={"reject_return": Press(("comment",), lambda t, v: RejectReturn(t, v["comment"]))})


# --- the office returns it through the original channel -------------------------


@dataclass(frozen=True)
class CompleteReturn:
    ticket_id: int
    note: str | None = None
    action = "complete_return"


def complete_return(s: Step, c: CompleteReturn) -> dict:
    request = queries.open_return(s.session, s.ticket.id)
    request.completed_by_id = s.actor.member_id
    request.completed_at = s.now
    request.channel_note = c.note
    s.close_stages([Stage.RETURN, Stage.RETURN_PATH])
    s.close_stages(None, cancel=True)
    s.ticket.closed_at = s.now
    if s.ticket.department_id is not None:
        s.to_department("returned")
    return {"return_id": request.id, "note": c.note}


declare(CompleteReturn, who=Role.OFFICE, sources={Status.RETURN_APPROVED}, target=Status.RETURNED,
        sub=RETURN.move(ReturnState.APPROVED, ReturnState.COMPLETED),
        guard=no_guard, effect=complete_return, queues={"returned"}, settles=EVERY)
