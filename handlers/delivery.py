"""The outbox, delivered: each queued message rendered, sent with its buttons, and marked.

A 429 waits as long as Telegram asks and tries again; a network error backs
off; a chat that is gone fails for good and the office is told once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.services import Delivery, Services
from bot.services.outbox import ERROR_ATTEMPTS, ERROR_RETRY_SECONDS
from handlers.common import buttons_for, send_evidence, send_media, split_html
from templates import label, text

log = logging.getLogger(__name__)

class Deliverer:
    def __init__(self, application: Application):
        self.application = application
        self._lock = asyncio.Lock()

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]

    async def flush(self, rounds: int = 20) -> int:
        """Send what is due now; returns how many messages went out."""
        sent = 0
        async with self._lock:
            for _ in range(rounds):
                batch = await self.services.run(self.services.outbox.pending)
                if not batch:
                    break
                for delivery in batch:  # each leaves the due set: sent, failed, or due again later
                    sent += await self._send(delivery)
        return sent

    async def _send(self, d: Delivery) -> bool:
        s, bot = self.services, self.application.bot
        if d.chat_id is None:
            await s.run(s.outbox.mark_failed, d.id, d.problem or "no chat")
            return False
        markup = buttons_for(d.template, d.ticket_id, d.context, bot.username)
        done, message_id, steps = d.parts_sent, None, []
        try:
            steps = self._steps(d, markup)
            for step in steps[d.parts_sent:d.parts_sent + d.allowed]:
                message_id = getattr(await step(), "message_id", None)
                done += 1
                await s.run(s.outbox.mark_part_sent, d.id, done, message_id)  # a retry goes on after it
        except RetryAfter as err:
            delay = err.retry_after if isinstance(err.retry_after, (int, float)) else err.retry_after.total_seconds()
            await s.run(s.outbox.mark_retry, d.id, float(delay), str(err))
            return False
        except (Forbidden, BadRequest) as err:  # the chat is gone or the message can never be sent
            await s.run(s.outbox.mark_failed, d.id, str(err), d.chat_id)
            return False
        except (NetworkError, TelegramError) as err:
            await s.run(s.outbox.mark_retry, d.id, 5.0, str(err))
            return False
        except Exception as err:  # a fault of ours (a file, a template): a few tries, then failed and told
            log.exception("outbox %s could not be sent", d.id)
            await s.run(s.outbox.mark_retry, d.id, ERROR_RETRY_SECONDS, f"{type(err).__name__}: {err}",
                        ERROR_ATTEMPTS)
            return False
        if done < len(steps):  # the chat's pace allowed only part of it now
            await s.run(s.outbox.mark_paused, d.id)
            return False
        await s.run(s.outbox.mark_sent, d.id, d.chat_id, message_id, markup is not None)
        return True

    def _steps(self, d: Delivery, markup) -> list[Callable[[], Awaitable]]:
        """The Telegram messages of one outbox row, in order: forms, evidence, summary, chart, then the text
        in parts, the last with the buttons."""
        s, bot = self.services, self.application.bot
        steps: list[Callable[[], Awaitable]] = []

        async def document(path_of) -> None:
            path = await path_of()
            with open(path, "rb") as fh:
                await bot.send_document(d.chat_id, fh, filename=path.name)

        for number in d.forms:  # the form first, so the message with the buttons is the last one
            steps.append(lambda n=number: document(lambda: s.run(s.documents.form_file, d.ticket_id, n,
                                                                 d.audience == "member")))
        for kind, file_id, attachment_id in d.evidence:  # what the decision is about, before the buttons to decide
            steps.append(lambda k=kind, f=file_id, a=attachment_id: self._evidence(d, k, f, a))
        if d.summary:
            steps.append(lambda: document(lambda: s.run(s.documents.summary_file, d.context["rows"])))
        if d.chart:
            async def chart() -> None:
                start, end = (date.fromisoformat(d.context[k]) for k in ("from", "to"))
                _, png = await s.run(s.clock.stats_message, start, end)
                await bot.send_photo(d.chat_id, png)
            steps.append(chart)
        parts = split_html(d.text)
        last = len(parts) - 1
        for index, part in enumerate(parts):
            steps.append(lambda p=part, keys=markup if index == last else None: bot.send_message(
                d.chat_id, p, reply_markup=keys))
        return steps

    async def _evidence(self, d: Delivery, kind: str, file_id: str, attachment_id: int) -> None:
        """By Telegram's file id (nothing to upload); when Telegram no longer has the file, the bureau's own copy,
        as 查看佐证 sends it; when neither is there, the decision goes on without it."""
        s, bot = self.services, self.application.bot
        try:
            await send_media(bot, d.chat_id, kind, file_id)
            return
        except BadRequest as err:
            log.info("evidence %s of outbox %s gone from Telegram (%s): the bureau's copy", file_id, d.id, err)
        kept = await s.run(s.evidence.kept, d.ticket_id, attachment_id)
        if kept is None or kept.data is None:
            log.warning("evidence %s of outbox %s not sent: neither on Telegram nor kept", file_id, d.id)
            return
        try:
            await send_evidence(bot, d.chat_id, kept)
        except BadRequest as err:  # a file that cannot be sent must not hold up the decision
            log.warning("evidence %s of outbox %s not sent: %s", file_id, d.id, err)

    async def close_buttons(self, ticket_id: int, keep: tuple[int, int] | None = None,
                            templates: set[str] | None = None, only: tuple[int, int] | None = None) -> None:
        """Old buttons of a ticket that moved on (or of the messages a decision settled, or the one message
        `only`) are taken away."""
        s, bot = self.services, self.application.bot
        rows = await s.run(s.outbox.open_buttons, ticket_id, keep, templates)
        rows = [r for r in rows if only is None or (r.chat_id, r.message_id) == only]
        if not rows:
            return
        ticket = await s.run(s.tickets.get, ticket_id)
        closed = []
        for outbox_id, chat_id, message_id, body in rows:
            line = text("closed_line", status=label("status", ticket.status))
            try:
                await bot.edit_message_text(split_html(f"{body}\n\n{line}")[-1], chat_id=chat_id,
                                            message_id=message_id, reply_markup=None)
            except (BadRequest, Forbidden) as err:  # gone, or already so: nothing left to close
                log.info("could not close buttons of message %s in %s: %s", message_id, chat_id, err)
            except TelegramError as err:  # Telegram's trouble past the retries: still open, closed next time
                log.warning("buttons of message %s in %s still open: %s", message_id, chat_id, err)
                continue
            closed.append(outbox_id)
        await s.run(s.outbox.close_buttons, closed)
