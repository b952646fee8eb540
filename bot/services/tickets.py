"""The read side: a ticket as the asker may see it (/ticket), and the lists /todo, /mine and /search."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from bot.domain import LEADER_ROLES, WAITING_FOR, Role, Stage
from bot.messages import MORE_ON_TICKET, NEXT_ON_TICKET
from bot.priority import first_things_first, flags
from bot.privacy import Citizen
from bot.services.base import Service, may_see, may_see_full, snapshot
from bot.workflow import BY_NAME, PRESSES, Actor, clean, make_command
from storage import queries
from storage.models import Department, Member, Ticket
from templates import label, render, text

HISTORY_PAGE = 8  # steps per page of 办理记录 (short enough for a phone)
# what an event's payload adds to its line: typed words first, then the department it went to
HISTORY_WORDS = ("comment", "reason", "instruction", "part", "note", "body", "text", "belongs_to")
HISTORY_DEPARTMENTS = ("department_id",)


@dataclass(frozen=True)
class TicketDetail:
    """/ticket: the text the asker may see, and (in private chat) what they may do next."""

    id: int
    internal_no: str
    text: str
    next_step: str | None = None  # the message template whose buttons offer the next step
    more: list[tuple[str, str]] = field(default_factory=list)  # (button, verb) of further actions
    evidence: int = 0  # pieces of evidence the asker may open (查看佐证)


class Tickets(Service):
    def get(self, ticket_id: int):
        """The ticket's columns as a frozen copy, or None."""
        with self.db.session() as session:
            return snapshot(queries.ticket(session, ticket_id))

    def find(self, number: str):
        with self.db.session() as session:
            return snapshot(queries.ticket_by_number(session, clean(number)))

    def citizens(self, numbers) -> list[Citizen]:
        """Whom a group message naming these tickets must not identify (at most 500 numbers read)."""
        with self.db.session() as session:
            return [Citizen(*row) for row in queries.callers(session, sorted(numbers)[:500])]

    def reply(self, ticket_id: int):
        """The current reply's columns as a frozen copy, or None."""
        with self.db.session() as session:
            return snapshot(queries.current_reply(session, ticket_id))

    def evidence_count(self, ticket_id: int, purpose: str | None = None) -> int:
        with self.db.session() as session:
            return len(queries.attachments_of(session, ticket_id, purpose))

    def may_see_full(self, actor: Actor | None, ticket) -> bool:
        return may_see_full(actor, ticket)

    def text(self, actor: Actor | None, ticket_id: int, private_chat: bool, template: str = "ticket_detail",
             **extra) -> str | None:
        """The ticket as the asker may see it here; a view of full details is audited."""
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            return self._ticket_text(session, actor, ticket, private_chat, template, **extra) if ticket else None

    def detail(self, actor: Actor | None, number: str, private_chat: bool) -> TicketDetail | None:
        """/ticket in one transaction: the text, and in private chat the next step and the further actions."""
        with self.db.session() as session:
            ticket = queries.ticket_by_number(session, clean(number))
            body = self._ticket_text(session, actor, ticket, private_chat) if ticket else None
            if body is None:
                return None
            if not private_chat:
                return TicketDetail(ticket.id, ticket.internal_no, body)
            evidence = len(queries.attachments_of(session, ticket.id)) if may_see_full(actor, ticket) else 0
            return TicketDetail(ticket.id, ticket.internal_no, body, self._next_step(session, actor, ticket),
                                self._more_actions(session, actor, ticket), evidence)

    def _allowed(self, session: Session, actor: Actor | None, action: str, ticket: Ticket) -> bool:
        """Allowed now; a press that needs nothing typed is asked of its guard too."""
        press = PRESSES.get(action)
        command = (make_command(action, ticket.id) if press and not (press[1].fields or press[1].flow or press[1].pick)
                   else None)
        return self.workflow.check(session, actor, action, ticket.id, command) is None

    def _next_step(self, session: Session, actor: Actor | None, ticket: Ticket) -> str | None:
        for action, template in NEXT_ON_TICKET.get(ticket.status, []):
            if self._allowed(session, actor, action, ticket):
                return template
        return None

    def _more_actions(self, session: Session, actor: Actor | None, ticket: Ticket) -> list[tuple[str, str]]:
        """(button, press) of the further actions the asker may take now; a press that needs nothing typed
        is asked of its guard too (a repeat to close, a ticket not yet marked)."""
        out = []
        for name in MORE_ON_TICKET:
            action, press = PRESSES[name]
            command = None if press.fields or press.flow or press.pick else make_command(name, ticket.id)
            if self.workflow.check(session, actor, action.name, ticket.id, command) is None:
                out.append((name, name))
        return out

    # -- 办理记录 --

    def history(self, actor: Actor | None, ticket_id: int, private_chat: bool, page: int) -> tuple[str, int] | None:
        """A page of the ticket's steps (who, when, what; what was written only in private chat) and the number
        of pages; None for whoever may not see the ticket."""
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            if ticket is None or not may_see(actor, ticket):
                return None
            full = private_chat and may_see_full(actor, ticket)
            events, total = queries.history(session, ticket.id, list(BY_NAME), page * HISTORY_PAGE, HISTORY_PAGE)
            if full:
                self._audit(session, actor, "view_history", ticket.id, page=page)
            steps = []
            for event in events:
                member = session.get(Member, event.actor_id) if event.actor_id else None
                payload = event.payload or {}
                words = next((str(payload[k]) for k in HISTORY_WORDS if payload.get(k)), None) if full else None
                to = next((session.get(Department, payload[k]).name for k in HISTORY_DEPARTMENTS
                           if isinstance(payload.get(k), int) and session.get(Department, payload[k])), None)
                steps.append({"at": self.calc.local(event.at), "who": member.name if member else label("role", "office"),
                              "action": event.action, "to_status": event.to_status if event.to_status != event.from_status
                              else None, "department": to, "words": words, "count": payload.get("count")})
            pages = max(1, -(-total // HISTORY_PAGE))
            body = render("history", internal_no=ticket.internal_no, steps=steps, page=page + 1, pages=pages,
                          total=total, full=full)
            return body, pages

    # -- lists --

    def _listing(self, session: Session, tickets: list[Ticket]) -> list[dict]:
        due = queries.next_due(session, [t.id for t in tickets])
        rows = [{"internal_no": t.internal_no, "status": t.status, "channel": t.channel, "kind": t.kind,
                 "due": self.calc.local(due[t.id]) if t.id in due else None, **flags(t),
                 "overdue": t.id in due and due[t.id] < self.now()}
                for t in tickets]
        return sorted(rows, key=first_things_first)  # 市级催办 and 扬言 first (规程 二(二)3)

    def mine(self, actor: Actor) -> list[dict]:
        with self.db.session() as session:
            tickets = queries.tickets_where(session, handler_id=actor.member_id)
            return self._listing(session, tickets)

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
                notices = queries.tickets_waiting_on(session, Stage.ACCEPTANCE_NOTICE.value)  # beside the reply's steps
                if notices:
                    out[text("todo_acceptance_notice")] = self._listing(session, notices)
            for role, department_id in actor.roles:
                if role == Role.HANDLER:
                    created = [t for t in queries.supervisions_in(session, "created") if t.department_id == department_id]
                    if created:
                        out[text("todo_supervision_created")] = self._listing(session, created)
            # a 延期 waiting for the business leader, a 协办 part for the assisting department
            for role, department_id in actor.roles:
                if role == Role.BUSINESS_LEADER:
                    asked = queries.extensions_waiting(session, department_id)
                    if asked:
                        out[text("todo_extension_requested")] = self._listing(session, asked)
            if any(actor.has_role(r) for r in (Role.OFFICE, *LEADER_ROLES)):
                alerts = {t.id: t for _, t in queries.unacknowledged_alerts(session)}
                if alerts:
                    out[text("todo_emergency")] = self._listing(session, list(alerts.values()))
            assisting = [d for r, d in actor.roles if r == Role.HANDLER and d is not None]
            waiting = queries.assists_waiting(session, assisting) if assisting else []
            if waiting:
                out[text("todo_assist")] = self._listing(session, waiting)
        return out

    def search(self, actor: Actor, words: list[str]) -> list[dict]:
        words = [w for w in clean(words) if w]
        with self.db.session() as session:
            tickets = [t for t in queries.search_tickets(session, words, limit=60) if may_see(actor, t)][:20]
            self._audit(session, actor, "search", None, words=words, found=len(tickets))
            return self._listing(session, tickets)
