"""What every handler needs: the service, the actor, buttons, and sending text of any length."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, MessageLimit
from telegram.ext import ContextTypes

from bot.service import Hotline
from bot.workflow import Actor
from templates import label, text

Context = ContextTypes.DEFAULT_TYPE


def hotline(context: Context) -> Hotline:
    return context.application.bot_data["hotline"]


async def actor_of(update: Update, context: Context) -> Actor | None:
    user = update.effective_user
    if user is None:
        return None
    return await hotline(context).run(hotline(context).actor, user.id)


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def button(key: str, data: str, shown: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(shown or label("button", key), callback_data=data)


def url_button(key: str, url: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label("button", key), url=url)


def keyboard(*rows: list[InlineKeyboardButton] | None) -> InlineKeyboardMarkup | None:
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def in_rows(buttons: list[InlineKeyboardButton], per_row: int = 2) -> list[list[InlineKeyboardButton]]:
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def deep_link(context: Context, payload: str) -> str:
    return f"https://t.me/{context.bot.username}?start={payload}"


def split_html(message: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Cut a message into parts under Telegram's limit, at line ends, never inside a tag or an entity."""
    parts: list[str] = []
    current = ""
    for line in message.split("\n"):
        while len(line) > limit:
            cut = limit
            for opener, closer in (("&", ";"), ("<", ">")):
                start = line.rfind(opener, 0, cut)
                if start != -1 and line.find(closer, start) >= cut:
                    cut = start
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return [p for p in parts if p.strip()] or [message[:limit]]


async def say(context: Context, chat_id: int, message: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    """Send a message of any length; the buttons go with the last part."""
    parts = split_html(message)
    sent = None
    for index, part in enumerate(parts):
        sent = await context.bot.send_message(chat_id, part, reply_markup=markup if index == len(parts) - 1 else None)
    return sent


async def reply(update: Update, context: Context, message: str, markup: InlineKeyboardMarkup | None = None):
    return await say(context, update.effective_chat.id, message, markup)


async def alert(update: Update, message: str) -> None:
    if update.callback_query:
        await update.callback_query.answer(message[:200], show_alert=True)


def member_required(message_key: str = "not_member"):
    """Decorator: only registered members get past; others get one sentence."""

    def wrap(fn):
        async def inner(update: Update, context: Context):
            actor = await actor_of(update, context)
            if actor is None:
                if update.callback_query:
                    await alert(update, text(message_key))
                elif update.effective_chat:
                    await reply(update, context, text(message_key))
                return None
            return await fn(update, context, actor)

        inner.__name__ = fn.__name__
        return inner

    return wrap
