"""The department's reply (规程 二(一)2, 二(二)2, 二(三)): drafted, submitted, approved by its leader.

The reply moves on its own machine (REPLY): draft → submitted → approved, or back to
draft when the leader sends it back. The 962200 department's first contact (办法
第十五条) is recorded here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot import forms
from bot.domain import Channel, ProblemKind, ReplyStatus, ReplyTemplate, Role, Satisfaction, Stage, Status
from bot.workflow.core import WITH_DEPARTMENT, EvidenceIn, Refused, Step, invalid, missing, utc
from bot.workflow.machines import PROBLEM, REPLY, ReplyState
from bot.workflow.problems import NO_OPEN_REPORT, open_report
from bot.workflow.registry import EVERY, Press, declare
from bot.workflow.returns import check_comment
from storage import queries
from storage.models import Reply, Ticket
from templates import labels, text

REPLY_FIELDS = (
    "template", "contact_time", "contact_manner", "verified_by", "site_visit", "fact_finding", "fact_note",
    "demand_assessment", "demand_note", "basis", "points", "summary", "letter", "result", "result_other",
    "note", "acceptance", "satisfaction", "knowledge_ref",
)

CHOICE_FIELDS = {
    "template": "reply_template",
    "contact_manner": "contact_manner",
    "fact_finding": "fact_finding",
    "demand_assessment": "demand_assessment",
    "result": "result",
    "acceptance": "acceptance",
    "satisfaction": "feedback",  # 附件1 市民反馈: the four of 附件4 and 其他
}

# The department's reply must carry these before it goes to the leader.
REPLY_REQUIRED = ("template", "contact_time", "contact_manner", "fact_finding", "result")


def choices(group: str) -> set[str]:
    if group == "reply_template":
        return {t.value for t in ReplyTemplate}
    return set(labels(group))


def default_template(ticket: Ticket) -> str:
    if ticket.channel == Channel.PETITION:
        return ReplyTemplate.PETITION.value
    if ticket.kind == "consultation" or ticket.service_category == "consultation":
        return ReplyTemplate.CONSULT_SUGGESTION.value
    return ReplyTemplate.HELP_COMPLAINT.value


def needs_evidence(rules, reply: Reply | None) -> bool:
    """规程 三(三)2 「市民反映问题诉求过高或反映事项不属实时」: by the result, the fact finding or the demand
    assessment (SPEC §9.5), whichever says so."""
    if reply is None:
        return False
    flow = rules.workflow
    return (reply.result in flow.evidence_required_results
            or reply.fact_finding in flow.evidence_required_fact_findings
            or reply.demand_assessment in flow.evidence_required_demands)


def check_evidence(s: Step, reply: Reply | None) -> None:
    """规程 三(三)2: 不属实 / 诉求过高 need the work done and supporting evidence before approval."""
    if not needs_evidence(s.rules, reply):
        return
    lacking = []
    if not (reply.summary or "").strip():
        lacking.append("work_done")
    if not queries.attachments_of(s.session, s.ticket.id, "reply_evidence"):
        lacking.append("evidence")
    if lacking:
        raise missing(lacking, "reply_field")


# 规程 三(二): the elements the office checks before passing a reply.
CONFORMITY_ITEMS = ("department", "handler", "contact_time", "fact_finding", "basis", "result", "contact_manner",
                    "satisfaction")


def conformity_missing(ticket: Ticket, reply: Reply | None) -> list[str]:
    """What the reply lacks of the 办结规范 (规程 三(二)), as codes of labels.conformity."""
    if reply is None:
        return list(CONFORMITY_ITEMS)
    present = {
        "department": ticket.department_id is not None,
        "handler": (reply.author_id or ticket.handler_id) is not None,
        "contact_time": reply.contact_time is not None,
        "fact_finding": bool(reply.fact_finding),
        "basis": bool((reply.basis or "").strip()) or bool(reply.points),
        "result": bool(reply.result),
        "contact_manner": bool(reply.contact_manner),
        "satisfaction": bool(reply.satisfaction),
    }
    return [item for item in CONFORMITY_ITEMS if not present[item]]


# --- the 962200 department's first contact with the citizen ----------------------


@dataclass(frozen=True)
class RecordDeptContact:
    ticket_id: int
    contacted_at: datetime | None = None
    action = "record_dept_contact"


def check_dept_contact(s: Step, c: RecordDeptContact) -> None:
    if s.ticket.dept_contacted_at is not None:
        raise invalid(text("refusal_already_done"))
    if not queries.open_stages(s.session, s.ticket.id, [Stage.DEPT_FIRST_CONTACT.value]):
        raise invalid(text("refusal_no_dept_contact"))


def record_dept_contact(s: Step, c: RecordDeptContact) -> dict:
    """办法 第十五条: 相关部门应当自接到流转工单后3个工作日内，与市民取得联系 — pressed 已联系市民."""
    contacted(s, c.contacted_at or s.now)
    return {"contacted_at": s.ticket.dept_contacted_at}


def contacted(s: Step, at: datetime) -> None:
    """The department reached the citizen (the button, or the contact time of its reply): the 962200
    contact stage is done (办法 第十五条)."""
    if s.ticket.dept_contacted_at is None:
        s.ticket.dept_contacted_at = utc(at)
    s.close_stages([Stage.DEPT_FIRST_CONTACT])


declare(RecordDeptContact, who=Role.HANDLER, own_department=True, sources=WITH_DEPARTMENT,
        guard=check_dept_contact, effect=record_dept_contact, queues=(), settles=())


# --- the draft, field by field ----------------------------------------------------


@dataclass(frozen=True)
class SaveReply:
    """Save fields of the department's reply draft (any subset)."""

    ticket_id: int
    values: dict
    evidence: tuple[EvidenceIn, ...] = ()
    action = "save_reply"


def check_save(s: Step, c: SaveReply) -> None:
    unknown = set(c.values) - set(REPLY_FIELDS)
    if unknown:
        raise invalid(f"unknown fields: {', '.join(sorted(unknown))}")
    for key, group in CHOICE_FIELDS.items():
        value = c.values.get(key)
        if value is not None and value not in choices(group):
            raise invalid(f"{key}={value}")


def save_reply(s: Step, c: SaveReply) -> dict:
    reply = queries.current_reply(s.session, s.ticket.id)
    if reply is None or reply.status != ReplyStatus.DRAFT:
        reply = Reply(ticket_id=s.ticket.id, round=(reply.round + 1) if reply else 1, author_id=s.actor.member_id,
                      department_id=s.ticket.department_id, template=default_template(s.ticket),
                      created_at=s.now, updated_at=s.now)
        s.session.add(reply)
        s.session.flush()
    for key, value in c.values.items():
        if key == "letter":
            value = {**(reply.letter or {}), **value}
        setattr(reply, key, utc(value) if isinstance(value, datetime) else value)
    reply.author_id = s.actor.member_id
    reply.updated_at = s.now
    if reply.contact_time is not None:  # the reply's 与市民沟通的具体时间 closes the 962200 contact stage
        contacted(s, reply.contact_time)
    evidence = s.add_evidence(c.evidence, "reply_evidence", reply.id)
    s.outcome.data["reply_id"] = reply.id
    return {"reply_id": reply.id, "fields": sorted(c.values), "evidence": evidence}


declare(SaveReply, who=Role.HANDLER, own_department=True, sources={Status.ACCEPTED},
        sub=REPLY.move({ReplyState.NONE, ReplyState.DRAFT}, ReplyState.DRAFT),
        guard=check_save, effect=save_reply, queues=(), settles=(), presses={})


# --- submitted to the business leader -----------------------------------------------


@dataclass(frozen=True)
class SubmitReply:
    ticket_id: int
    action = "submit_reply"


def check_submit(s: Step, c: SubmitReply) -> None:
    reply = queries.current_reply(s.session, s.ticket.id)
    if reply is None:
        raise missing(list(REPLY_REQUIRED), "reply_field")
    lacking = [f for f in REPLY_REQUIRED if getattr(reply, f) in (None, "", [], {})]
    if lacking:
        raise missing(lacking, "reply_field")
    check_evidence(s, reply)
    check_letter(s)


def check_letter(s: Step) -> None:
    """No placeholder, empty sentence or doubled punctuation leaves the bureau (规程 二(一)2 「填写…信访答复模板」,
    二(二)2 「市民热线答复模板」): the letter is read back from its template and refused with what it lacks."""
    problems, _ = forms.check_reply(s.session, s.ticket, s.calc, s.rules.flag("workflow", "reply_max_chars"), s.now)
    if problems:
        raise Refused("missing", text("refusal_letter", items=forms.problem_names(problems)), missing=problems)


def style_notes(s: Step) -> list[str]:
    """规程 三(二) 「注意语气语调，语言表达事实清楚、条理清晰，简明扼要」: codes of labels.style_note."""
    return forms.check_reply(s.session, s.ticket, s.calc, s.rules.flag("workflow", "reply_max_chars"), s.now)[1]


def submit_reply(s: Step, c: SubmitReply) -> dict:
    reply = queries.current_reply(s.session, s.ticket.id)
    reply.status = ReplyStatus.SUBMITTED.value
    reply.submitted_at = s.now
    s.to_role(Role.BUSINESS_LEADER, "reply_for_approval", department_id=s.ticket.department_id,
              reply_id=reply.id, handler=s.actor.name)
    return {"reply_id": reply.id, "round": reply.round}


declare(SubmitReply, who=Role.HANDLER, own_department=True, sources={Status.ACCEPTED}, target=Status.REPLY_DRAFTED,
        sub=REPLY.move({ReplyState.NONE, ReplyState.DRAFT}, ReplyState.SUBMITTED),
        guard=check_submit, effect=submit_reply, queues={"reply_for_approval"}, settles=EVERY, presses={})


# --- the business leader's decision ---------------------------------------------------


@dataclass(frozen=True)
class ApproveReply:
    ticket_id: int
    comment: str | None = None
    action = "approve_reply"


def check_approve(s: Step, c: ApproveReply) -> None:
    check_evidence(s, queries.current_reply(s.session, s.ticket.id))


def approve_reply(s: Step, c: ApproveReply) -> dict:
    reply = queries.current_reply(s.session, s.ticket.id)
    reply.status = ReplyStatus.APPROVED.value
    reply.leader_id, reply.leader_decided_at, reply.leader_comment = s.actor.member_id, s.now, c.comment
    s.close_stages([Stage.REPLY])
    row = s.open_stage(Stage.FINAL_REPLY, s.now)
    lacking = conformity_missing(s.ticket, reply)
    s.to_office("reply_for_review", reply_id=reply.id, leader=s.actor.name, missing=lacking,
                final_reply_due=s.due(row), style=style_notes(s),
                evidence=len(queries.attachments_of(s.session, s.ticket.id, "reply_evidence")))  # 规程 三(三)2 佐证
    s.to_department("reply_approved", leader=s.actor.name)
    report = dissatisfied_report(s, reply)
    return {"reply_id": reply.id, "comment": c.comment, "missing": lacking, "problem_report": report}


def dissatisfied_report(s: Step, reply: Reply) -> bool:
    """规程 三(三)1 「市民不满意时」 (SPEC §9.4): a reply the citizen met with 不满意 opens the department's
    report once approved, as a dissatisfied 回访 does — unless a report is already open."""
    if (reply.satisfaction != Satisfaction.DISSATISFIED or not s.rules.workflow.dissatisfied_at_reply_opens_report
            or PROBLEM.state(s.session, s.ticket.id) not in NO_OPEN_REPORT):
        return False
    s.ticket.satisfaction = reply.satisfaction
    open_report(s, ProblemKind.DISSATISFIED, at_reply=True)
    return True


declare(ApproveReply, who=Role.BUSINESS_LEADER, own_department=True, sources={Status.REPLY_DRAFTED},
        target=Status.DEPT_REPLIED, sub=REPLY.move(ReplyState.SUBMITTED, ReplyState.APPROVED),
        guard=check_approve, effect=approve_reply, queues={"reply_for_review", "reply_approved", "problem_request"},
        settles=EVERY,
        presses={"approve_reply": Press()})


@dataclass(frozen=True)
class RejectReply:
    ticket_id: int
    comment: str
    action = "reject_reply"


def reject_reply(s: Step, c: RejectReply) -> dict:
    reply = queries.current_reply(s.session, s.ticket.id)
    reply.status = ReplyStatus.DRAFT.value
    reply.leader_id, reply.leader_decided_at, reply.leader_comment = s.actor.member_id, s.now, c.comment
    s.to_department("reply_rejected", leader=s.actor.name, comment=c.comment)
    if reply.author_id:
        s.to_member(reply.author_id, "reply_rejected", leader=s.actor.name, comment=c.comment)
    return {"reply_id": reply.id, "comment": c.comment}


declare(RejectReply, who=Role.BUSINESS_LEADER, own_department=True, sources={Status.REPLY_DRAFTED},
        target=Status.ACCEPTED, sub=REPLY.move(ReplyState.SUBMITTED, ReplyState.DRAFT),
        guard=check_comment, effect=reject_reply, queues={"reply_rejected"}, settles=EVERY,
        presses={"reject_reply": Press(("comment",), lambda t, v: RejectReply(t, v["comment"]))})
