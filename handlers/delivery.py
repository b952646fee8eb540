"""The outbox, delivered: each queued message rendered, sent with its buttons, and marked.

A 429 waits as long as Telegram asks and tries again; a network error backs
off; a chat that is gone fails for good and the office is told once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.service import Delivery, Hotline
from handlers.common import button, in_rows, keyboard, split_html, url_button
from templates import label, labels, text

log = logging.getLogger(__name__)

ROLE_CHOICES = ("office", "handler", "business_leader", "petition_leader", "main_leader", "admin")


def buttons_for(template: str, ticket_id: int | None, context: dict, bot_username: str) -> InlineKeyboardMarkup | None:
    """The buttons that go with a queued message."""
    t = ticket_id
    link = f"https://t.me/{bot_username}?start=r{t}"
    match template:
        case "ticket_card":
            return keyboard([button("accept", f"t:acc:{t}"), button("ask_return", f"t:ret:{t}")])
        case "return_request":
            return keyboard([button("approve_return", f"t:rap:{t}"), button("reject_return", f"t:rrj:{t}")])
        case "reply_for_approval":
            return keyboard([button("approve", f"t:app:{t}"), button("reject", f"t:rej:{t}")])
        case "reply_for_review":
            return keyboard([button("pass_review", f"t:pas:{t}"), button("fail_review", f"t:red:{t}")])
        case "return_approved":
            return keyboard([button("complete_return", f"t:cret:{t}")])
        case "accepted" if context.get("notice_due"):
            return keyboard([button("acceptance_notice", f"t:ntc:{t}")])
        case "signoff_request":
            return keyboard([button("approve", f"t:sgn:{t}"), button("reject", f"t:sgr:{t}")])
        case "mail_due":
            return keyboard([button("record_mail", f"t:mail:{t}")])
        case "platform_reply_due":
            return keyboard([button("platform_reply", f"t:plt:{t}")])
        case "approval_form_due":
            return keyboard([button("approval_form", f"t:af:{t}")])
        case "final_reply_due":
            return keyboard([button("final_reply", f"t:fr:{t}")])
        case "redo" | "reply_rejected":
            return keyboard([url_button("write_reply", link)])
        case "return_decided" if not context.get("approved"):
            return keyboard([url_button("write_reply", link)])
        case "problem_request" | "problem_returned":
            return keyboard([button("submit_problem_report", f"t:prb:{t}")])
        case "problem_for_signature":
            return keyboard([button("sign", f"t:psg:{t}"), button("reject", f"t:prt:{t}")])
        case "problem_for_verification":
            return keyboard([button("verify", f"t:pvf:{t}")])
        case "supervision_proposed":
            return keyboard([button("create_supervision", f"t:svc:{t}")])
        case "supervision_card":
            return keyboard([button("reply_supervision", f"t:svr:{t}")])
        case "follow_up":
            return keyboard([button("", f"fu:{t}:{level}", name) for level, name in labels("follow_up_level").items()])
        case "emergency_alert":
            return keyboard([button("acknowledge", f"t:ack:{t}")])
        case "extension_request":
            return keyboard([button("approve_extension", f"t:xap:{t}"), button("reject_extension", f"t:xrj:{t}")])
        case "sensitive_ask" | "sensitive_remind":
            return keyboard([button("daily_report", f"t:sr:{t}")])
        case "visit_reminder" if context.get("office"):
            plan = [] if context.get("planned") else [button("schedule_visit", f"t:vsc:{t}")]
            return keyboard(plan + [button("record_visit", f"t:vis:{t}")])
        case "visit_due" if context.get("office"):
            return keyboard([button("record_visit", f"t:vis:{t}")])
        case "join_request":
            request = context["request_id"]
            choices = [button("", f"j:{request}:{role}", labels("role")[role]) for role in ROLE_CHOICES]
            return keyboard(*in_rows(choices, 3), [button("refuse", f"j:{request}:-")])
    return None


def accepted_buttons(ticket_id: int, bot_username: str) -> InlineKeyboardMarkup | None:
    """The group card after acceptance: write the reply in private chat, ask for more time, or to return."""
    return keyboard([url_button("write_reply", f"https://t.me/{bot_username}?start=r{ticket_id}")],
                    [button("request_extension", f"t:ext:{ticket_id}"), button("ask_return", f"t:ret:{ticket_id}")])


class Deliverer:
    def __init__(self, application: Application):
        self.application = application
        self._lock = asyncio.Lock()

    @property
    def hotline(self) -> Hotline:
        return self.application.bot_data["hotline"]

    async def flush(self, rounds: int = 20) -> int:
        """Send what is due now; returns how many messages went out."""
        sent = 0
        async with self._lock:
            for _ in range(rounds):
                batch = await self.hotline.run(self.hotline.pending_deliveries)
                if not batch:
                    break
                for delivery in batch:  # each leaves the due set: sent, failed, or due again later
                    sent += await self._send(delivery)
        return sent

    async def _send(self, d: Delivery) -> bool:
        hotline, bot = self.hotline, self.application.bot
        if d.chat_id is None:
            await hotline.run(hotline.mark_failed, d.id, d.problem or "no chat")
            return False
        markup = buttons_for(d.template, d.ticket_id, d.context, bot.username)
        try:
            for number in d.forms:  # the form first, so the message with the buttons is the last one
                path = await hotline.run(hotline.form_file, d.ticket_id, number, d.audience == "member")
                with open(path, "rb") as fh:
                    await bot.send_document(d.chat_id, fh, filename=path.name)
            if d.summary:
                path = await hotline.run(hotline.problem_summary_file, d.context["rows"])
                with open(path, "rb") as fh:
                    await bot.send_document(d.chat_id, fh, filename=path.name)
            if d.chart:
                start, end = (date.fromisoformat(d.context[k]) for k in ("from", "to"))
                _, png = await hotline.run(hotline.stats_message, start, end)
                await bot.send_photo(d.chat_id, png)
            parts = split_html(d.text)
            message = None
            for index, part in enumerate(parts):
                message = await bot.send_message(d.chat_id, part,
                                                 reply_markup=markup if index == len(parts) - 1 else None)
        except RetryAfter as err:
            delay = err.retry_after if isinstance(err.retry_after, (int, float)) else err.retry_after.total_seconds()
            await hotline.run(hotline.mark_retry, d.id, float(delay), str(err))
            return False
        except (Forbidden, BadRequest) as err:  # the chat is gone or the message can never be sent
            await hotline.run(hotline.mark_failed, d.id, str(err), d.chat_id)
            return False
        except (NetworkError, TelegramError) as err:
            await hotline.run(hotline.mark_retry, d.id, 5.0, str(err))
            return False
        await hotline.run(hotline.mark_sent, d.id, d.chat_id, message.message_id, markup is not None)
        return True

    async def close_buttons(self, ticket_id: int, keep: tuple[int, int] | None = None,
                            templates: set[str] | None = None) -> None:
        """Old buttons of a ticket that moved on (or of the messages a decision settled) are taken away."""
        hotline, bot = self.hotline, self.application.bot
        rows = await hotline.run(hotline.open_buttons, ticket_id, keep, templates)
        if not rows:
            return
        ticket = await hotline.run(hotline.ticket, ticket_id)
        closed = []
        for outbox_id, chat_id, message_id, body in rows:
            line = text("closed_line", status=label("status", ticket.status))
            try:
                await bot.edit_message_text(split_html(f"{body}\n\n{line}")[-1], chat_id=chat_id,
                                            message_id=message_id, reply_markup=None)
            except TelegramError as err:
                log.info("could not close buttons of message %s in %s: %s", message_id, chat_id, err)
            closed.append(outbox_id)
        await hotline.run(hotline.close_buttons, closed)
