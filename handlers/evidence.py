"""查看佐证: the ticket's evidence sent to the asker in private chat, from the bureau's own copy where it has one
(so it opens after Telegram's copy, or the chat, is gone), else by Telegram's file id."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest

from bot.evidence import size_text
from handlers.common import Context, ask_or_link, forged, ident, say, send_evidence
from templates import label, text

log = logging.getLogger(__name__)


async def on_show_evidence(update: Update, context: Context) -> None:
    """ev:<ticket id>, offered on /ticket in private chat to those who may see the ticket in full."""
    query = update.callback_query
    actor, s = context.actor, context.services
    ticket_id = ident(query.data.removeprefix("ev:"))
    files = await s.run(s.evidence.files, actor, ticket_id) if ticket_id is not None else None
    if files is None:
        await forged(update, context, actor)
        return
    bot, chat_id = context.bot, update.effective_user.id

    async def send() -> None:
        await say(context, chat_id, text("evidence_heading", count=len(files)))
        for n, f in enumerate(files, 1):
            caption = text("evidence_caption", n=n, name=f.name, purpose=label("evidence_purpose", f.purpose, f.purpose),
                           size=size_text(f.size), sha256=f.sha256 or "—")
            if f.data is None:
                caption += text("evidence_not_kept")
            try:
                await send_evidence(bot, chat_id, f, caption)
            except BadRequest as err:  # neither kept nor still on Telegram
                log.warning("evidence %s of ticket %s not sent: %s", f.name, ticket_id, err)
                await say(context, chat_id, caption + text("evidence_gone"))

    await ask_or_link(update, context, send)
