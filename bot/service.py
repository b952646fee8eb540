"""The interface the chat handlers talk to: every operation is one call, one transaction.

Handlers await these through `Hotline.run` (a worker thread), so the event
loop never waits for the database. Nothing here knows Telegram either; chat
and message ids are plain numbers.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlmodel import Session

from bot import forms
from bot.calendar import WorkCalendar
from bot.deadlines import DeadlineCalculator
from bot.domain import DEPARTMENT_ROLES, WAITING_FOR, Audience, Role, Status
from bot.importer import ImportFailed, ImportReport, import_rows, parse_rows, read_table
from bot.messages import KINDS
from bot.rules import Rules
from bot.suggest import suggest_departments
from bot.views import render_outbox, ticket_view
from bot.workflow import Actor, CreateTicket, Outcome, Workflow, jsonable
from storage import queries
from storage.db import Database
from storage.models import Department, FormDraft, JoinRequest, Member, Outbox, Ticket, TicketEvent
from templates import label, render, text

T = TypeVar("T")

MAX_ATTEMPTS = 12


@dataclass
class Delivery:
    """An outbox row made ready to send."""

    id: int
    chat_id: int | None
    text: str
    template: str
    ticket_id: int | None
    audience: str
    context: dict
    forms: list[int]
    problem: str | None = None
    chart: bool = False
    summary: bool = False


class Hotline:
    def __init__(self, db: Database, rules: Rules, calendar: WorkCalendar,
                 clock: Callable[[], datetime] | None = None, files_dir: Path | None = None):
        self.db = db
        self.rules = rules
        self.calc = DeadlineCalculator(rules, calendar)
        self.workflow = Workflow(rules, self.calc, clock)
        self.files_dir = files_dir or Path(tempfile.mkdtemp(prefix="hotline-forms-"))

    def now(self) -> datetime:
        return self.workflow.now()

    # -- the clock's duties and statistics --

    def tick(self):
        """Warnings, daily rounds, digests due now: done once, queued in the outbox."""
        from bot.scheduler import Planner

        with self.db.session() as session:
            return Planner(self.rules, self.calc).tick(session, self.now())

    def stats(self, start, end, with_topics: bool = True):
        from bot import stats

        with self.db.session() as session:
            return stats.compute(session, self.calc, start, end, self.now(), with_topics)

    def stats_message(self, start, end) -> tuple[str, bytes]:
        from bot import stats

        result = self.stats(start, end)
        return stats.render_text(result), stats.chart_png(result)

    async def run(self, fn: Callable[..., T], *args, **kw) -> T:
        return await asyncio.to_thread(fn, *args, **kw)

    # -- who --

    def actor(self, telegram_user_id: int) -> Actor | None:
        with self.db.session() as session:
            member = queries.member_by_telegram_id(session, telegram_user_id)
            return Actor.load(session, member.id) if member else None

    def whoami(self, telegram_user_id: int) -> dict:
        with self.db.session() as session:
            member = queries.member_by_telegram_id(session, telegram_user_id)
            if member is None:
                return {"member": None, "roles": []}
            roles = []
            for role, department_id in queries.member_roles(session, member.id):
                department = session.get(Department, department_id) if department_id else None
                roles.append({"role": role, "department": department.name if department else None})
            return {"member": member.name, "active": member.active, "roles": roles}

    def departments(self, include_office: bool = False) -> list[tuple[int, str]]:
        with self.db.session() as session:
            return [(d.id, d.name) for d in queries.departments(session, include_office)]

    def _audit(self, session: Session, actor: Actor | None, action: str, ticket_id: int | None = None,
               **payload) -> TicketEvent:
        event = TicketEvent(ticket_id=ticket_id, actor_id=actor.member_id if actor else None, at=self.now(),
                            action=action, payload=jsonable(payload))
        session.add(event)
        session.flush()
        return event

    def audit(self, actor: Actor | None, action: str, ticket_id: int | None = None, **payload) -> None:
        with self.db.session() as session:
            if ticket_id is not None and queries.ticket(session, ticket_id) is None:
                ticket_id = None
            self._audit(session, actor, action, ticket_id, **payload)

    def _queue(self, session: Session, event: TicketEvent, audience: str, template: str, context: dict,
               member_id: int | None = None, department_id: int | None = None, ticket_id: int | None = None,
               dedupe_key: str | None = None) -> None:
        if dedupe_key and queries.outbox_with_key(session, dedupe_key) is not None:
            return
        session.add(Outbox(ticket_id=ticket_id, event_id=event.id, audience=audience, template=template,
                           context=jsonable(context), member_id=member_id, department_id=department_id,
                           created_at=event.at, next_attempt_at=event.at, dedupe_key=dedupe_key))

    # -- organisation in chat --

    def bind(self, actor: Actor | None, chat_id: int, title: str | None, department_id: int) -> str | None:
        """Bind a group to a department or the office; None when the actor is no admin."""
        if actor is None or not actor.has_role(Role.ADMIN):
            return None
        with self.db.session() as session:
            department = session.get(Department, department_id)
            if department is None:
                return None
            queries.bind_chat(session, chat_id, department.id, title, actor.member_id, self.now())
            self._audit(session, actor, "bind_chat", chat_id=chat_id, department_id=department.id, title=title)
            return department.name

    def ask_join(self, telegram_user_id: int, name: str) -> bool:
        """File a join request and tell the admins; False when one is already pending."""
        with self.db.session() as session:
            if queries.pending_join_request(session, telegram_user_id):
                return False
            request = JoinRequest(telegram_user_id=telegram_user_id, name=name[:128], requested_at=self.now())
            session.add(request)
            session.flush()
            event = self._audit(session, None, "join_request", request_id=request.id, user_id=telegram_user_id)
            for admin in queries.members_with_role(session, Role.ADMIN.value):
                self._queue(session, event, Audience.MEMBER, "join_request",
                            {"request_id": request.id, "name": request.name, "user_id": telegram_user_id},
                            member_id=admin.id)
            return True

    def decide_join(self, actor: Actor | None, request_id: int, role: str | None,
                    department_id: int | None) -> str:
        """Approve (with a role) or refuse (role None) a join request; returns an outcome code."""
        if actor is None or not actor.has_role(Role.ADMIN):
            return "not_admin"
        with self.db.session() as session:
            request = session.get(JoinRequest, request_id)
            if request is None or request.status != "pending":
                return "stale"
            if role is not None and role in DEPARTMENT_ROLES and session.get(Department, department_id or 0) is None:
                return "need_department"
            request.status = "approved" if role else "refused"
            request.decided_by_id, request.decided_at = actor.member_id, self.now()
            event = self._audit(session, actor, "join_decided", request_id=request.id, role=role,
                                department_id=department_id)
            if role is None:
                return "refused"
            member = queries.member_by_telegram_id(session, request.telegram_user_id)
            if member is None:
                member = Member(name=request.name, telegram_user_id=request.telegram_user_id, created_at=self.now())
                session.add(member)
                session.flush()
            queries.add_role(session, member.id, role, department_id if role in DEPARTMENT_ROLES else None)
            self._queue(session, event, Audience.MEMBER, "join_approved", {"role": role}, member_id=member.id)
            return "approved"

    # -- commands --

    def do(self, actor: Actor | None, command) -> Outcome:
        return self.workflow.handle(self.db, actor, command)

    def can(self, actor: Actor | None, action: str, ticket_id: int):
        """None when allowed, else the Refused that the command would meet."""
        with self.db.session() as session:
            return self.workflow.check(session, actor, action, ticket_id)

    # status -> (action that proves the asker may act, the message whose buttons offer it), first allowed wins
    NEXT_STEP = {
        Status.RECEIVED: [("dispatch", "intake")],
        Status.DISPATCHED: [("accept", "ticket_card")],
        Status.ACCEPTED: [("save_reply", "write_reply"), ("send_acceptance_notice", "accepted")],
        Status.RETURN_REQUESTED: [("approve_return", "return_request")],
        Status.RETURN_APPROVED: [("complete_return", "return_approved")],
        Status.REPLY_DRAFTED: [("approve_reply", "reply_for_approval"), ("send_acceptance_notice", "accepted")],
        Status.DEPT_REPLIED: [("pass_review", "reply_for_review")],
        Status.APPROVAL_FORM: [("submit_approval_form", "approval_form_due")],
        Status.FINAL_REPLY: [("submit_final_reply", "final_reply_due")],
        Status.LEADER_SIGNOFF: [("approve_signoff", "signoff_request")],
        Status.AWAITING_MAIL: [("record_mail", "mail_due")],
        Status.PLATFORM_REPLY: [("record_platform_reply", "platform_reply_due")],
        Status.CLOSED: [("record_follow_up", "follow_up")],
    }
    # further buttons on /ticket for whoever may use them: (action, button, verb)
    MORE_ACTIONS = (("propose_supervision", "propose_supervision", "propose_supervision"),
                    ("record_collaboration", "record_collaboration", "record_collaboration"),
                    ("hand_back", "hand_back", "hand_back"),
                    ("request_repeat_closure", "request_repeat_closure", "request_repeat_closure"),
                    ("mark_emergency", "mark_emergency", "mark_emergency"),
                    ("mark_emergency", "mark_major_threat", "mark_major_threat"))

    def more_actions(self, actor: Actor | None, ticket_id: int) -> list[tuple[str, str]]:
        """(button, verb) of the further actions the asker may take on the ticket now."""
        ticket = self.ticket(ticket_id)
        out = []
        for action, key, verb in self.MORE_ACTIONS:
            if action == "request_repeat_closure" and not ticket.repeat:
                continue
            if key == "mark_emergency" and ticket.emergency or key == "mark_major_threat" and ticket.major_threat:
                continue
            if self.can(actor, action, ticket_id) is None:
                out.append((key, verb))
        return out

    def next_step_for(self, actor: Actor | None, ticket_id: int) -> str | None:
        """The buttons the asker can use on the ticket now (by message template), or None."""
        ticket = self.ticket(ticket_id)
        if ticket is None or ticket.status not in self.NEXT_STEP:
            return None
        for action, template in self.NEXT_STEP[Status(ticket.status)]:
            if action == "send_acceptance_notice" and ticket.acceptance_notice_sent_at is not None:
                continue
            if self.can(actor, action, ticket_id) is None:
                return template
        return None

    def submit_form(self, actor: Actor | None, ticket_id: int, number: int) -> Outcome:
        """The office files 附件4 (12345) or the final 附件2 (petition), filled from the ticket."""
        from bot.workflow import SubmitApprovalForm, SubmitFinalReply

        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            values = forms.form_data(session, ticket, self.calc, True, self.now()) if ticket else {}
        command = SubmitApprovalForm(ticket_id, values) if number == 4 else SubmitFinalReply(ticket_id, values)
        return self.do(actor, command)

    def ticket(self, ticket_id: int) -> Ticket | None:
        with self.db.session() as session:
            return queries.ticket(session, ticket_id)

    def find(self, number: str) -> Ticket | None:
        with self.db.session() as session:
            return queries.ticket_by_number(session, number)

    def reply(self, ticket_id: int):
        with self.db.session() as session:
            return queries.current_reply(session, ticket_id)

    def suggestions(self, ticket_id: int) -> list[tuple[int, str, bool]]:
        """(department id, name, suggested) best first."""
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            scored = suggest_departments(session, ticket)
            return [(d.id, d.name, i == 0 and score > 0) for i, (d, score) in enumerate(scored)]

    def may_see_full(self, actor: Actor | None, ticket: Ticket) -> bool:
        """SPEC §7: full details only to the assigned handler, the office and the leaders."""
        if actor is None:
            return False
        if actor.has_role(Role.OFFICE) or actor.has_role(Role.PETITION_LEADER) or actor.has_role(Role.MAIN_LEADER):
            return True
        if actor.has(Role.BUSINESS_LEADER, ticket.department_id):
            return True
        return actor.has(Role.HANDLER, ticket.department_id) and ticket.handler_id in (None, actor.member_id)

    def may_see(self, actor: Actor | None, ticket: Ticket) -> bool:
        if actor is None:
            return False
        return self.may_see_full(actor, ticket) or actor.has(Role.HANDLER, ticket.department_id)

    def ticket_text(self, actor: Actor | None, ticket_id: int, private_chat: bool, template: str = "ticket_detail",
                    **extra) -> str | None:
        """The ticket as the asker may see it here; a view of full details is audited."""
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            if ticket is None or not self.may_see(actor, ticket):
                return None
            full = private_chat and self.may_see_full(actor, ticket)
            if full:
                self._audit(session, actor, "view_full", ticket.id, template=template)
            view = ticket_view(session, ticket, self.calc, full)
            reply = queries.current_reply(session, ticket.id)
            return render(template, t=view, reply=self._reply_view(reply), **extra)

    @staticmethod
    def _reply_view(reply) -> dict | None:
        if reply is None:
            return None
        return {k: getattr(reply, k) for k in ("round", "status", "template", "contact_time", "contact_manner",
                                               "verified_by", "site_visit", "fact_finding", "fact_note",
                                               "demand_assessment", "demand_note", "basis", "points", "summary",
                                               "letter", "result", "acceptance", "satisfaction",
                                               "leader_comment", "review_reasons")}

    # -- forms (附件1-4) --

    def form_text(self, actor: Actor | None, ticket_id: int, number: int, private_chat: bool) -> str | None:
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            if ticket is None or not self.may_see(actor, ticket) or number not in forms.FORMS:
                return None
            full = private_chat and self.may_see_full(actor, ticket)
            if full:
                self._audit(session, actor, "view_full", ticket.id, form=number)
            return forms.render_text(number, forms.form_data(session, ticket, self.calc, full, self.now()))

    def form_file(self, ticket_id: int, number: int, private: bool) -> Path:
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            data = forms.form_data(session, ticket, self.calc, private, self.now())
            suffix = "" if private else "-masked"
            path = self.files_dir / text("form_file", internal_no=ticket.internal_no, number=number, suffix=suffix)
            return forms.render_docx(number, data, path)

    def evidence_of(self, ticket_id: int, purpose: str | None = None) -> list:
        with self.db.session() as session:
            return queries.attachments_of(session, ticket_id, purpose)

    # -- problem tickets --

    def problem_rows(self) -> list[dict]:
        """Every problem report, with 'overdue' when the department has not reported in time (未回复)."""
        from storage.models import Department

        rows = []
        with self.db.session() as session:
            for report, ticket in queries.problems(session):
                stage = queries.latest_stage(session, ticket.id, "problem_report")
                department = session.get(Department, ticket.department_id) if ticket.department_id else None
                rows.append({"ticket_id": ticket.id, "internal_no": ticket.internal_no, "kind": report.kind,
                             "status": report.status, "department": department.name if department else "",
                             "reasons": report.reasons, "verification": report.verification,
                             "overdue": bool(stage and stage.open and stage.due_at < self.now())})
        return rows

    def problem_summary(self, actor: Actor | None) -> int | None:
        """Queue the office's report to the petition-line and main leaders; None when not the office."""
        if actor is None or not actor.has_role(Role.OFFICE):
            return None
        rows = self.problem_rows()
        with self.db.session() as session:
            event = self._audit(session, actor, "problem_summary", None, count=len(rows))
            for role in (Role.PETITION_LEADER, Role.MAIN_LEADER):
                for member in queries.members_with_role(session, role.value):
                    self._queue(session, event, Audience.MEMBER, "problem_summary", {"rows": rows},
                                member_id=member.id)
        return len(rows)

    def problem_summary_file(self, rows: list[dict]) -> Path:
        name = text("summary_file", day=f"{self.calc.local(self.now()):%Y%m%d}")
        return forms.summary_docx(rows, self.files_dir / name)

    # -- the knowledge base --

    def kb_import(self, actor: Actor | None, name: str, data: bytes) -> tuple[int, int]:
        from bot import knowledge

        if actor is None or not actor.has_role(Role.OFFICE):
            raise knowledge.KnowledgeError(text("import_only_office"))
        drafts = knowledge.parse_file(name, data)
        with self.db.session() as session:
            result = knowledge.save(session, drafts, actor.member_id, self.now())
            self._audit(session, actor, "kb_import", None, file=name, added=result[0], updated=result[1])
            return result

    def kb_search(self, query: str, limit: int = 5):
        from bot import knowledge

        with self.db.session() as session:
            return knowledge.search(session, query, limit)

    def kb_for_ticket(self, ticket_id: int, limit: int = 3):
        """Entries that may be the basis of a ticket's reply: searched with its content, its category first."""
        from bot import knowledge

        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            query = " ".join(filter(None, [ticket.business_category, ticket.content[:200]]))
            return knowledge.search(session, query, limit)

    def kb_entry(self, entry_id: int):
        with self.db.session() as session:
            from storage.models import KnowledgeEntry

            return session.get(KnowledgeEntry, entry_id)

    # -- drafts of chat forms --

    def draft(self, member_id: int, flow: str | None = None) -> FormDraft | None:
        with self.db.session() as session:
            return queries.draft_for(session, member_id, flow)

    def put_draft(self, member_id: int, flow: str, ticket_id: int | None, step: str | None, data: dict,
                  chat_id: int | None = None) -> FormDraft:
        """Start or update the member's form of this flow; other flows are dropped (one form at a time)."""
        with self.db.session() as session:
            draft = queries.draft_for(session, member_id, flow)
            for other in [d for d in [queries.draft_for(session, member_id)] if d and d.flow != flow]:
                session.delete(other)
            if draft is None:
                draft = FormDraft(member_id=member_id, flow=flow)
                session.add(draft)
            draft.ticket_id, draft.step, draft.data = ticket_id, step, jsonable(data)
            draft.chat_id = chat_id if chat_id is not None else draft.chat_id
            draft.updated_at = self.now()
            session.flush()
            return draft

    def drop_draft(self, member_id: int, flow: str | None = None) -> None:
        with self.db.session() as session:
            queries.drop_drafts(session, member_id, flow)

    # -- intake --

    def parse_paste(self, text: str) -> CreateTicket:
        """A ticket pasted from the platform (label：value lines) as a command; raises ImportFailed."""
        from bot.importer import COLUMNS

        names = {name: column.key for column in COLUMNS for name in column.names}
        values: dict[str, str] = {}
        current = None
        for raw in text.splitlines():
            line = raw.strip()
            if not line:
                continue
            cut = min((i for i in (line.find(":"), line.find("：")) if i >= 0), default=-1)
            head, sep, tail = (line[:cut], True, line[cut + 1:]) if cut >= 0 else (line, False, "")
            if sep and head.strip() in names:
                current = names[head.strip()]
                values[current] = tail.strip()
            elif current == "content":
                values["content"] += "\n" + line
        if "channel" not in values:
            values["channel"] = "12345" if values.get("kind") else ""
        keys = [c.key for c in COLUMNS]
        header = [next(c.names[0] for c in COLUMNS if c.key == k) for k in keys]
        parsed = parse_rows([header, [values.get(k, "") for k in keys]], self.rules)
        return parsed[0][1]

    def import_file(self, actor: Actor, name: str, data: bytes,
                    progress: Callable[[int, int], None] | None = None) -> ImportReport:
        parsed = parse_rows(read_table(name, data), self.rules)
        return import_rows(self.db, self.workflow, parsed, actor=actor, progress=progress)

    # -- the outbox --

    def pending_deliveries(self, limit: int = 50) -> list[Delivery]:
        """What may go out now: bursts merged, and no group over its messages per minute."""
        now = self.now()
        per_minute = self.rules.flag("delivery", "group_per_minute")
        out: list[Delivery] = []
        planned: dict[int, int] = {}
        with self.db.session() as session:
            self._merge_bursts(session, now)
            for row in queries.pending_outbox(session, now, limit * 4):
                delivery = self._prepare(session, row)
                chat_id = delivery.chat_id
                if chat_id is not None and chat_id < 0:  # a group: Telegram allows about 20 a minute
                    recent = queries.sent_to_chat_since(session, chat_id, now - timedelta(minutes=1))
                    if len(recent) + planned.get(chat_id, 0) >= per_minute:
                        oldest = recent[0] if recent else now
                        row.next_attempt_at = max(now, oldest + timedelta(minutes=1))
                        continue
                    planned[chat_id] = planned.get(chat_id, 0) + 1
                out.append(delivery)
                if len(out) >= limit:
                    break
        return out

    def _merge_bursts(self, session: Session, now: datetime) -> None:
        """More messages waiting for one group than it should get at once: one list message instead."""
        over = self.rules.flag("delivery", "burst_merge_over")
        groups: dict[tuple, list[Outbox]] = {}
        for row in queries.pending_for_groups(session, now):
            if not KINDS[row.template].merge or row.urgent:
                continue
            groups.setdefault((row.audience, row.department_id), []).append(row)
        for (audience, department_id), rows in groups.items():
            if len(rows) <= over:
                continue
            items = [{"template": r.template, "ticket_id": r.ticket_id,
                      "internal_no": r.context.get("internal_no")} for r in rows]
            event = self._audit(session, None, "burst_merged", None, audience=audience,
                                department_id=department_id, count=len(rows))
            self._queue(session, event, audience, "burst", {"items": items}, department_id=department_id)
            for r in rows:
                r.status, r.error = "merged", f"merged into a list of {len(rows)}"
            session.flush()

    def _prepare(self, session: Session, row: Outbox) -> Delivery:
        chat_id, problem = None, None
        if row.chat_id is not None:
            chat_id = row.chat_id
        elif row.audience == Audience.MEMBER:
            member = session.get(Member, row.member_id)
            chat_id = member.telegram_user_id if member else None
            problem = None if chat_id else "member_without_telegram"
        else:
            department = (queries.office_department(session) if row.audience == Audience.OFFICE_GROUP
                          else session.get(Department, row.department_id))
            chats = queries.chats_of_department(session, department.id) if department else []
            chat_id = chats[0].chat_id if chats else None
            problem = None if chat_id else "no_group_bound"
        text = render_outbox(session, row, self.calc)
        kind = KINDS[row.template]
        attached = kind.files(row.context) if row.ticket_id and kind.files else []
        return Delivery(row.id, chat_id, text, row.template, row.ticket_id, row.audience, dict(row.context),
                        attached, problem, chart=kind.chart, summary=kind.summary)

    def mark_sent(self, outbox_id: int, chat_id: int, message_id: int, buttons: bool) -> None:
        with self.db.session() as session:
            row = session.get(Outbox, outbox_id)
            row.status, row.sent_at, row.chat_id, row.telegram_message_id = "sent", self.now(), chat_id, message_id
            row.buttons_open = buttons
            row.attempts += 1

    def mark_retry(self, outbox_id: int, after_seconds: float, error: str, max_attempts: int = MAX_ATTEMPTS) -> None:
        with self.db.session() as session:
            row = session.get(Outbox, outbox_id)
            row.attempts += 1
            row.error = error[:500]
            if row.attempts >= max_attempts:
                self._fail(session, row, error)
            else:
                row.next_attempt_at = self.now() + timedelta(seconds=after_seconds)

    def mark_failed(self, outbox_id: int, error: str, chat_id: int | None = None) -> None:
        with self.db.session() as session:
            row = session.get(Outbox, outbox_id)
            row.chat_id = chat_id if chat_id is not None else row.chat_id
            self._fail(session, row, error)

    def _fail(self, session: Session, row: Outbox, error: str) -> None:
        """A message that cannot be delivered is reported to the office, once per chat."""
        row.status, row.error = "failed", error[:500]
        event = self._audit(session, None, "delivery_failed", row.ticket_id, outbox_id=row.id, error=error[:200],
                            chat_id=row.chat_id, audience=row.audience)
        if row.audience == Audience.OFFICE_GROUP and row.template == "delivery_failed":
            return  # the office group itself is unreachable: the audit log keeps it
        if row.audience == Audience.MEMBER:
            member = session.get(Member, row.member_id)
            name = member.name if member else "?"
        else:
            department = session.get(Department, row.department_id) if row.department_id else None
            name = department.name if department else label("role", Role.OFFICE)
        where = row.chat_id if row.chat_id is not None else f"{row.audience}:{row.department_id or row.member_id}"
        self._queue(session, event, Audience.OFFICE_GROUP, "delivery_failed",
                    {"where": f"{name} {row.chat_id or ''}".strip(), "audience": row.audience, "error": error[:200],
                     "internal_no": (queries.ticket(session, row.ticket_id).internal_no if row.ticket_id else None),
                     "department_id": row.department_id, "member_id": row.member_id},
                    dedupe_key=f"delivery_failed:{where}")

    def open_buttons(self, ticket_id: int, keep: tuple[int, int] | None = None,
                     templates: set[str] | None = None) -> list[tuple[int, int, int, str]]:
        """(outbox id, chat id, message id, text) of sent messages whose buttons are still open."""
        out = []
        with self.db.session() as session:
            for row in queries.open_buttons(session, ticket_id):
                if keep and (row.chat_id, row.telegram_message_id) == keep:
                    continue
                if templates is not None and row.template not in templates:
                    continue
                out.append((row.id, row.chat_id, row.telegram_message_id, render_outbox(session, row, self.calc)))
        return out

    def close_buttons(self, outbox_ids: list[int]) -> None:
        with self.db.session() as session:
            for outbox_id in outbox_ids:
                session.get(Outbox, outbox_id).buttons_open = False

    def outbox_for_message(self, chat_id: int, message_id: int) -> Outbox | None:
        with self.db.session() as session:
            return queries.outbox_by_message(session, chat_id, message_id)

    # -- look-ups --

    def _listing(self, session: Session, tickets: list[Ticket]) -> list[dict]:
        due = queries.next_due(session, [t.id for t in tickets])
        return [{"internal_no": t.internal_no, "status": t.status, "channel": t.channel, "kind": t.kind,
                 "due": self.calc.local(due[t.id]) if t.id in due else None, "city_urged": t.city_urged,
                 "threat": t.kind == "threat" or t.major_threat, "overdue": t.id in due and due[t.id] < self.now()}
                for t in tickets]

    def mine(self, actor: Actor) -> list[dict]:
        with self.db.session() as session:
            tickets = queries.tickets_where(session, handler_id=actor.member_id)
            listing = self._listing(session, tickets)
        return sorted(listing, key=lambda r: (r["due"] is None, r["due"] or datetime.max.replace(tzinfo=UTC)))

    def todo(self, actor: Actor) -> dict[str, list[dict]]:
        """What waits for the actor, by role."""
        out: dict[str, list[dict]] = {}
        with self.db.session() as session:
            for role, department_id in sorted(actor.roles, key=lambda r: (r[0], r[1] or 0)):
                statuses = WAITING_FOR.get(Role(role))
                if not statuses:
                    continue
                tickets = queries.tickets_where(session, department_id=department_id,
                                                statuses=[s.value for s in statuses])
                if role == Role.HANDLER:
                    tickets = [t for t in tickets if t.handler_id in (None, actor.member_id)]
                key = label("role", role) + (f"（{session.get(Department, department_id).name}）"
                                             if department_id else "")
                out[key] = self._listing(session, tickets)
            # the problem track and supervision wait outside the ticket's status
            waiting = {Role.HANDLER: "requested", Role.BUSINESS_LEADER: "submitted", Role.OFFICE: "signed"}
            for role, department_id in actor.roles:
                status = waiting.get(Role(role))
                if status is None:
                    continue
                rows = [t for r, t in queries.problems(session, [status])
                        if department_id is None or t.department_id == department_id]
                if rows:
                    out[text("todo_problems", status=label("problem_status", status))] = self._listing(session, rows)
            if actor.has_role(Role.OFFICE):
                proposed = queries.supervisions_in(session, "proposed")
                if proposed:
                    out[text("todo_supervision_proposed")] = self._listing(session, proposed)
            for role, department_id in actor.roles:
                if role == Role.HANDLER:
                    created = [t for t in queries.supervisions_in(session, "created") if t.department_id == department_id]
                    if created:
                        out[text("todo_supervision_created")] = self._listing(session, created)
        return out

    def search(self, actor: Actor, words: list[str]) -> list[dict]:
        with self.db.session() as session:
            tickets = [t for t in queries.search_tickets(session, words, limit=60) if self.may_see(actor, t)][:20]
            self._audit(session, actor, "search", None, words=words, found=len(tickets))
            return self._listing(session, tickets)


def failed_import_lines(error: ImportFailed, limit: int = 20) -> list[str]:
    lines = error.lines()
    return lines[:limit] + ([text("import_more_errors", count=len(lines))] if len(lines) > limit else [])
