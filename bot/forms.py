"""The bureau's forms (附件1-4) filled from a ticket: as a chat message and as a .docx.

The layout of each form (its title, its table of cells or its paragraphs) is
in templates/forms/formN.toml; this module gathers the data and lays it out.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from sqlmodel import Session

from bot.deadlines import DeadlineCalculator
from bot.privacy import mask_address, mask_name, mask_phone, scrub_all, scrub_text
from storage import queries
from storage.models import Department, Member, Ticket
from templates import fill, form_spec, label, text

FORMS = (1, 2, 3, 4, 5)
LETTER_KEYS = ("facts", "reasons", "requests", "findings", "judgement", "review_body")
RESOLVED = {"solved": "solved", "explained": "explained", "filed": "filed", "too_high": "too_high"}


def _fmt(calc: DeadlineCalculator, moment: datetime | None, time: bool = True) -> str:
    if moment is None:
        return ""
    local = calc.local(moment)
    return text("form_datetime" if time else "form_date", m=local)


def _short(calc: DeadlineCalculator, moment: datetime | None) -> str:
    """9月29日11时, as the seed's 附件3 writes it."""
    return text("form_hour", m=calc.local(moment) if moment is not None else None)


def _name(session: Session, member_id: int | None) -> str:
    member = session.get(Member, member_id) if member_id else None
    return member.name if member else ""


def form_data(session: Session, ticket: Ticket, calc: DeadlineCalculator, private: bool = True,
              now: datetime | None = None) -> dict:
    """Everything the forms show, from the ticket, its current reply and its signed forms; for a group,
    every text field is scrubbed of the citizen's details too."""
    data = _form_data(session, ticket, calc, private, now or datetime.now(calc.rules.tz))
    return data if private else scrub_all(data, ticket.citizen_name, ticket.address, ticket.phone)


def _form_data(session: Session, ticket: Ticket, calc: DeadlineCalculator, private: bool, now: datetime) -> dict:
    reply = queries.current_reply(session, ticket.id)
    department = session.get(Department, ticket.department_id) if ticket.department_id else None
    dispatched = next((e for e in queries.events_of(session, ticket.id) if e.action == "dispatch"), None)
    form = queries.latest_form(session, ticket.id)
    problem = next((r for r, _ in reversed(queries.problems(session)) if r.ticket_id == ticket.id), None)
    history = []
    for link in queries.links_of(session, ticket.id):
        other = queries.ticket(session, link.related_ticket_id if link.ticket_id == ticket.id else link.ticket_id)
        history.append({"internal_no": other.internal_no, "received": _fmt(calc, other.received_at, time=False),
                        "status": label("status", other.status)})

    def get(key, default=None):
        value = getattr(reply, key) if reply is not None else None
        return default if value is None else value

    return {
        "internal_no": ticket.internal_no,
        "external_no": ticket.external_no,
        "channel": label("channel", ticket.channel),
        "kind": label("kind", ticket.kind) if ticket.kind else label("channel", ticket.channel),
        "source": ticket.source or "",
        "citizen": (ticket.citizen_name or "") if private else mask_name(ticket.citizen_name),
        "phone": (ticket.phone or "") if private else mask_phone(ticket.phone),
        "address": (ticket.address or "") if private else mask_address(ticket.address),
        "content": ticket.content if private else scrub_text(ticket.content, ticket.citizen_name, ticket.address,
                                                             ticket.phone),
        "received_at": _fmt(calc, ticket.received_at),
        "repeat": label("yes_no", str(ticket.repeat).lower()),
        "review": label("yes_no", str(ticket.review).lower()),
        "department": department.name if department else "",
        "dispatched_at": _fmt(calc, dispatched.at if dispatched else None),
        "contact_status": ticket.contact_status,
        "not_contacted_reason": ticket.not_contacted_reason,
        "contacted_by": _name(session, ticket.contacted_by_id),
        "contacted_at": _fmt(calc, ticket.contacted_at),
        "template": get("template", ""),
        "contact_time": _fmt(calc, get("contact_time")),
        "contact_manner": label("contact_manner", get("contact_manner"), "") if get("contact_manner") else "",
        "contact_way": label("contact_way", get("contact_manner"), "") if get("contact_manner") else "",
        "contact_when": _short(calc, get("contact_time")),
        "contact_manner_code": {"meeting": "meeting"}.get(get("contact_manner"), get("contact_manner")),
        "verified_by": get("verified_by", ""),
        "site_visit": get("site_visit"),
        "fact_finding": label("fact_finding", get("fact_finding"), "") if get("fact_finding") else "",
        "fact_finding_code": get("fact_finding"),
        "fact_note": get("fact_note", ""),
        "demand_assessment": get("demand_assessment"),
        "demand_note": get("demand_note", ""),
        "basis": get("basis", ""),
        "points": list(get("points", []) or []),
        "summary": get("summary", ""),
        "letter": {**dict.fromkeys(LETTER_KEYS, ""), **(get("letter", {}) or {})},
        "opinion": "\n".join(filter(None, [get("summary", ""), *[f"{i}. {p}" for i, p in
                                                                  enumerate(get("points", []) or [], 1)]])),
        "result": get("result"),
        "resolved": RESOLVED.get(get("result")),
        "acceptance": label("acceptance", get("acceptance"), "") if get("acceptance") else "",
        "satisfaction": get("satisfaction"),
        "leader": _name(session, get("leader_id")) if get("leader_decided_at") else "",
        "leader_date": _fmt(calc, get("leader_decided_at"), time=False),
        "signoff_leader": _name(session, form.signed_by_id) if form and form.signed_at else "",
        "signoff_date": _fmt(calc, form.signed_at, time=False) if form else "",
        "signoff_comment": "",
        "note": "",
        "history": history,
        "problem_reasons": problem.reasons if problem else "",
        "problem_work_done": problem.work_done if problem else "",
        "problem_author": _name(session, problem.author_id) if problem else "",
        "problem_leader": _name(session, problem.leader_id) if problem and problem.signed_at else "",
        "problem_signed": _fmt(calc, problem.signed_at, time=False) if problem else "",
        "problem_verification": (problem.verification or "") if problem else "",
        "today": _fmt(calc, form.signed_at if form and form.signed_at else now, time=False),
    }


def _chinese_font(document) -> None:
    """宋体 for Chinese text too: python-docx's font.name sets only the Latin font, so set w:eastAsia."""
    from docx.oxml.ns import qn

    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")


def _cells(row: dict) -> list[tuple[str, int]]:
    out = []
    for cell in row["cells"]:
        if isinstance(cell, str):
            out.append((cell, 1))
        else:
            out.append((cell["text"], int(cell.get("span", 1))))
    return out


def form_title(number: int, data: dict) -> str:
    return fill(form_spec(number)["title"], f=data)


def render_text(number: int, data: dict) -> str:
    """The form as a Telegram HTML message: label：value lines, or the letter's paragraphs."""
    spec = form_spec(number)
    lines = [f"<b>{html.escape(spec['name'])} {html.escape(form_title(number, data))}</b>"]
    if spec.get("subtitle"):
        lines.append(html.escape(fill(spec["subtitle"], f=data)))
    for row in spec.get("rows", []):
        cells = [fill(text, f=data).strip() for text, _ in _cells(row)]
        if len(cells) % 2 == 0 and all("：" not in c for c in cells[::2]) and len(cells) > 1:
            pairs = [f"{cells[i]}：{cells[i + 1]}" for i in range(0, len(cells), 2)]
            lines.append(html.escape("　".join(pairs)))
        else:
            lines.append(html.escape("　".join(c for c in cells if c)))
    for paragraph in spec.get("paragraphs", []):
        text = fill(paragraph, f=data).strip()
        if text:
            lines.append(html.escape(text.removeprefix("@right").strip()))
    return "\n".join(lines)


def render_docx(number: int, data: dict, path: Path) -> Path:
    """The form as a Word document that keeps the seed's table layout."""
    spec = form_spec(number)
    document = Document()
    _chinese_font(document)
    document.add_paragraph(spec["name"])
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(form_title(number, data))
    run.bold = True
    run.font.size = Pt(16)
    if spec.get("subtitle"):
        document.add_paragraph(fill(spec["subtitle"], f=data))
    if spec.get("rows"):
        table = document.add_table(rows=0, cols=spec["columns"])
        table.style = "Table Grid"
        for row in spec["rows"]:
            cells = table.add_row().cells
            column = 0
            for text, span in _cells(row):
                cell = cells[column]
                if span > 1:
                    cell = cell.merge(cells[column + span - 1])
                cell.text = fill(text, f=data).strip()
                column += span
    for paragraph in spec.get("paragraphs", []):
        text = fill(paragraph, f=data).rstrip()
        if not text.strip():
            continue
        para = document.add_paragraph(text.removeprefix("@right").strip() if text.startswith("@right") else text)
        if text.startswith("@right"):
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path



def summary_docx(rows: list[dict], path: Path) -> Path:
    """The office's report on dissatisfied and unreplied tickets (规程 三(三)4), as a table."""
    document = Document()
    _chinese_font(document)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(text("summary_title"))
    run.bold = True
    run.font.size = Pt(16)
    table = document.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, text("summary_columns").split("|"), strict=True):
        cell.text = title
    for row in rows:
        cells = table.add_row().cells
        values = (row["internal_no"], row["department"], label("problem_kind", row["kind"]),
                  label("problem_status", row["status"]) + (text("summary_overdue") if row["overdue"] else ""),
                  row.get("reasons") or "", row.get("verification") or "")
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path
