"""The gate: before any handler, who is acting is resolved once, and strangers are stopped.

Registered alone in a handler group of its own that runs before the others
(a negative group number, bot/app.py). Who acts is read from the database at
every update: an *active* member with the roles they hold now (a member the
organisation file or an admin removed is a stranger from the next update on).
A member's update passes on with `context.actor` set; a stranger's update
passes only when it is one of those open to strangers (/start, /help, /whoami,
申请加入) — every other one gets one short sentence, is audited and stops here
(`ApplicationHandlerStop`).

Every button press goes through one strict parser first (`well_formed`): a
known verb, then arguments of the shape that verb takes — ids as 1 to 10 ASCII
digits within the databases' integer range, words of ASCII letters, digits,
`_`, `.` and `-`. Anything else (unknown verbs, Unicode digits, ids past the range,
overlong data) is answered with a short alert and audited as forged, whoever
pressed it; the handlers then parse data they know to be well formed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from telegram import MessageEntity, Update
from telegram.ext import ApplicationHandlerStop, BaseHandler

from bot.workflow import PRESSES
from handlers.common import Context, forged, ident, is_private, reply
from templates import text

ID, WORD = "id", "word"
# verb -> the shapes of its arguments (bot/app.py registers one handler per verb; each parses its own data)
GRAMMAR: dict[str, tuple[tuple[str, ...], ...]] = {
    "t": ((WORD, ID),),  # t:<press>:<ticket>, the press one of bot/workflow's
    "fc": ((ID, WORD),),  # fc:<ticket>:<contact outcome>
    "dp": ((ID, ID),),  # dp:<ticket>:<department>
    "fu": ((ID, WORD), (ID, WORD, WORD)),  # fu:<ticket>:<level>[:<result>]
    "st": ((WORD,),),  # st:<period>
    "f": ((WORD, WORD),),  # f:<step>:<value>
    "fx": ((WORD,), (WORD, WORD)),  # fx:<control>[:<offered answer>]
    "tp": ((WORD, ID, ID),),  # tp:<press>:<ticket>:<department>: 改派, 协办
    "h": ((ID, ID),),  # h:<ticket>:<page>: 办理记录
    "fe": ((WORD,),),  # fe:<step>
    "b": ((ID,),),  # b:<department>
    "ev": ((ID,),),  # ev:<ticket>: 查看佐证
    "ja": ((),),  # 申请加入
    "j": ((ID, WORD), (ID, WORD, ID)),  # j:<request>:<role or ->[:<department>]
    "m": ((WORD, ID), (WORD, ID, WORD), (WORD, ID, WORD, ID)),  # m:<verb>:<member>[:<role>[:<department>]]
}
_WORD = re.compile(r"[A-Za-z0-9_.\-]{1,32}")
MAX_DATA = 64  # bytes of callback data Telegram allows


def well_formed(data: str | None) -> bool:
    """Callback data of a known verb with arguments of its shape; False for anything else."""
    if not data or len(data.encode()) > MAX_DATA or not data.isascii():
        return False
    verb, *args = data.split(":")
    shapes = GRAMMAR.get(verb, ())
    if verb in ("t", "tp") and (len(args) not in (2, 3) or args[0] not in PRESSES):
        return False
    return any(len(shape) == len(args) and all(ident(arg) is not None if kind == ID else bool(_WORD.fullmatch(arg))
                                               for kind, arg in zip(shape, args, strict=True)) for shape in shapes)


class Gate:
    def __init__(self, open_to_strangers: Sequence[BaseHandler]):
        self.open_to_strangers = tuple(open_to_strangers)

    async def __call__(self, update: Update, context: Context) -> None:
        user, s = update.effective_user, context.services
        if user is not None:
            context.actor = await s.run(s.organisation.actor, user.id)
        if update.callback_query is not None and not well_formed(update.callback_query.data):
            await forged(update, context, context.actor)
            raise ApplicationHandlerStop
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
