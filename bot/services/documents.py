"""The bureau's forms (附件1-5) as text and .docx, and the office's report on problem tickets."""

from __future__ import annotations

from pathlib import Path

from bot import forms
from bot.domain import Audience, Role
from bot.services.base import Service, may_see, may_see_full
from bot.workflow import Actor
from storage import queries
from storage.models import Department
from templates import label, text

FORMS = forms.FORMS  # the numbers of the forms there are: one table, the core's


class Documents(Service):
    def form_text(self, actor: Actor | None, ticket_id: int, number: int, private_chat: bool) -> str | None:
        """The form as a chat message, as the asker may see it; None when they may not see the ticket."""
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            if ticket is None or not may_see(actor, ticket) or number not in FORMS:
                return None
            full = private_chat and may_see_full(actor, ticket)
            if full:
                self._audit(session, actor, "view_full", ticket.id, form=number)
            return forms.render_text(number, forms.form_data(session, ticket, self.calc, full, self.now()))

    def reply_check(self, ticket_id: int) -> tuple[list[str], list[str]]:
        """What the current reply's letter cannot go out with, and its style notes (规程 三(二))."""
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            return forms.check_reply(session, ticket, self.calc, self.rules.flag("workflow", "reply_max_chars"),
                                     self.now())

    def form_edits(self, ticket_id: int, number: int) -> dict:
        """What the office changed in the ticket's latest filed form of this number (kept for the next round)."""
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            form = queries.latest_form(session, ticket_id)
            return forms.edits_of(session, ticket) if form is not None and form.form == number else {}

    def form_preview(self, actor: Actor | None, ticket_id: int, number: int, edits: dict) -> tuple[str, Path] | None:
        """附件2 / 附件4 with the office's changes, as text and as a regenerated .docx (private chat only)."""
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            if ticket is None or not may_see_full(actor, ticket):
                return None
            self._audit(session, actor, "view_full", ticket.id, form=number)
            data = forms.with_edits(forms.form_data(session, ticket, self.calc, True, self.now()), edits)
            path = self.files_dir / text("form_file", internal_no=ticket.internal_no, name=forms.form_name(number),
                                         suffix=text("form_draft_suffix"))
            return forms.render_text(number, data), forms.render_docx(number, data, path)

    def form_file(self, ticket_id: int, number: int, private: bool) -> Path:
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            data = forms.form_data(session, ticket, self.calc, private, self.now())
            suffix = "" if private else "-masked"
            path = self.files_dir / text("form_file", internal_no=ticket.internal_no, name=forms.form_name(number),
                                         suffix=suffix)
            return forms.render_docx(number, data, path)

    # -- problem tickets --

    def problem_rows(self) -> list[dict]:
        """Every problem report, with 'overdue' when the department has not reported in time (未回复)."""
        with self.db.session() as session:
            return self._problem_rows(session)

    def _problem_rows(self, session) -> list[dict]:
        rows = []
        reports = queries.problems(session)
        evidence = queries.attachment_counts(session, (ticket.id for _, ticket in reports))
        for report, ticket in reports:
            stage = queries.latest_stage(session, ticket.id, "problem_report")
            department = session.get(Department, ticket.department_id) if ticket.department_id else None
            rows.append({"ticket_id": ticket.id, "internal_no": ticket.internal_no, "external_no": ticket.external_no,
                         "kind": report.kind,
                         "status": report.status, "department": department.name if department else "",
                         "reasons": report.reasons, "verification": report.verification,
                         "evidence": evidence.get(ticket.id, 0),  # 佐证 kept for the ticket
                         "overdue": bool(stage and stage.open and stage.due_at < self.now())})
        return rows

    def problem_summary(self, actor: Actor | None) -> int | None:
        """Queue the office's report to the petition-line and main leaders; None when not the office."""
        if actor is None or not actor.has_role(Role.OFFICE):
            return None
        with self.db.session() as session:
            rows = self._problem_rows(session)
            event = self._audit(session, actor, "problem_summary", None, count=len(rows))
            for role in (Role.PETITION_LEADER, Role.MAIN_LEADER):
                for member in queries.members_with_role(session, role.value):
                    self._queue(session, event, Audience.MEMBER, "problem_summary", {"rows": rows},
                                member_id=member.id)
        return len(rows)

    def summary_file(self, rows: list[dict]) -> Path:
        today = self.calc.local(self.now())
        name = text("summary_file", day=f"{today:%Y%m%d}")
        shown = [{**row, "external_no": row.get("external_no", ""), "kind": label("problem_kind", row["kind"]),
                  "status": label("problem_status", row["status"]) + (text("summary_overdue") if row["overdue"] else ""),
                  "reasons": row.get("reasons") or "", "verification": row.get("verification") or "",
                  "evidence": row.get("evidence")}  # None: a report queued before the count was kept
                 for row in rows]
        return forms.summary_docx(shown, text("form_date", m=today), self.files_dir / name)
