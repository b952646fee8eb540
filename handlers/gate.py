"""The gate: before any handler, who is acting is resolved once, and strangers are stopped.

Registered alone in a handler group of its own that runs before the others
(a negative group number, bot/app.py). Who acts is read from the database at
every update: an *active* member with the roles they hold now (a member the
organisation file or an admin removed is a stranger from the next update on).
A member's update passes on with `context.actor` set; a stranger's update
passes only when it is one of those open to strangers (/start, /help, /whoami,
申请加入) — every other one gets one short sentence, is audited and stops here
(`ApplicationHandlerStop`).

"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import MessageEntity, Update
from telegram.ext import ApplicationHandlerStop, BaseHandler

from handlers.common import Context, forged, is_private, reply
from templates import text


class Gate:
    def __init__(self, open_to_strangers: Sequence[BaseHandler]):
        self.open_to_strangers = tuple(open_to_strangers)

    async def __call__(self, update: Update, context: Context) -> None:
        user, s = update.effective_user, context.services
        if user is not None:
            context.actor = await s.run(s.organisation.actor, user.id)
        if context.actor is not None or self.is_open(update):
            return
        if update.callback_query is not None:
            await forged(update, context, None, text("not_member"))
        elif user is not None and addressed_to_bot(update, context):
            await s.run(s.organisation.audit, None, "refused", None, reason="not_member", user_id=user.id,
                        chat_id=update.effective_chat.id, command=command_of(update))
            await reply(update, context, text("not_member"))
        raise ApplicationHandlerStop

    def is_open(self, update: Update) -> bool:
        return any(handler.check_update(update) not in (None, False) for handler in self.open_to_strangers)


def command_of(update: Update) -> str | None:
    """The command a message starts with (/reload), for the audit; None for plain text."""
    words = (update.effective_message.text or "").split(maxsplit=1) if update.effective_message else []
    return words[0][:32] if words and words[0].startswith("/") else None


def addressed_to_bot(update: Update, context: Context) -> bool:
    """A private message, or a command for this bot in a group (not a group's chatter, not another bot's)."""
    message = update.effective_message
    if message is None:
        return False
    if is_private(update):
        return True
    entity = next((e for e in message.entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0), None)
    if entity is None:
        return False
    _, _, username = message.text[:entity.length].partition("@")
    return not username or username.lower() == (context.bot.username or "").lower()
