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
from bot.workflow.core import AFTER_ACCEPTANCE, Refused, Step, invalid, jsonable, missing, require
from bot.workflow.immediate import is_department_reply
from bot.workflow.machines import REPLY, ReplyState
from bot.workflow.registry import EVERY, Press, declare, no_guard
from bot.workflow.reply import REPLY_FIELDS, conformity_missing, style_notes
from bot.workflow.returns import check_comment
from storage import queries
from storage.models import FormRecord, Reply
from templates import label, labels, text

P, H, N = Channel.PETITION.value, Channel.HOTLINE_12345.value, Channel.HOTLINE_962200.value

# --- the petition's acceptance notice (受理告知书, 规程 二(一)1) ----------------------


@dataclass(frozen=True)
class SendAcceptanceNotice:
    """The office sent the 受理告知书 (a form of its own, templates/forms/form6.docx): who, when and how."""

    ticket_id: int
    manner: str = "mail"  # labels.notice_manner: the seed's 「寄出」, or handed over in person
    action = "send_acceptance_notice"


def check_notice(s: Step, c: SendAcceptanceNotice) -> None:
    if s.ticket.acceptance_notice_sent_at is not None:
        raise invalid(text("refusal_already_done"))
    if c.manner not in labels("notice_manner"):
        raise invalid(f"manner={c.manner}")


def send_acceptance_notice(s: Step, c: SendAcceptanceNotice) -> dict:
    s.ticket.acceptance_notice_sent_at = s.now
    s.ticket.acceptance_notice_by_id, s.ticket.acceptance_notice_manner = s.actor.member_id, c.manner
    s.close_stages([Stage.ACCEPTANCE_NOTICE])
    return {"manner": c.manner}


declare(SendAcceptanceNotice, who=Role.OFFICE, sources=AFTER_ACCEPTANCE, channels={P},
        guard=check_notice, effect=send_acceptance_notice, queues=(), settles={"accepted"},
        presses={"send_acceptance_notice": Press(),
                 "hand_acceptance_notice": Press((), lambda t, v: SendAcceptanceNotice(t, "in_person"))})


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
    style: bool = False  # 语言规范: the style notes of the reply are the reasons
    action = "fail_review"


def check_fail(s: Step, c: FailReview) -> None:
    if not [r for r in c.reasons if r.strip()] and not c.style:
        raise missing(["review_reasons"], "ticket_field")


def fail_review(s: Step, c: FailReview) -> dict:
    reasons = [r.strip() for r in c.reasons if r.strip()]
    if c.style:
        reasons += [text("review_reason_style"), *(label("style_note", n) for n in style_notes(s))]
    reply_id = redo(s, reasons)
    s.to_department("redo", reasons=reasons, redo_count=s.ticket.redo_count)
    return {"reply_id": reply_id, "reasons": reasons, "redo_count": s.ticket.redo_count}


def redo(s: Step, reasons: list[str], by_leader: str | None = None) -> int:
    """The department's reply goes back for 重办 (规程 三(二)); the redo starts from a copy of it, the old one
    stays as it was reviewed."""
    old = queries.current_reply(s.session, s.ticket.id)
    old.status = ReplyStatus.SENT_BACK.value
    old.reviewed_by_id, old.reviewed_at, old.review_reasons = s.actor.member_id, s.now, reasons
    copy = {k: getattr(old, k) for k in REPLY_FIELDS}
    s.session.add(Reply(ticket_id=s.ticket.id, round=old.round + 1, author_id=old.author_id,
                        department_id=s.ticket.department_id, created_at=s.now, updated_at=s.now, **copy))
    s.ticket.redo_count += 1
    s.reopen_stage(Stage.REPLY)
    s.close_stages([Stage.FINAL_REPLY], cancel=True)
    if old.author_id:
        s.to_member(old.author_id, "redo", reasons=reasons, redo_count=s.ticket.redo_count, leader=by_leader)
    return old.id


declare(FailReview, who=Role.OFFICE, sources={Status.DEPT_REPLIED}, target=Status.ACCEPTED,
        sub=REPLY.move(ReplyState.APPROVED, ReplyState.DRAFT),
        guard=check_fail, effect=fail_review, queues={"redo"}, settles=EVERY,
        presses={"fail_review": Press(("reasons",), lambda t, v: FailReview(t, tuple(v["reasons"].splitlines()))),
                 # 规程 三(二) 「注意语气语调…简明扼要」: 语言规范 as a reason of its own, with the style notes
                 "fail_review_style": Press((), lambda t, v: FailReview(t, (), style=True))})


# --- the forms the petition-line leader signs (附件2, 附件4) ----------------------------


def _filled(s: Step, number: int, values: dict) -> dict:
    base = forms.form_data(s.session, s.ticket, s.calc, True, s.now)
    return forms.with_edits(base, {k: v for k, v in values.items() if k in forms.EDITABLE[number]})


def check_filed_form(s: Step, c) -> None:
    """The office files 附件2 / 附件4 only when nothing is left to fill and no placeholder remains; what the
    office changed is its own (规程 二(一)3, 二(二)2)."""
    number = 2 if s.ticket.channel == P else 4
    unknown = set(c.values) - set(forms.EDITABLE[number])
    if unknown:
        raise invalid(", ".join(sorted(unknown)))
    problems = forms.check_form(number, _filled(s, number, c.values))
    if problems:
        raise Refused("missing", text("refusal_letter", items=forms.problem_names(problems)), missing=problems)


def _edited(number: int, values: dict) -> list[str]:
    """The fields the office changed, in the form's order."""
    return [key for key in forms.EDITABLE[number] if key in values]


def _file_form(s: Step, number: int, values: dict) -> FormRecord:
    edits = {k: v for k, v in values.items() if k in forms.EDITABLE[number]}
    data = {**_filled(s, number, values), "edits": edits}
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


def signoff_round(s: Step) -> int:
    """The how-many-th time the form goes to the petition-line leader (each 退回 counts one)."""
    return 1 + sum(1 for e in queries.events_of(s.session, s.ticket.id) if e.action in SIGNOFF_REJECTIONS)


SIGNOFF_REJECTIONS = ("reject_signoff", "reject_signoff_redo")
# Every decision that sends the reply back, by the business leader (退回), the office (重办, 规程 三(二)) or the
# petition-line leader: what each wrote is shown with every later approval and review of the ticket.
SENT_BACK = ("reject_reply", "fail_review", *SIGNOFF_REJECTIONS)


def submit_approval_form(s: Step, c: SubmitApprovalForm) -> dict:
    record = _file_form(s, 4, c.values)
    s.to_role(Role.PETITION_LEADER, "signoff_request", form=4, form_id=record.id, round=signoff_round(s),
              edited=_edited(4, c.values))
    return {"form_id": record.id, "edited": _edited(4, c.values)}


declare(SubmitApprovalForm, who=Role.OFFICE, sources={Status.APPROVAL_FORM}, target=Status.LEADER_SIGNOFF,
        channels={H}, guard=check_filed_form, effect=submit_approval_form, queues={"signoff_request"}, settles=EVERY,
        presses={"submit_approval_form": Press(flow="edit_form")})  # the office checks and edits 附件4 first


@dataclass(frozen=True)
class SubmitFinalReply:
    """Petition: the office files the final 附件2 (规程 二(一)3), within one working day."""

    ticket_id: int
    values: dict = field(default_factory=dict)
    action = "submit_final_reply"


def submit_final_reply(s: Step, c: SubmitFinalReply) -> dict:
    record = _file_form(s, 2, c.values)
    s.close_stages([Stage.FINAL_REPLY])
    s.to_role(Role.PETITION_LEADER, "signoff_request", form=2, form_id=record.id, round=signoff_round(s),
              edited=_edited(2, c.values))
    return {"form_id": record.id, "edited": _edited(2, c.values)}


declare(SubmitFinalReply, who=Role.OFFICE, sources={Status.FINAL_REPLY}, target=Status.LEADER_SIGNOFF,
        channels={P}, guard=check_filed_form, effect=submit_final_reply, queues={"signoff_request"}, settles=EVERY,
        presses={"submit_final_reply": Press(flow="edit_form")})  # the office adjusts 附件2 first


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
    s.to_office("signoff_rejected", leader=s.actor.name, comment=c.comment, round=signoff_round(s))
    s.to_office("final_reply_due" if s.ticket.status == Status.FINAL_REPLY else "approval_form_due",
                reviewer=s.actor.name)
    return {"comment": c.comment}


declare(RejectSignoff, who=Role.PETITION_LEADER, sources={Status.LEADER_SIGNOFF},
        target={P: Status.FINAL_REPLY, H: Status.APPROVAL_FORM}, channels={P, H},
        guard=check_signoff_rejection, effect=reject_signoff,
        queues={"signoff_rejected", "final_reply_due", "approval_form_due"}, settles=EVERY,
        presses={"reject_signoff": Press(("comment",), lambda t, v: RejectSignoff(t, v["comment"]))})


@dataclass(frozen=True)
class RejectSignoffRedo:
    """The petition-line leader sends the reply back to the department for redo, not to the office for format."""

    ticket_id: int
    comment: str
    action = "reject_signoff_redo"


def reject_signoff_redo(s: Step, c: RejectSignoffRedo) -> dict:
    rounds = signoff_round(s)
    reasons = [text("signoff_redo_reason", leader=s.actor.name), c.comment.strip()]
    reply_id = redo(s, reasons, by_leader=s.actor.name)
    s.to_department("redo", reasons=reasons, redo_count=s.ticket.redo_count, leader=s.actor.name)
    s.to_office("signoff_rejected", leader=s.actor.name, comment=c.comment, round=rounds, redo=True)
    return {"reply_id": reply_id, "comment": c.comment, "redo_count": s.ticket.redo_count, "round": rounds}


declare(RejectSignoffRedo, who=Role.PETITION_LEADER, sources={Status.LEADER_SIGNOFF}, target=Status.ACCEPTED,
        channels={P, H}, sub=REPLY.move(ReplyState.APPROVED, ReplyState.DRAFT),
        guard=check_signoff_rejection, effect=reject_signoff_redo, queues={"redo", "signoff_rejected"},
        settles=EVERY,
        presses={"reject_signoff_redo": Press(("comment",), lambda t, v: RejectSignoffRedo(t, v["comment"]))})


# --- closed: mailed (petition) or answered on the platform (12345, 962200) ---------------


@dataclass(frozen=True)
class RecordCitySystem:
    """规程 二(一)3 「审核通过后录入上海分系统」: a step of its own, with the system's reference number."""

    ticket_id: int
    reference: str
    action = "record_city_system"


def city_system_ready(s: Step) -> None:
    """Entered once: asked before the number is typed, so /ticket offers the step that waits."""
    if s.ticket.city_system_entered_at is not None:
        raise invalid(text("refusal_already_done"))


def check_city_system(s: Step, c: RecordCitySystem) -> None:
    require(c.reference, "city_system_ref")
    city_system_ready(s)


def record_city_system(s: Step, c: RecordCitySystem) -> dict:
    s.ticket.city_system_ref, s.ticket.city_system_entered_at = c.reference.strip(), s.now
    s.to_office("city_system_entered", reference=s.ticket.city_system_ref)
    return {"reference": s.ticket.city_system_ref}


declare(RecordCitySystem, who=Role.OFFICE, sources={Status.AWAITING_MAIL}, channels={P},
        guard=check_city_system, effect=record_city_system, queues={"city_system_entered"}, settles={"mail_due"},
        ready=city_system_ready,
        presses={"record_city_system": Press(("city_system_ref",),
                                             lambda t, v: RecordCitySystem(t, v["city_system_ref"]))})


@dataclass(frozen=True)
class RecordMail:
    """Mailed by registered letter (挂号信): the petition closes."""

    ticket_id: int
    letter_no: str
    action = "record_mail"


def mail_ready(s: Step) -> None:
    """A petition closes only after its 受理告知书 was sent (规程 二(一)1) and the reply was entered into the
    city system (规程 二(一)3 「录入上海分系统，并将答复件以挂号信形式寄出」); asked before the number is typed."""
    lacking = [item for item, done in (("acceptance_notice", s.ticket.acceptance_notice_sent_at),
                                       ("city_system_ref", s.ticket.city_system_entered_at)) if done is None]
    if lacking:
        raise missing(lacking, "ticket_field")


def check_mail(s: Step, c: RecordMail) -> None:
    mail_ready(s)
    require(c.letter_no, "letter_no")


def record_mail(s: Step, c: RecordMail) -> dict:
    s.ticket.letter_no = c.letter_no.strip()
    s.close_ticket()
    return {"letter_no": s.ticket.letter_no}


declare(RecordMail, who=Role.OFFICE, sources={Status.AWAITING_MAIL}, target=Status.CLOSED, channels={P},
        guard=check_mail, effect=record_mail, queues={"closed"}, settles=EVERY, ready=mail_ready,
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
