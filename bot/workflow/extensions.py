"""Extensions (延期): the department asks for more working days on its reply before the deadline
passes; its business leader decides. The request moves on its own machine (EXTENSION):
requested → approved / rejected. 延期 is the bureau's own addition, not a seed rule (SPEC §9.2).

The bureau cannot move a 12345 ticket's 办结时效 (规程 二(二)3); only the district hotline office
(区热线办) can. An approved 延期 that would pass it moves the reply to the 办结时效 and no further,
and says 「超出12345办结时效，需向区热线办申请延期」; the application moves on its own machine
(HOTLINE_EXTENSION): needed → applied (the office applied) → granted / refused (its answer).
A grant moves the 办结时效 itself, and the reply up to what the department asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Role, Stage, Status
from bot.parsing import parse_local_time
from bot.workflow.core import OPEN, WITH_DEPARTMENT, Refused, Step, invalid, require, utc
from bot.workflow.machines import EXTENSION, HOTLINE_EXTENSION, ExtensionState, HotlineExtensionState
from bot.workflow.registry import Press, declare, no_guard
from bot.workflow.returns import check_comment
from storage import queries
from storage.models import Extension, HotlineExtension, StageDeadline
from templates import text

DEPARTMENT_HAS_IT = WITH_DEPARTMENT | {Status.DISPATCHED}
HOTLINE_PENDING = {HotlineExtensionState.NEEDED, HotlineExtensionState.APPLIED}


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
    if HOTLINE_EXTENSION.state(s.session, s.ticket.id) in HOTLINE_PENDING:
        raise Refused("hotline_pending", text("refusal_hotline_pending"))


def request_extension(s: Step, c: RequestExtension) -> dict:
    stage = s.reply_stage()
    request = Extension(ticket_id=s.ticket.id, stage_deadline_id=stage.id, reason=c.reason.strip(),
                        working_days=c.working_days, requested_by_id=s.actor.member_id, requested_at=s.now,
                        old_due_at=stage.due_at)
    s.session.add(request)
    s.session.flush()
    overall = s.overall()
    extended = s.calc.extend(stage.due_at, c.working_days, overall)
    s.to_role(Role.BUSINESS_LEADER, "extension_request", department_id=s.ticket.department_id,
              requested_by=s.actor.name, days=c.working_days, reason=c.reason.strip(),
              old_due=s.local(stage.due_at), new_due=extended.wanted.due_at,
              over_overall=extended.needs_hotline, overall_due=overall.due_at if overall else None)
    return {"extension_id": request.id, "days": c.working_days, "reason": c.reason.strip(),
            "over_overall": extended.needs_hotline}


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
    overall = s.overall()
    extended = s.calc.extend(old.due_at, request.working_days, overall)
    row = _move_stage(s, old, extended.granted.due_at, f"extended:+{request.working_days}",
                      capped=extended.needs_hotline, fallback=bool(extended.granted.fallback_years))
    request.decision, request.decided_at, request.leader_id = "approved", s.now, s.actor.member_id
    request.new_due_at, request.comment = row.due_at, c.comment
    new_due = s.local(row.due_at)
    hotline: dict = {"over_overall": False}
    if extended.needs_hotline:  # SPEC §9.2: the bureau goes no further; the district hotline office decides
        s.session.add(HotlineExtension(ticket_id=s.ticket.id, extension_id=request.id, old_due_at=utc(overall.due_at),
                                       wanted_due_at=utc(extended.wanted.due_at), needed_at=s.now))
        hotline = {"over_overall": True, "wanted_due": extended.wanted.due_at, "overall_due": overall.due_at}
        s.to_office("hotline_extension_needed", days=request.working_days, **hotline)
    for tell in (s.to_department, s.to_office):
        tell("extension_decided", approved=True, leader=s.actor.name, new_due=new_due, days=request.working_days,
             **hotline)
    return {"extension_id": request.id, "new_due": new_due, "over_overall": extended.needs_hotline}


def _move_stage(s: Step, old: StageDeadline, due_at, rule: str, capped: bool = False,
                fallback: bool = False) -> StageDeadline:
    """A stage due later: a new row, so its warnings start afresh; the old row keeps its history.
    A stage that does not move (already at the 办结时效) keeps its row."""
    if utc(due_at) <= old.due_at:
        return old
    old.open, old.cancelled_at = False, s.now
    row = StageDeadline(ticket_id=s.ticket.id, stage=old.stage, department_id=old.department_id,
                        started_at=old.started_at, due_at=utc(due_at), original_due_at=old.original_due_at or old.due_at,
                        rule=rule, capped=capped, calendar_fallback=old.calendar_fallback or fallback,
                        urgent=old.urgent, supervision_id=old.supervision_id)
    s.session.add(row)
    s.session.flush()
    return row


declare(ApproveExtension, who=Role.BUSINESS_LEADER, own_department=True, sources=DEPARTMENT_HAS_IT,
        sub=EXTENSION.move(ExtensionState.REQUESTED, ExtensionState.APPROVED),
        guard=no_guard, effect=approve_extension, queues={"extension_decided", "hotline_extension_needed"},
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


# --- the application to the district hotline office (区热线办), SPEC §9.2 --------------------------

# approve_extension's effect opens the application when the 延期 passes the 办结时效 (its own machine is EXTENSION)
HOTLINE_EXTENSION.move({HotlineExtensionState.NONE, HotlineExtensionState.GRANTED, HotlineExtensionState.REFUSED},
                       HotlineExtensionState.NEEDED)


@dataclass(frozen=True)
class ApplyHotlineExtension:
    """The office applied to the district hotline office for a later 办结时效."""

    ticket_id: int
    action = "apply_hotline_extension"


def apply_hotline_extension(s: Step, c: ApplyHotlineExtension) -> dict:
    application = queries.latest_hotline_extension(s.session, s.ticket.id)
    application.applied_at, application.applied_by_id = s.now, s.actor.member_id
    s.to_office("hotline_extension_applied", wanted_due=s.local(application.wanted_due_at),
                overall_due=s.local(application.old_due_at))
    return {"hotline_extension_id": application.id}


declare(ApplyHotlineExtension, who=Role.OFFICE, sources=OPEN,
        sub=HOTLINE_EXTENSION.move(HotlineExtensionState.NEEDED, HotlineExtensionState.APPLIED),
        guard=no_guard, effect=apply_hotline_extension, queues={"hotline_extension_applied"},
        settles={"hotline_extension_needed"}, presses={"apply_hotline_extension": Press()})


@dataclass(frozen=True)
class GrantHotlineExtension:
    """The district hotline office granted: the 办结时效 it set, as typed (10月16日), or the one asked."""

    ticket_id: int
    granted_due: str | None = None
    comment: str | None = None
    action = "grant_hotline_extension"


def _granted_due(s: Step, c: GrantHotlineExtension):
    application = queries.latest_hotline_extension(s.session, s.ticket.id)
    if not (c.granted_due or "").strip():
        return s.local(application.wanted_due_at)
    moment = parse_local_time(c.granted_due, s.local(s.now), future=True)
    if moment is None:
        return None
    due = s.calc.end_of(moment.date())
    return due if due > application.old_due_at else None


def check_grant(s: Step, c: GrantHotlineExtension) -> None:
    if _granted_due(s, c) is None:
        raise invalid(text("refusal_hotline_date"))


def grant_hotline_extension(s: Step, c: GrantHotlineExtension) -> dict:
    application = queries.latest_hotline_extension(s.session, s.ticket.id)
    due = _granted_due(s, c)
    application.decision, application.decided_at = HotlineExtensionState.GRANTED.value, s.now
    application.granted_due_at, application.recorded_by_id, application.comment = utc(due), s.actor.member_id, c.comment
    s.ticket.overall_due_at = utc(due)
    for row in queries.open_stages(s.session, s.ticket.id, [Stage.OVERALL.value]):
        _move_stage(s, row, due, "hotline_extended")
    # the reply, up to what the department asked and the new 办结时效 allow
    request = s.session.get(Extension, application.extension_id) if application.extension_id else None
    reply = s.reply_stage()
    if request is not None and reply is not None:
        _move_stage(s, reply, min(s.local(application.wanted_due_at), due), f"extended:+{request.working_days}")
    reply = s.reply_stage()
    for tell in (s.to_department, s.to_office):
        tell("hotline_extension_decided", granted=True, overall_due=due,
             reply_due=s.local(reply.due_at) if reply else None)
    return {"hotline_extension_id": application.id, "overall_due": due}


declare(GrantHotlineExtension, who=Role.OFFICE, sources=OPEN,
        sub=HOTLINE_EXTENSION.move(HotlineExtensionState.APPLIED, HotlineExtensionState.GRANTED),
        guard=check_grant, effect=grant_hotline_extension, queues={"hotline_extension_decided"},
        settles={"hotline_extension_applied"},
        presses={"grant_hotline_extension": Press(("hotline_due",), lambda t, v: GrantHotlineExtension(
            t, v["hotline_due"]))})


@dataclass(frozen=True)
class RefuseHotlineExtension:
    """The district hotline office refused: the 办结时效 stands."""

    ticket_id: int
    comment: str
    action = "refuse_hotline_extension"


def refuse_hotline_extension(s: Step, c: RefuseHotlineExtension) -> dict:
    application = queries.latest_hotline_extension(s.session, s.ticket.id)
    application.decision, application.decided_at = HotlineExtensionState.REFUSED.value, s.now
    application.recorded_by_id, application.comment = s.actor.member_id, c.comment.strip()
    for tell in (s.to_department, s.to_office):
        tell("hotline_extension_decided", granted=False, comment=c.comment.strip(),
             overall_due=s.local(application.old_due_at))
    return {"hotline_extension_id": application.id, "comment": c.comment.strip()}


declare(RefuseHotlineExtension, who=Role.OFFICE, sources=OPEN,
        sub=HOTLINE_EXTENSION.move(HotlineExtensionState.APPLIED, HotlineExtensionState.REFUSED),
        guard=check_comment, effect=refuse_hotline_extension, queues={"hotline_extension_decided"},
        settles={"hotline_extension_applied"},
        presses={"refuse_hotline_extension": Press(("hotline_comment",), lambda t, v: RefuseHotlineExtension(
            t, v["hotline_comment"]))})
