"""The outbox: what may go out now (bursts merged, groups not flooded), and what became of each message."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.domain import Audience, Role
from bot.messages import KINDS
from bot.services.base import Service
from bot.views import render_outbox
from bot.workflow import PRESSES
from storage import queries
from storage.models import Department, Member
from storage.models import Outbox as OutboxRow
from templates import label

MAX_ATTEMPTS = 12  # Telegram's own troubles (network, 5xx): about a minute of tries
# A message that fails for a reason of ours (a template, a form file) is tried this often, this far apart, then
# failed and the office told, so it never holds up the messages behind it.
ERROR_ATTEMPTS, ERROR_RETRY_SECONDS = 3, 30.0

log = logging.getLogger(__name__)


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
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (kind, Telegram file id), shown first


@dataclass(frozen=True)
class SentMessage:
    """A message the bot sent from the outbox, found again by where it is: its row, kind, text and context
    (what its buttons are shown by)."""

    id: int
    template: str
    text: str
    context: dict


class OpenButtons(NamedTuple):
    """A sent message whose buttons are still open."""

    id: int
    chat_id: int
    message_id: int
    text: str


class Outbox(Service):
    def pending(self, limit: int = 50) -> list[Delivery]:
        """What may go out now: bursts merged, and no group over its messages per minute."""
        now = self.now()
        per_minute = self.rules.flag("delivery", "group_per_minute")
        out: list[Delivery] = []
        planned: dict[int, int] = {}
        with self.db.session() as session:
            self._merge_bursts(session, now)
            for row in queries.pending_outbox(session, now, limit * 4):
                try:
                    delivery = self._prepare(session, row)
                except SQLAlchemyError:
                    raise
                except Exception as err:  # noqa: BLE001 - a fault of ours in one message, not in the others
                    log.exception("outbox %s could not be prepared", row.id)
                    self._retry(session, row, ERROR_RETRY_SECONDS, f"{type(err).__name__}: {err}", ERROR_ATTEMPTS)
                    continue
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
        groups: dict[tuple, list[OutboxRow]] = {}
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

    def _prepare(self, session: Session, row: OutboxRow) -> Delivery:
        chat_id, problem = None, None
        if row.chat_id is not None:
            chat_id = row.chat_id
        elif row.audience == Audience.MEMBER:
            member = session.get(Member, row.member_id)
            chat_id = member.telegram_user_id if member and member.active else None
            problem = None if chat_id else "member_without_telegram" if member and member.active else "member_inactive"
        else:
            department = (queries.office_department(session) if row.audience == Audience.OFFICE_GROUP
                          else session.get(Department, row.department_id))
            chats = queries.chats_of_department(session, department.id) if department else []
            chat_id = chats[0].chat_id if chats else None
            problem = None if chat_id else "no_group_bound"
        text = render_outbox(session, row, self.calc)
        kind = KINDS[row.template]
        attached = kind.files(row.context) if row.ticket_id and kind.files else []
        evidence = []
        if kind.evidence and row.ticket_id and row.audience == Audience.MEMBER:  # never into a group
            purpose, owner = kind.evidence(row.context)
            evidence = [(a.kind, a.file_id) for a in queries.attachments_of(session, row.ticket_id, purpose)
                        if owner is None or a.owner_id == owner]
        return Delivery(row.id, chat_id, text, row.template, row.ticket_id, row.audience, dict(row.context),
                        attached, problem, chart=kind.chart, summary=kind.summary, evidence=evidence)

    def mark_sent(self, outbox_id: int, chat_id: int, message_id: int, buttons: bool) -> None:
        with self.db.session() as session:
            row = session.get(OutboxRow, outbox_id)
            row.status, row.sent_at, row.chat_id, row.telegram_message_id = "sent", self.now(), chat_id, message_id
            row.buttons_open = buttons
            row.attempts += 1

    def mark_retry(self, outbox_id: int, after_seconds: float, error: str, max_attempts: int = MAX_ATTEMPTS) -> None:
        with self.db.session() as session:
            self._retry(session, session.get(OutboxRow, outbox_id), after_seconds, error, max_attempts)

    def _retry(self, session: Session, row: OutboxRow, after_seconds: float, error: str, max_attempts: int) -> None:
        row.attempts += 1
        row.error = error[:500]
        if row.attempts >= max_attempts:
            self._fail(session, row, error)
        else:
            row.next_attempt_at = self.now() + timedelta(seconds=after_seconds)

    def mark_failed(self, outbox_id: int, error: str, chat_id: int | None = None) -> None:
        with self.db.session() as session:
            row = session.get(OutboxRow, outbox_id)
            row.chat_id = chat_id if chat_id is not None else row.chat_id
            self._fail(session, row, error)

    def _fail(self, session: Session, row: OutboxRow, error: str) -> None:
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
                     templates: set[str] | None = None) -> list[OpenButtons]:
        """Sent messages of the ticket whose buttons are still open, but the one pressed (keep); on a status
        change (templates None) not those of a kind that outlives it (a side machine of its own)."""
        out = []
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            for row in queries.open_buttons(session, ticket_id):
                if keep and (row.chat_id, row.telegram_message_id) == keep:
                    continue
                if templates is not None and row.template not in templates:
                    continue
                if templates is None and _still_pressable(row.template, ticket.status):
                    continue
                out.append(OpenButtons(row.id, row.chat_id, row.telegram_message_id,
                                       render_outbox(session, row, self.calc)))
        return out

    def close_buttons(self, outbox_ids: list[int]) -> None:
        with self.db.session() as session:
            for outbox_id in outbox_ids:
                session.get(OutboxRow, outbox_id).buttons_open = False

    def sent_message(self, chat_id: int, message_id: int) -> SentMessage | None:
        """The outbox message at this place in a chat, rendered as it reads now; None for other messages."""
        with self.db.session() as session:
            row = queries.outbox_by_message(session, chat_id, message_id)
            return SentMessage(row.id, row.template, render_outbox(session, row, self.calc), row.context) if row else None


def _still_pressable(template: str, status: str) -> bool:
    """A kind of a side machine keeps its buttons when the ticket's status moves, while one of its actions may
    still start from the new status (a 督办建议 stays until decided, not once the ticket has closed for a 延期)."""
    kind = KINDS.get(template)
    if kind is None or not kind.outlives_status:
        return False
    presses = [b.press for line in kind.buttons for b in line if b.press in PRESSES]
    return any(status in PRESSES[press][0].sources for press in presses)
