"""Problem tickets (规程 三(三)1、2、4、5): the department's report, the leader's signature, the office's check.

A report is opened by a dissatisfied follow-up (see follow_up.py) or, for a repeat
ticket found not factual, by the office (申请结单). It moves on its own machine
(PROBLEM): requested → submitted → signed → verified, back to requested when the
leader returns it. Repeat links are corrected here too.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import ProblemKind, ProblemStatus, Role, Stage
from bot.workflow.core import (
    ALL_STATUSES,
    EVER_DISPATCHED,
    OPEN_WITH_DEPARTMENT,
    EvidenceIn,
    Refused,
    Step,
    invalid,
    missing,
)
from bot.workflow.machines import PROBLEM, ProblemState
from bot.workflow.registry import Press, declare, no_guard
from bot.workflow.returns import check_comment
from storage import queries
from storage.models import ProblemReport, TicketLink
from templates import text

NO_OPEN_REPORT = {ProblemState.NONE, ProblemState.VERIFIED}


def open_report(s: Step, kind: str, at_reply: bool = False) -> None:
    """Ask the department for a report (and its handler in private); `at_reply`: the citizen was
    dissatisfied with the reply itself, not at a 回访."""
    s.session.add(ProblemReport(ticket_id=s.ticket.id, kind=kind, status=ProblemStatus.REQUESTED.value))
    row = s.open_stage(Stage.PROBLEM_REPORT, s.now)
    s.to_department("problem_request", kind=kind, due=s.due(row), at_reply=at_reply)
    if s.ticket.handler_id:
        s.to_member(s.ticket.handler_id, "problem_request", kind=kind, due=s.due(row), at_reply=at_reply)


# --- the office asks for proof that a repeat is not factual (申请结单) ---------------


@dataclass(frozen=True)
class RequestRepeatClosure:
    ticket_id: int
    action = "request_repeat_closure"


def check_repeat_closure(s: Step, c: RequestRepeatClosure) -> None:
    if not s.ticket.repeat:
        raise invalid(text("refusal_not_repeat"))


def request_repeat_closure(s: Step, c: RequestRepeatClosure) -> dict:
    open_report(s, ProblemKind.REPEAT_NOT_FACTUAL)
    return {}


declare(RequestRepeatClosure, who=Role.OFFICE, sources=OPEN_WITH_DEPARTMENT - {"dispatched"},
        sub=PROBLEM.move(NO_OPEN_REPORT, ProblemState.REQUESTED, refusal="refusal_problem_open"),
        guard=check_repeat_closure, effect=request_repeat_closure, queues={"problem_request"}, settles=())


# --- the department's report, with reasons, work done and evidence ---------------------


@dataclass(frozen=True)
class SubmitProblemReport:
    ticket_id: int
    reasons: str
    work_done: str
    evidence: tuple[EvidenceIn, ...] = ()
    action = "submit_problem_report"


def check_report(s: Step, c: SubmitProblemReport) -> None:
    lacking = [k for k, v in (("problem_reasons", c.reasons), ("work_done", c.work_done)) if not v.strip()]
    if not c.evidence:
        lacking.append("problem_evidence")
    if lacking:
        raise missing(lacking, "ticket_field")


def submit_problem_report(s: Step, c: SubmitProblemReport) -> dict:
    problem = queries.open_problem(s.session, s.ticket.id)
    problem.reasons, problem.work_done = c.reasons.strip(), c.work_done.strip()
    problem.status, problem.author_id, problem.submitted_at = ProblemStatus.SUBMITTED.value, s.actor.member_id, s.now
    evidence = s.add_evidence(c.evidence, "problem_evidence", problem.id)
    s.close_stages([Stage.PROBLEM_REPORT])
    s.to_role(Role.BUSINESS_LEADER, "problem_for_signature", department_id=s.ticket.department_id,
              kind=problem.kind, by=s.actor.name, reasons=problem.reasons, work_done=problem.work_done,
              evidence=len(evidence), problem_id=problem.id)
    return {"problem_id": problem.id, "evidence": evidence}


declare(SubmitProblemReport, who=Role.HANDLER, own_department=True, sources=EVER_DISPATCHED,
        sub=PROBLEM.move(ProblemState.REQUESTED, ProblemState.SUBMITTED),
        guard=check_report, effect=submit_problem_report, queues={"problem_for_signature"},
        settles={"problem_request", "problem_returned"},
        presses={"submit_problem_report": Press(flow="problem")})


# --- the business leader signs or returns it ----------------------------------------


@dataclass(frozen=True)
class SignProblemReport:
    ticket_id: int
    action = "sign_problem_report"


def sign_problem_report(s: Step, c: SignProblemReport) -> dict:
    problem = queries.open_problem(s.session, s.ticket.id)
    problem.status, problem.leader_id, problem.signed_at = ProblemStatus.SIGNED.value, s.actor.member_id, s.now
    s.to_office("problem_for_verification", kind=problem.kind, leader=s.actor.name, reasons=problem.reasons,
                work_done=problem.work_done)
    return {"problem_id": problem.id}


declare(SignProblemReport, who=Role.BUSINESS_LEADER, own_department=True, sources=EVER_DISPATCHED,
        sub=PROBLEM.move(ProblemState.SUBMITTED, ProblemState.SIGNED),
        guard=no_guard, effect=sign_problem_report, queues={"problem_for_verification"},
        settles={"problem_for_signature"})


@dataclass(frozen=True)
class ReturnProblemReport:
    ticket_id: int
    comment: str
    action = "return_problem_report"


def return_problem_report(s: Step, c: ReturnProblemReport) -> dict:
    problem = queries.open_problem(s.session, s.ticket.id)
    problem.status = ProblemStatus.REQUESTED.value
    s.reopen_stage(Stage.PROBLEM_REPORT)
    s.to_department("problem_returned", leader=s.actor.name, comment=c.comment, kind=problem.kind)
    return {"problem_id": problem.id, "comment": c.comment}


declare(ReturnProblemReport, who=Role.BUSINESS_LEADER, own_department=True, sources=EVER_DISPATCHED,
        sub=PROBLEM.move(ProblemState.SUBMITTED, ProblemState.REQUESTED),
        guard=check_comment, effect=return_problem_report, queues={"problem_returned"},
        settles={"problem_for_signature"},
        presses={"return_problem_report": Press(("comment",), lambda t, v: ReturnProblemReport(t, v["comment"]))})


# --- the office verifies it (and applies to close a repeat) ----------------------------


@dataclass(frozen=True)
class VerifyProblemReport:
    ticket_id: int
    note: str | None = None
    action = "verify_problem_report"


def verify_problem_report(s: Step, c: VerifyProblemReport) -> dict:
    problem = queries.open_problem(s.session, s.ticket.id)
    problem.status, problem.verified_by_id, problem.verified_at = (ProblemStatus.VERIFIED.value, s.actor.member_id,
                                                                   s.now)
    problem.verification = c.note
    if problem.kind == ProblemKind.REPEAT_NOT_FACTUAL:
        problem.close_applied_at = s.now  # 申请结单: the form goes with the office's application
        s.to_office("close_application", problem_id=problem.id)
    return {"problem_id": problem.id, "note": c.note}


declare(VerifyProblemReport, who=Role.OFFICE, sources=EVER_DISPATCHED,
        sub=PROBLEM.move(ProblemState.SIGNED, ProblemState.VERIFIED),
        guard=no_guard, effect=verify_problem_report, queues={"close_application"},
        settles={"problem_for_verification"},
        presses={"verify_problem_report": Press(("verify_note",),
                                                lambda t, v: VerifyProblemReport(t, v["verify_note"]))})


# --- repeat links corrected by the office --------------------------------------------


@dataclass(frozen=True)
class LinkTickets:
    ticket_id: int
    other_id: int
    action = "link_tickets"


def check_link(s: Step, c: LinkTickets) -> None:
    other = queries.ticket(s.session, c.other_id)
    if other is None or other.id == s.ticket.id:
        raise Refused("not_found", text("refusal_not_found"))
    link = queries.link_between(s.session, s.ticket.id, other.id)
    if link is not None and link.unlinked_at is None:
        raise invalid(text("refusal_already_done"))


def link_tickets(s: Step, c: LinkTickets) -> dict:
    link = queries.link_between(s.session, s.ticket.id, c.other_id)
    if link is None:
        s.session.add(TicketLink(ticket_id=s.ticket.id, related_ticket_id=c.other_id, matched_on=["office"],
                                 created_by_id=s.actor.member_id, created_at=s.now))
    else:
        link.unlinked_at = link.unlinked_by_id = None
    s.ticket.repeat = True
    return {"other_id": c.other_id}


declare(LinkTickets, who=Role.OFFICE, sources=ALL_STATUSES, guard=check_link, effect=link_tickets,
        queues=(), settles=(), presses={})


@dataclass(frozen=True)
class UnlinkTickets:
    ticket_id: int
    other_id: int
    action = "unlink_tickets"


def check_unlink(s: Step, c: UnlinkTickets) -> None:
    link = queries.link_between(s.session, s.ticket.id, c.other_id)
    if link is None or link.unlinked_at is not None:
        raise invalid(text("refusal_not_linked"))


def unlink_tickets(s: Step, c: UnlinkTickets) -> dict:
    link = queries.link_between(s.session, s.ticket.id, c.other_id)
    link.unlinked_at, link.unlinked_by_id = s.now, s.actor.member_id
    s.session.flush()
    s.ticket.repeat = bool(queries.links_of(s.session, s.ticket.id))
    return {"other_id": c.other_id}


declare(UnlinkTickets, who=Role.OFFICE, sources=ALL_STATUSES, guard=check_unlink, effect=unlink_tickets,
        queues=(), settles=(), presses={})
