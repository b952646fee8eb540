"""What the bureau's forms show, gathered from a ticket, its current reply and its signed forms.

Every value is final text (dates as 「2026年9月29日」), so a Word template or the chat text only
places it; the sentences themselves are in the templates (templates/forms/*.docx).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session

from bot.deadlines import DeadlineCalculator
from bot.domain import ProblemKind
from bot.evidence import evidence_rows
from bot.privacy import mask_address, mask_name, mask_phone, scrub_all, scrub_text
from storage import queries
from storage.models import Department, Member, Ticket
from templates import label, text

LETTER_KEYS = ("facts", "reasons", "requests", "findings", "judgement", "review_body")
# 附件4 *是否解决 from the reply's result (规程 附件4); the other results leave the box to the office.
RESOLVED = {"solved": "solved", "explained": "explained", "filed": "filed", "too_high": "too_high"}
# 附件3 一: 「来电人的反映或投诉的情况(部分/不/)属实」 is said only of a fact finding that is one of these.
TRUTH = ("true", "partly_true", "not_true")
# 附件3 二: 「诉求符合/不符合规定」 only when the demand was assessed so.
DEMAND_FITS = {"reasonable": "符合", "no_policy_basis": "不符合", "too_high": "不符合"}
# a basis that cites a document: 《条例》, a 第X条 or a 号 of a notice.
CITES = re.compile(r"《[^》]+》|第[一二三四五六七八九十百零〇\d]+条|〔\d{4}〕\d+号")


def _fmt(calc: DeadlineCalculator, moment: datetime | None, time: bool = True) -> str:
    if moment is None:
        return ""
    return text("form_datetime" if time else "form_date", m=calc.local(moment))


def _short(calc: DeadlineCalculator, moment: datetime | None) -> str:
    """9月29日11时, as the seed's 附件3 writes it."""
    return text("form_hour", m=calc.local(moment)) if moment is not None else ""


def _name(session: Session, member_id: int | None) -> str:
    member = session.get(Member, member_id) if member_id else None
    return member.name if member else ""


def _sentence(words: str | None) -> str:
    """A sentence ends with its full stop, once."""
    words = (words or "").strip().rstrip("。，；,;")
    return f"{words}。" if words else ""


def cites_document(basis: str) -> bool:
    return bool(CITES.search(basis or ""))


def form_data(session: Session, ticket: Ticket, calc: DeadlineCalculator, private: bool = True,
              now: datetime | None = None) -> dict:
    """Everything the forms show; for a group, every text field is scrubbed of the citizen's details too."""
    data = _form_data(session, ticket, calc, private, now or datetime.now(calc.rules.tz))
    data = with_edits(data, edits_of(session, ticket))
    return data if private else scrub_all(data, ticket.citizen_name, ticket.address, ticket.phone)


# 附件2 / 附件4 fields the office may change before sign-off (规程 二(一)3 「完成格式调整」, 二(二)2 「填写审批单」)
EDITABLE = {
    2: ("citizen", "letter.facts", "letter.reasons", "letter.requests", "letter.findings", "basis",
        "letter.judgement", "letter.review_body"),
    4: ("source", "dispatch_opinion", "fact_note", "demand_note", "summary", "points_text", "resolved",
        "satisfaction", "content"),
}
EDIT_CHOICES = {"resolved": "resolved", "satisfaction": "satisfaction"}


def edits_of(session: Session, ticket: Ticket) -> dict:
    """What the office changed in the ticket's latest filed 附件2 / 附件4."""
    form = queries.latest_form(session, ticket.id)
    return dict((form.data or {}).get("edits") or {}) if form is not None else {}


def with_edits(data: dict, edits: dict) -> dict:
    """The form's values with the office's changes over them (a dotted key edits a section of the letter)."""
    data = {**data, "letter": dict(data.get("letter") or {})}
    for key, value in edits.items():
        if key.startswith("letter."):
            data["letter"][key.split(".", 1)[1]] = (value or "").strip().rstrip("。")
        else:
            data[key] = value
    # 附件1 / 附件4 工单来源 is never blank on a printed form: intake may not have recorded it (a pasted or imported
    # ticket), or the office may have cleared it; the channel the ticket came through is then its source
    if not (data.get("source") or "").strip() and data.get("channel"):
        data["source"] = data["channel"]
    if "points_text" in edits:
        data["points_inline"] = "；".join(line.strip() for line in edits["points_text"].splitlines() if line.strip())
    return data


def _form_data(session: Session, ticket: Ticket, calc: DeadlineCalculator, private: bool, now: datetime) -> dict:
    reply = queries.current_reply(session, ticket.id)
    department = session.get(Department, ticket.department_id) if ticket.department_id else None
    events = queries.events_of(session, ticket.id)
    dispatched = next((e for e in events if e.action == "dispatch"), None)
    signoff = next((e for e in reversed(events) if e.action == "approve_signoff"), None)
    form = queries.latest_form(session, ticket.id)
    accepted = next((e for e in reversed(events) if e.action == "accept"), None)
    problem = queries.latest_problem(session, ticket.id)  # this ticket's, through its index, not every report
    attachments = queries.attachments_of(session, ticket.id)
    history = []
    for link in queries.links_of(session, ticket.id):
        other = queries.ticket(session, link.related_ticket_id if link.ticket_id == ticket.id else link.ticket_id)
        history.append({"internal_no": other.internal_no, "received": _fmt(calc, other.received_at, time=False),
                        "status": label("status", other.status)})

    def get(key, default=None):
        value = getattr(reply, key) if reply is not None else None
        return default if value is None else value

    citizen = (ticket.citizen_name or "") if private else mask_name(ticket.citizen_name)
    points = [p.strip().rstrip("。；;") for p in (get("points", []) or []) if p.strip()]
    basis = (get("basis", "") or "").strip().rstrip("。")
    fact_code = get("fact_finding")
    manner = get("contact_manner")
    complaint = ticket.service_category == "complaint"
    # 市民反馈 (附件1) and 是否满意 (附件4): the latest 回访 wins over what the reply recorded (规程 三(三)4).
    satisfaction = ticket.satisfaction or get("satisfaction")
    signed_at = form.signed_at if form and form.signed_at else None
    opinion = "\n".join(filter(None, [_sentence(get("summary", "")),
                                      *([f"{points[0]}。"] if len(points) == 1 else
                                        [f"{i}. {p}。" for i, p in enumerate(points, 1)])]))
    leader, leader_date = "", ""
    if get("leader_decided_at"):
        leader, leader_date = _name(session, get("leader_id")), _fmt(calc, get("leader_decided_at"), time=False)
    result = get("result")
    # 规程 三(三)5: a repeat found 不属实 and no reply to say so — the department's report (why not factual, the
    # work done), signed by its leader, is its opinion on 附件1, and 不属实 its result
    not_factual = (problem if problem is not None and problem.kind == ProblemKind.REPEAT_NOT_FACTUAL
                   and problem.submitted_at else None)
    if not_factual is not None and not opinion:
        opinion = "\n".join(filter(None, [_sentence(not_factual.reasons), _sentence(not_factual.work_done)]))
        if not_factual.signed_at and not leader:
            leader, leader_date = _name(session, not_factual.leader_id), _fmt(calc, not_factual.signed_at, time=False)
    if not_factual is not None and result is None:
        result = "not_true"
    return {
        "internal_no": ticket.internal_no,
        "external_no": ticket.external_no,
        "channel": label("channel", ticket.channel),
        "kind": label("kind", ticket.kind) if ticket.kind else label("channel", ticket.channel),
        "source": ticket.source or "",
        "citizen": citizen,
        "phone": (ticket.phone or "") if private else mask_phone(ticket.phone),
        "address": (ticket.address or "") if private else mask_address(ticket.address),
        "content": ticket.content if private else scrub_text(ticket.content, ticket.citizen_name, ticket.address,
                                                             ticket.phone),
        "received_at": _fmt(calc, ticket.called_at or ticket.received_at),  # 附件1 来电/来访时间 (SPEC §9.1)
        # the 佐证 the bureau keeps (规程 三(三)2、5): kind, name, size, SHA-256, the day it came
        "evidence": [{**row, "date": _fmt(calc, a.uploaded_at, time=False)}
                     for row, a in zip(evidence_rows(attachments), attachments, strict=True)],
        "repeat": label("yes_no", str(ticket.repeat).lower()),
        # 附件4 是否回访复核单: a 复核工单 is one by its kind (规程 二(二)3).
        "review": label("yes_no", str(ticket.review or ticket.kind == "review").lower()),
        "department": department.name if department else "",
        "handler": _name(session, get("author_id") or ticket.handler_id),
        "dispatched_at": _fmt(calc, dispatched.at if dispatched else None),
        "dispatched_date": _fmt(calc, dispatched.at if dispatched else None, time=False),
        # 附件4 交办意见: given by whoever dispatched (the office's head or a leader), at dispatch
        "dispatch_opinion": ((dispatched.payload or {}).get("opinion") or "") if dispatched else "",
        "dispatch_by": _name(session, dispatched.actor_id) if dispatched else "",
        "dispatch_date": _fmt(calc, dispatched.at if dispatched else None, time=False),
        "contact_status": ticket.contact_status,
        "not_contacted_reason": ticket.not_contacted_reason,
        "contacted_by": _name(session, ticket.contacted_by_id),
        "contacted_at": _fmt(calc, ticket.contacted_at),
        "template": get("template", ""),
        "contact_time": _fmt(calc, get("contact_time")),
        "contact_manner": label("contact_manner", manner, "") if manner else "",
        "contact_way": label("contact_way", manner, "") if manner else "",
        "contact_when": _short(calc, get("contact_time")),
        "contact_manner_code": manner,
        "verified_by": (get("verified_by", "") or "").strip(),
        "site_visit": get("site_visit"),
        "fact_finding": label("fact_finding", fact_code, "") if fact_code else "",
        "fact_finding_code": fact_code,
        "truth": label("fact_finding", fact_code) if fact_code in TRUTH else "",
        "complaint_word": "投诉" if complaint else "反映",
        "fact_note": (get("fact_note", "") or "").strip().rstrip("。"),
        "demand_assessment": get("demand_assessment"),
        "demand_fits": DEMAND_FITS.get(get("demand_assessment"), ""),
        "demand_note": get("demand_note", ""),
        "basis": basis,
        "basis_cites": cites_document(basis),
        "points": points,
        "points_text": "\n".join(f"{i}. {p}。" for i, p in enumerate(points, 1)),
        # a single point is a clause of the sentence, several are numbered
        "points_inline": points[0] if len(points) == 1 else "；".join(f"{i}. {p}" for i, p in enumerate(points, 1)),
        "summary": _sentence(get("summary", "")),  # 附件4 *办结汇报: a sentence, like the points below it
        "letter": {k: (v or "").strip().rstrip("。") for k, v in
                   {**dict.fromkeys(LETTER_KEYS, ""), **(get("letter", {}) or {})}.items()},
        "opinion": opinion,
        "result": result,
        "result_other": get("result_other", ""),
        "resolved": RESOLVED.get(result),
        "acceptance": label("acceptance", get("acceptance"), "") if get("acceptance") else "",
        "satisfaction": satisfaction,
        "feedback_note": "",
        # the petition's 受理告知书 (规程 二(一)1) and 录入上海分系统 (规程 二(一)3)
        "received_date": _fmt(calc, ticket.received_at, time=False),
        "accepted_date": _fmt(calc, accepted.at if accepted else None, time=False),
        "notice_date": _fmt(calc, ticket.acceptance_notice_sent_at or now, time=False),
        "notice_manner": label("notice_manner", ticket.acceptance_notice_manner, "")
        if ticket.acceptance_notice_manner else "",
        "notice_by": _name(session, ticket.acceptance_notice_by_id),
        "city_system_ref": ticket.city_system_ref or "",
        "leader": leader,  # 附件1 分管领导签字: of the reply, or of the 不属实 report above
        "leader_date": leader_date,
        "signoff_leader": _name(session, form.signed_by_id) if signed_at else "",
        "signoff_date": _fmt(calc, signed_at, time=False),
        # 附件4 分管领导审核意见: the leader's words, or 「同意。」 when the leader approved without any
        "signoff_comment": (((signoff.payload or {}).get("comment") or text("form_signoff_agreed"))
                            if signoff and signed_at else ""),
        "filed_by": text("form_filed_by"),
        "note": (get("note", "") or "").strip(),
        "history": history,
        "history_text": "\n".join(f"{h['internal_no']}（{h['received']}，{h['status']}）" for h in history) or "无",
        "problem_reasons": _sentence(problem.reasons) if problem else "",  # 申请结单: sentences, as typed
        "problem_work_done": _sentence(problem.work_done) if problem else "",
        "problem_author": _name(session, problem.author_id) if problem else "",
        "problem_leader": _name(session, problem.leader_id) if problem and problem.signed_at else "",
        "problem_signed": _fmt(calc, problem.signed_at, time=False) if problem else "",
        "problem_verification": (problem.verification or "").strip().rstrip("。，") if problem else "",
        "report_date": _fmt(calc, get("leader_decided_at") or get("updated_at") or now, time=False),
        "today": _fmt(calc, signed_at or now, time=False),
    }
