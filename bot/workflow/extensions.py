"""Extensions (延期): the department asks for more working days on its reply before the deadline
passes; its business leader decides. The request moves on its own machine (EXTENSION):
requested → approved / rejected. 延期 is the bureau's own addition, not a seed rule (SPEC §9.2).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Role, Status
from bot.workflow.core import WITH_DEPARTMENT, Refused, Step, invalid, require, utc
from bot.workflow.machines import EXTENSION, ExtensionState
from bot.workflow.registry import Press, declare, no_guard
from bot.workflow.returns import check_comment
from storage import queries
from storage.models import Extension, StageDeadline
from templates import text

DEPARTMENT_HAS_IT = WITH_DEPARTMENT | {Status.DISPATCHED}


def _digits(raw: str) -> int:
    digits = "".join(ch for ch in raw if ch.isdigit())
    return int(digits) if digits else 0


# --- asked by the department -------------------------------------------------------------


@dataclass(frozen=True)
class RequestExtension:
    ticket_id: int
    working_days: int
    reason: str
    action = "request_extension"


def check_request(s: Step, c: RequestExtension) -> None:
    most = s.rules.flag("workflow", "extension_max_working_days")
    if not isinstance(c.working_days, int) or not 1 <= c.working_days <= most:
        raise invalid(text("refusal_extension_days", most=most))
    require(c.reason, "extension_reason")
    stage = s.reply_stage()
    if stage is None or stage.due_at < s.now:
        raise Refused("too_late", text("refusal_extension_late"))


def _extended_day(s: Step, due_at, working_days: int):
    return s.calc.calendar.add_working_days(s.local(due_at).date(), working_days)


def request_extension(s: Step, c: RequestExtension) -> dict:
    stage = s.reply_stage()
    request = Extension(ticket_id=s.ticket.id, stage_deadline_id=stage.id, reason=c.reason.strip(),
                        working_days=c.working_days, requested_by_id=s.actor.member_id, requested_at=s.now,
                        old_due_at=stage.due_at)
    s.session.add(request)
    s.session.flush()
    new_due = s.calc.end_of(_extended_day(s, stage.due_at, c.working_days).day)
    s.to_role(Role.BUSINESS_LEADER, "extension_request", department_id=s.ticket.department_id,
              requested_by=s.actor.name, days=c.working_days, reason=c.reason.strip(),
              old_due=s.local(stage.due_at), new_due=new_due)
    return {"extension_id": request.id, "days": c.working_days, "reason": c.reason.strip()}


declare(RequestExtension, who=Role.HANDLER, own_department=True, sources=DEPARTMENT_HAS_IT,
        sub=EXTENSION.move({ExtensionState.NONE, ExtensionState.APPROVED, ExtensionState.REJECTED},
                           ExtensionState.REQUESTED, refusal="refusal_extension_pending"),
        guard=check_request, effect=request_extension, queues={"extension_request"}, settles=(),
        presses={"request_extension": Press(("ext_days", "ext_reason"), lambda t, v: RequestExtension(
            t, _digits(v["ext_days"]), v["ext_reason"]))})


# --- decided by the business leader ------------------------------------------------------


@dataclass(frozen=True)
class ApproveExtension:
    ticket_id: int
    comment: str | None = None
    action = "approve_extension"


def approve_extension(s: Step, c: ApproveExtension) -> dict:
    request = queries.pending_extension(s.session, s.ticket.id)
    old = s.session.get(StageDeadline, request.stage_deadline_id)
    result = _extended_day(s, old.due_at, request.working_days)
    # the extended deadline is a new row: its warnings start afresh, the old row keeps its history
    old.open, old.cancelled_at = False, s.now
    extended = StageDeadline(ticket_id=s.ticket.id, stage=old.stage, department_id=old.department_id,
                             started_at=old.started_at, due_at=utc(s.calc.end_of(result.day)),
                             original_due_at=old.original_due_at or old.due_at,
                             rule=f"extended:+{request.working_days}",
                             calendar_fallback=old.calendar_fallback or bool(result.fallback_years),
                             urgent=old.urgent)
    s.session.add(extended)
    s.session.flush()
    request.decision, request.decided_at, request.leader_id = "approved", s.now, s.actor.member_id
    request.new_due_at, request.comment = extended.due_at, c.comment
    new_due = s.local(extended.due_at)
    for tell in (s.to_department, s.to_office):
        tell("extension_decided", approved=True, leader=s.actor.name, new_due=new_due, days=request.working_days)
    return {"extension_id": request.id, "new_due": new_due}


declare(ApproveExtension, who=Role.BUSINESS_LEADER, own_department=True, sources=DEPARTMENT_HAS_IT,
        sub=EXTENSION.move(ExtensionState.REQUESTED, ExtensionState.APPROVED),
        guard=no_guard, effect=approve_extension, queues={"extension_decided"},
        settles={"extension_request"})


@dataclass(frozen=True)
class RejectExtension:
    ticket_id: int
    comment: str
    action = "reject_extension"


def reject_extension(s: Step, c: RejectExtension) -> dict:
    request = queries.pending_extension(s.session, s.ticket.id)
    request.decision, request.decided_at, request.leader_id, request.comment = ("rejected", s.now,
                                                                                s.actor.member_id, c.comment)
    s.to_department("extension_decided", approved=False, leader=s.actor.name, comment=c.comment,
                    days=request.working_days)
    return {"extension_id": request.id, "comment": c.comment}


declare(RejectExtension, who=Role.BUSINESS_LEADER, own_department=True, sources=DEPARTMENT_HAS_IT,
        sub=EXTENSION.move(ExtensionState.REQUESTED, ExtensionState.REJECTED),
        guard=check_comment, effect=reject_extension, queues={"extension_decided"}, settles={"extension_request"},
        presses={"reject_extension": Press(("comment",), lambda t, v: RejectExtension(t, v["comment"]))})
