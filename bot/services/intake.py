"""The office's intake: a pasted ticket, an imported export, the new ticket's card and where to send it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.files import FileLimits
from bot.importer import COLUMNS, ImportFailed, ImportReport, import_rows, parse_rows, read_table
from bot.services.base import Service
from bot.suggest import suggest_departments
from bot.workflow import Actor, CreateTicket
from storage import queries
from templates import text


@dataclass(frozen=True)
class IntakeCard:
    """A registered ticket shown to the office, with what its next step needs."""

    ticket_id: int
    internal_no: str
    text: str
    first_contact: bool  # the hotline's first call to the citizen is still to be recorded
    departments: list[tuple[int, str, bool]] = field(default_factory=list)  # (id, name, suggested), best first
    immediate: str | None = None  # the press that answers it at once (即办件, 办法 第十四条), where the rules allow


class Intake(Service):
    limits = FileLimits()  # what a file may weigh, packed and unpacked (Services sets the settings')

    def parse_paste(self, pasted: str) -> CreateTicket:
        """A ticket pasted from the platform (label：value lines) as a command; raises ImportFailed."""
        names = {name: column.key for column in COLUMNS for name in column.names}
        values: dict[str, str] = {}
        current = None
        for raw in pasted.splitlines():
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
        """The whole file in one transaction, or nothing (ImportFailed)."""
        parsed = parse_rows(read_table(name, data, self.limits), self.rules)
        return import_rows(self.db, self.workflow, parsed, actor=actor, progress=progress)

    def suggestions(self, ticket_id: int) -> list[tuple[int, str, bool]]:
        """(department id, name, suggested) best first."""
        with self.db.session() as session:
            return self._suggestions(session, ticket_id)

    def _suggestions(self, session, ticket_id: int) -> list[tuple[int, str, bool]]:
        scored = suggest_departments(session, queries.ticket(session, ticket_id))
        return [(d.id, d.name, i == 0 and score > 0) for i, (d, score) in enumerate(scored)]

    def card(self, actor: Actor | None, ticket_id: int) -> IntakeCard | None:
        """The registered ticket in full, whether first contact is due, and the departments to pick from."""
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            body = self._ticket_text(session, actor, ticket, True) if ticket else None
            if body is None:
                return None
            first_contact = (ticket.channel in self.rules.flag("workflow", "first_contact_before_dispatch")
                             and not ticket.contact_status)
            departments = [] if first_contact else self._suggestions(session, ticket_id)
            return IntakeCard(ticket.id, ticket.internal_no, body, first_contact, departments,
                              self._immediate(ticket.channel))

    def immediate_press(self, ticket_id: int) -> str | None:
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            return self._immediate(ticket.channel) if ticket else None

    def _immediate(self, channel: str) -> str | None:
        """即时答复 where the rules allow it; drafted for the 主管负责人's review where they ask for one."""
        if channel not in self.rules.flag("workflow", "immediate_channels"):
            return None
        return ("draft_immediate_answer" if channel in self.rules.flag("workflow", "immediate_review_channels")
                else "answer_at_once")


def failed_import_lines(error: ImportFailed, limit: int = 20) -> list[str]:
    lines = error.lines()
    return lines[:limit] + ([text("import_more_errors", count=len(lines))] if len(lines) > limit else [])
