"""The outbox: what may go out now (bursts merged, groups not flooded), and what became of each message."""

from __future__ import annotations

import logging
import os
import socket
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
    # (kind, Telegram file id, attachment id), shown first; the bureau's copy when Telegram no longer has it
    evidence: list[tuple[str, str, int]] = field(default_factory=list)
    allowed: int = 1 << 30  # Telegram messages it may send now (the chat's and the overall pace)
    parts_sent: int = 0  # messages of it delivered before: not sent again


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


TEXT_PART = 4000  # about the characters of one Telegram message, to reserve the parts of a long text
BURST_ITEMS = 100  # a list message names at most this many (a phone screen's worth, in a few parts)
MERGEABLE = sorted(name for name, kind in KINDS.items() if kind.merge)
CLAIM_SECONDS = 60.0  # a claimed row another process may take once its sender has been silent this long


def holder_name(instance: str | None = None) -> str:
    """Who holds claims and leases: the configured instance name, else host and process."""
    return (instance or f"{socket.gethostname()}:{os.getpid()}")[:64]


class Outbox(Service):
    holder = holder_name()
    second_pace = True  # False: the paces counted in seconds are off (a clock that stands still)

    def pending(self, limit: int = 50) -> list[Delivery]:
        """What may go out now, claimed for this process: bursts merged, and no chat and not Telegram as a
        whole over its pace, counted from the database (what every process sent or is sending), before
        anything is rendered. A row may get fewer messages now than it needs (`allowed`): the rest later."""
        now = self.now()
        pace = self.rules.delivery
        out: list[Delivery] = []
        budgets: dict[int, list] = {}  # chat -> [messages it may still get, when its window frees]: read once
        with self.db.session() as session:
            self._merge_bursts(session, now)
            second = timedelta(seconds=1)
            overall = (int(pace.overall_per_second) - queries.messages_sent_since(session, now - second, now)[0]
                       if self.second_pace else 1 << 30)
            for row in queries.claimable_outbox(session, now, limit * 4):
                if overall <= 0 or len(out) >= limit:
                    break
                chat_id, problem = self._chat_of(session, row)
                allowed = overall
                if chat_id is not None:
                    if chat_id not in budgets:
                        budgets[chat_id] = self._budget(session, chat_id, now)
                    left, frees = budgets[chat_id]
                    if left <= 0:
                        row.next_attempt_at = max(now, frees)  # waits until its chat's window frees
                        continue
                    allowed = min(allowed, left)
                try:
                    delivery = self._prepare(session, row)
                except SQLAlchemyError:
                    raise
                except Exception as err:  # noqa: BLE001 - a fault of ours in one message, not in the others
                    log.exception("outbox %s could not be prepared", row.id)
                    self._retry(session, row, ERROR_RETRY_SECONDS, f"{type(err).__name__}: {err}", ERROR_ATTEMPTS)
                    continue
                planned = (len(delivery.forms) + len(delivery.evidence) + delivery.summary + delivery.chart
                           + -(-len(delivery.text) // TEXT_PART) - row.parts_sent)
                allowed = max(1, min(allowed, planned))  # the messages reserved for it: the rest waits its turn
                delivery.allowed, delivery.parts_sent = allowed, row.parts_sent
                row.claimed_by, row.claimed_until = self.holder, now + timedelta(seconds=CLAIM_SECONDS)
                row.messages = row.parts_sent + allowed
                row.chat_id = chat_id if chat_id is not None else row.chat_id
                session.flush()
                overall -= allowed
                if chat_id is not None:
                    budgets[chat_id][0] -= allowed
                out.append(delivery)
        return out

    def _budget(self, session: Session, chat_id: int, now: datetime) -> list:
        """[how many messages the chat may get now, when its window frees]."""
        pace = self.rules.delivery
        unpaced = [1 << 30, now]
        if chat_id < 0:  # a group
            per_minute = self.rules.flag("delivery", "group_per_minute")
            if not per_minute:
                return unpaced
            capacity, window = int(per_minute), timedelta(minutes=1)
        elif not self.second_pace:
            return unpaced
        else:
            capacity, window = pace.private_burst, timedelta(seconds=pace.private_burst / pace.private_per_second)
        used, oldest = queries.messages_sent_since(session, now - window, now, chat_id)
        return [capacity - used, (oldest or now) + window]

    def _merge_bursts(self, session: Session, now: datetime) -> None:
        """More messages waiting for one group than it should get at once: one list message instead, of at
        most `BURST_ITEMS` of the oldest (the rest make the next list, a call later): counted in the database,
        never read whole."""
        over = self.rules.flag("delivery", "burst_merge_over")
        for audience, department_id, n in queries.pending_group_counts(session, now, MERGEABLE):
            if n <= over:
                continue
            rows = queries.pending_for_group(session, now, MERGEABLE, audience, department_id, BURST_ITEMS)
            items = [{"template": r.template, "ticket_id": r.ticket_id,
                      "internal_no": r.context.get("internal_no")} for r in rows]
            event = self._audit(session, None, "burst_merged", None, audience=audience,
                                department_id=department_id, count=len(rows))
            self._queue(session, event, audience, "burst", {"items": items}, department_id=department_id)
            for r in rows:
                r.status, r.error = "merged", f"merged into a list of {len(rows)}"
            session.flush()

    def _chat_of(self, session: Session, row: OutboxRow) -> tuple[int | None, str | None]:
        """Where the row goes, or why it cannot go anywhere."""
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
        return chat_id, problem

    def _prepare(self, session: Session, row: OutboxRow) -> Delivery:
        chat_id, problem = self._chat_of(session, row)
        text = render_outbox(session, row, self.calc)
        kind = KINDS[row.template]
        attached = kind.files(row.context) if row.ticket_id and kind.files else []
        evidence = []
        if kind.evidence and row.ticket_id and row.audience == Audience.MEMBER:  # never into a group
            purpose, owner = kind.evidence(row.context)
            evidence = [(a.kind, a.file_id, a.id) for a in queries.attachments_of(session, row.ticket_id, purpose)
                        if owner is None or a.owner_id == owner]
        return Delivery(row.id, chat_id, text, row.template, row.ticket_id, row.audience, dict(row.context),
                        attached, problem, chart=kind.chart, summary=kind.summary, evidence=evidence)

    def mark_sent(self, outbox_id: int, chat_id: int, message_id: int | None, buttons: bool) -> None:
        """Sent whole; message_id None: its last message went out before (then the row knows it)."""
        with self.db.session() as session:
            row = session.get(OutboxRow, outbox_id)
            row.status, row.sent_at, row.chat_id = "sent", self.now(), chat_id
            row.telegram_message_id = message_id if message_id is not None else row.telegram_message_id
            row.buttons_open = buttons
            row.attempts += 1
            row.messages, row.claimed_by, row.claimed_until = row.parts_sent, None, None

    def mark_part_sent(self, outbox_id: int, parts_sent: int, message_id: int | None = None) -> None:
        """One more of the row's messages delivered: counted in the chat's pace, never sent again."""
        with self.db.session() as session:
            row = session.get(OutboxRow, outbox_id)
            row.parts_sent, row.sent_at = parts_sent, self.now()
            row.telegram_message_id = message_id if message_id is not None else row.telegram_message_id

    def mark_paused(self, outbox_id: int) -> None:
        """The row sent what its budget allowed; the rest when the chat's window frees."""
        with self.db.session() as session:
            row = session.get(OutboxRow, outbox_id)
            row.claimed_by, row.claimed_until, row.messages = None, None, row.parts_sent
            row.next_attempt_at = self.now()

    def mark_retry(self, outbox_id: int, after_seconds: float, error: str, max_attempts: int = MAX_ATTEMPTS) -> None:
        with self.db.session() as session:
            self._retry(session, session.get(OutboxRow, outbox_id), after_seconds, error, max_attempts)

    def _retry(self, session: Session, row: OutboxRow, after_seconds: float, error: str, max_attempts: int) -> None:
        row.claimed_by, row.claimed_until, row.messages = None, None, row.parts_sent
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
        row.claimed_by, row.claimed_until, row.messages = None, None, row.parts_sent
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
