"""Review and closing per channel (规程 二(一)1、3, 二(二)2, 二(三), 三(二)).

The office reviews the approved reply (办结规范) and passes it or sends it back
(重办); then petition: the final reply (附件2) → the petition-line leader → mailed;
12345: the approval form (附件4) → the petition-line leader → the platform;
962200: the platform reply. The petition's acceptance notice runs beside.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import forms
from bot.domain import Channel, ReplyStatus, Role, Stage, Status
from bot.workflow.core import AFTER_ACCEPTANCE, Step, invalid, jsonable, missing, require
from bot.workflow.immediate import is_department_reply
from bot.workflow.machines import REPLY, ReplyState
from bot.workflow.registry import EVERY, Press, declare, no_guard
from bot.workflow.reply import REPLY_FIELDS, conformity_missing
from bot.workflow.returns import check_comment
from storage import queries
from storage.models import FormRecord, Reply
from templates import text

P, H, N = Channel.PETITION.value, Channel.HOTLINE_12345.value, Channel.HOTLINE_962200.value

# --- the petition's acceptance notice (受理告知书, 规程 二(一)1) ----------------------


@dataclass(frozen=True)
class SendAcceptanceNotice:
    ticket_id: int
    action = "send_acceptance_notice"


def check_notice(s: Step, c: SendAcceptanceNotice) -> None:
    if s.ticket.acceptance_notice_sent_at is not None:
        raise invalid(text("refusal_already_done"))


def send_acceptance_notice(s: Step, c: SendAcceptanceNotice) -> dict:
    s.ticket.acceptance_notice_sent_at = s.now
    s.close_stages([Stage.ACCEPTANCE_NOTICE])
    return {}


declare(SendAcceptanceNotice, who=Role.OFFICE, sources=AFTER_ACCEPTANCE, channels={P},
        guard=check_notice, effect=send_acceptance_notice, queues=(), settles={"accepted"})


# --- the office's review (办结规范, 规程 三(二)) -------------------------------------


@dataclass(frozen=True)
class PassReview:
    ticket_id: int
    action = "pass_review"


def check_pass(s: Step, c: PassReview) -> None:
    lacking = conformity_missing(s.ticket, queries.current_reply(s.session, s.ticket.id))
    if lacking and s.rules.flag("workflow", "review_blocks_on_missing"):
        raise missing(lacking)


NEXT_AFTER_REVIEW = {Status.PLATFORM_REPLY: "platform_reply_due", Status.APPROVAL_FORM: "approval_form_due",
                     Status.FINAL_REPLY: "final_reply_due"}


def pass_review(s: Step, c: PassReview) -> dict:
    reply = queries.current_reply(s.session, s.ticket.id)
    reply.reviewed_by_id, reply.reviewed_at = s.actor.member_id, s.now
    s.ticket.satisfaction = reply.satisfaction
    s.to_office(NEXT_AFTER_REVIEW[Status(s.ticket.status)], reviewer=s.actor.name)
    return {"reply_id": reply.id}


declare(PassReview, who=Role.OFFICE, sources={Status.DEPT_REPLIED},
        target={P: Status.FINAL_REPLY, H: Status.APPROVAL_FORM, N: Status.PLATFORM_REPLY},
        sub=REPLY.move(ReplyState.APPROVED, ReplyState.APPROVED),
        guard=check_pass, effect=pass_review, queues=set(NEXT_AFTER_REVIEW.values()), settles=EVERY)


@dataclass(frozen=True)
class FailReview:
    ticket_id: int
    reasons: tuple[str, ...]
    action = "fail_review"


def check_fail(s: Step, c: FailReview) -> None:
    if not [r for r in c.reasons if r.strip()]:
        raise missing(["review_reasons"], "ticket_field")


def fail_review(s: Step, c: FailReview) -> dict:
    reasons = [r.strip() for r in c.reasons if r.strip()]
    old = queries.current_reply(s.session, s.ticket.id)
    old.status = ReplyStatus.SENT_BACK.value
    old.reviewed_by_id, old.reviewed_at, old.review_reasons = s.actor.member_id, s.now, reasons
    # The redo starts from a copy of the sent-back reply; the old one stays as it was reviewed.
    copy = {k: getattr(old, k) for k in REPLY_FIELDS}
    s.session.add(Reply(ticket_id=s.ticket.id, round=old.round + 1, author_id=old.author_id,
                        department_id=s.ticket.department_id, created_at=s.now, updated_at=s.now, **copy))
    s.ticket.redo_count += 1
    s.reopen_stage(Stage.REPLY)
    s.close_stages([Stage.FINAL_REPLY], cancel=True)
    s.to_department("redo", reasons=reasons, redo_count=s.ticket.redo_count)
    if old.author_id:
        s.to_member(old.author_id, "redo", reasons=reasons, redo_count=s.ticket.redo_count)
    return {"reply_id": old.id, "reasons": reasons, "redo_count": s.ticket.redo_count}


declare(FailReview, who=Role.OFFICE, sources={Status.DEPT_REPLIED}, target=Status.ACCEPTED,
        sub=REPLY.move(ReplyState.APPROVED, ReplyState.DRAFT),
        guard=check_fail, effect=fail_review, queues={"redo"}, settles=EVERY,
        presses={"fail_review": Press(("reasons",), lambda t, v: FailReview(t, tuple(v["reasons"].splitlines())))})


# --- the forms the petition-line leader signs (附件2, 附件4) ----------------------------


def _file_form(s: Step, number: int, values: dict) -> FormRecord:
    data = {**forms.form_data(s.session, s.ticket, s.calc, True, s.now), **values}
    record = FormRecord(ticket_id=s.ticket.id, form=number, data=jsonable(data), created_by_id=s.actor.member_id,
                        created_at=s.now)
    s.session.add(record)
    s.session.flush()
    return record


@dataclass(frozen=True)
class SubmitApprovalForm:
    """12345: the office files 附件4, filled from the ticket (values: what the office changed)."""

    ticket_id: int
    values: dict = field(default_factory=dict)
    action = "submit_approval_form"


def submit_approval_form(s: Step, c: SubmitApprovalForm) -> dict:
    record = _file_form(s, 4, c.values)
    s.to_role(Role.PETITION_LEADER, "signoff_request", form=4, form_id=record.id)
    return {"form_id": record.id}


declare(SubmitApprovalForm, who=Role.OFFICE, sources={Status.APPROVAL_FORM}, target=Status.LEADER_SIGNOFF,
        channels={H}, guard=no_guard, effect=submit_approval_form, queues={"signoff_request"}, settles=EVERY)


@dataclass(frozen=True)
class SubmitFinalReply:
    """Petition: the office files the final 附件2 (规程 二(一)3), within one working day."""

    ticket_id: int
    values: dict = field(default_factory=dict)
    action = "submit_final_reply"


def submit_final_reply(s: Step, c: SubmitFinalReply) -> dict:
    record = _file_form(s, 2, c.values)
    s.close_stages([Stage.FINAL_REPLY])
    s.to_role(Role.PETITION_LEADER, "signoff_request", form=2, form_id=record.id)
    return {"form_id": record.id}


declare(SubmitFinalReply, who=Role.OFFICE, sources={Status.FINAL_REPLY}, target=Status.LEADER_SIGNOFF,
        channels={P}, guard=no_guard, effect=submit_final_reply, queues={"signoff_request"}, settles=EVERY)


# --- the petition-line leader signs off -----------------------------------------------


@dataclass(frozen=True)
class ApproveSignoff:
    ticket_id: int
    comment: str | None = None
    action = "approve_signoff"


def approve_signoff(s: Step, c: ApproveSignoff) -> dict:
    record = queries.latest_form(s.session, s.ticket.id)
    if record is not None:
        record.signed_by_id, record.signed_at = s.actor.member_id, s.now
    s.to_office("mail_due" if s.ticket.status == Status.AWAITING_MAIL else "platform_reply_due",
                leader=s.actor.name)
    return {"form_id": record.id if record else None, "comment": c.comment}


def check_signoff(s: Step, c) -> None:
    is_department_reply(s)


def check_signoff_rejection(s: Step, c: RejectSignoff) -> None:
    is_department_reply(s)
    check_comment(s, c)


declare(ApproveSignoff, who=Role.PETITION_LEADER, sources={Status.LEADER_SIGNOFF},
        target={P: Status.AWAITING_MAIL, H: Status.PLATFORM_REPLY}, channels={P, H},
        guard=check_signoff, effect=approve_signoff, queues={"mail_due", "platform_reply_due"}, settles=EVERY)


@dataclass(frozen=True)
class RejectSignoff:
    ticket_id: int
    comment: str
    action = "reject_signoff"


def reject_signoff(s: Step, c: RejectSignoff) -> dict:
    s.to_office("signoff_rejected", leader=s.actor.name, comment=c.comment)
    s.to_office("final_reply_due" if s.ticket.status == Status.FINAL_REPLY else "approval_form_due",
                reviewer=s.actor.name)
    return {"comment": c.comment}


declare(RejectSignoff, who=Role.PETITION_LEADER, sources={Status.LEADER_SIGNOFF},
        target={P: Status.FINAL_REPLY, H: Status.APPROVAL_FORM}, channels={P, H},
        guard=check_signoff_rejection, effect=reject_signoff,
        queues={"signoff_rejected", "final_reply_due", "approval_form_due"}, settles=EVERY,
        presses={"reject_signoff": Press(("comment",), lambda t, v: RejectSignoff(t, v["comment"]))})


# --- closed: mailed (petition) or answered on the platform (12345, 962200) ---------------


@dataclass(frozen=True)
class RecordMail:
    """Entered into the city system and mailed by registered letter (挂号信)."""

    ticket_id: int
    letter_no: str
    action = "record_mail"


def check_mail(s: Step, c: RecordMail) -> None:
    require(c.letter_no, "letter_no")


def record_mail(s: Step, c: RecordMail) -> dict:
    s.ticket.letter_no = c.letter_no.strip()
    s.ticket.city_system_entered_at = s.now
    s.close_ticket()
    return {"letter_no": s.ticket.letter_no}


declare(RecordMail, who=Role.OFFICE, sources={Status.AWAITING_MAIL}, target=Status.CLOSED, channels={P},
        guard=check_mail, effect=record_mail, queues={"closed"}, settles=EVERY,
        presses={"record_mail": Press(("letter_no",), lambda t, v: RecordMail(t, v["letter_no"]))})


@dataclass(frozen=True)
class RecordPlatformReply:
    ticket_id: int
    text: str | None = None
    action = "record_platform_reply"


def record_platform_reply(s: Step, c: RecordPlatformReply) -> dict:
    s.ticket.platform_reply = c.text
    s.close_ticket()
    return {"text": c.text}


declare(RecordPlatformReply, who=Role.OFFICE, sources={Status.PLATFORM_REPLY}, target=Status.CLOSED,
        channels={H, N}, guard=no_guard, effect=record_platform_reply, queues={"closed"}, settles=EVERY)
