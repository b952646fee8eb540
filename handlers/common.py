"""What every handler shares: the typed context (services, actor), buttons, sending text of any length,
and the few steps that several handlers take (a forged button, the new ticket's card, asking in private).

Handler modules share code only through this module.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, MessageLimit
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackContext, ExtBot

from bot.messages import BUTTON_SETS, KINDS, Button
from bot.services import EvidenceFile, IntakeCard, Services
from bot.workflow import BY_NAME, PRESSES, Actor, EvidenceIn, Outcome
from bot.workflow.registry import EVERY
from templates import label, labels, text

log = logging.getLogger(__name__)


class Sender(Protocol):
    """What handlers ask of the outbox's sender (handlers/delivery.py)."""

    async def flush(self, rounds: int = 20) -> int: ...

    async def close_buttons(self, ticket_id: int, keep: tuple[int, int] | None = None,
                            templates: set[str] | None = None, only: tuple[int, int] | None = None) -> None: ...


class HotlineContext(CallbackContext[ExtBot, dict, dict, dict]):
    """The context of every handler and job: the services, the sender, and who is acting.

    `actor` is resolved once per update by the gate (handlers/gate.py) before any handler runs;
    it is None for strangers, who only get past the gate with the updates open to them.
    """

    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None):
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.actor: Actor | None = None

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]

    @property
    def sender(self) -> Sender:
        return self.application.bot_data["deliverer"]


Context = HotlineContext


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


async def only_in_private(update: Update, context: Context) -> bool:
    """A command whose answer shows citizens' details, typed in a group: answered 「请在私聊中查看」 with a
    link to the private chat (SPEC §7); True when it was."""
    if is_private(update):
        return False
    await reply(update, context, text("details_in_private"),
                keyboard([url_button("open_chat", deep_link(context, "go"))]))
    return True


async def alert(update: Update, message: str) -> None:
    if update.callback_query:
        await update.callback_query.answer(message[:200], show_alert=True)


async def stale(update: Update, context: Context, message: str | None = None) -> None:
    """A button that no longer applies (a form moved on, a double tap): refused with a short alert, audited."""
    s = context.services
    await s.run(s.organisation.audit, context.actor, "stale_button", None, data=update.callback_query.data,
                user_id=update.effective_user.id, chat_id=update.effective_chat.id if update.effective_chat else None)
    await alert(update, message or text("button_stale"))


async def forged(update: Update, context: Context, actor: Actor | None, message: str | None = None) -> None:
    """A button that does not parse, or that its presser could never have been given: refused and audited."""
    s = context.services
    await s.run(s.organisation.audit, actor, "forged_button", None, data=update.callback_query.data,
                user_id=update.effective_user.id, chat_id=update.effective_chat.id if update.effective_chat else None)
    await alert(update, message or text("button_invalid"))


async def ask_or_link(update: Update, context: Context, send: Callable[[], Awaitable[object]]) -> None:
    """Ask in private chat; a member who never opened one gets a link to it instead of silence."""
    query = update.callback_query
    try:
        await send()
    except Forbidden:
        if query:
            await query.answer(text("open_private"), url=deep_link(context, "go"))
        return
    if query:
        await query.answer(None if is_private(update) else text("private_prompt_sent"))


# -- the new ticket's card (after /new, a paste, /ticket, or the first contact) --


async def created_card(update: Update, context: Context, actor: Actor | None, ticket_id: int) -> None:
    """The registered ticket, in full (private chat), with the next step as buttons."""
    s = context.services
    card = await s.run(s.intake.card, actor, ticket_id)
    if card is None:
        await reply(update, context, text("not_found_ticket"))
        return
    if card.first_contact:
        head = text("intake_created", internal_no=card.internal_no)
        markup = keyboard(
            [button("contacted", f"fc:{ticket_id}:contacted")],
            [button("not_contacted_switched_off", f"fc:{ticket_id}:switched_off"),
             button("not_contacted_no_answer", f"fc:{ticket_id}:no_answer")],
            [button("not_contacted_other", f"t:first_contact_other:{ticket_id}"),
             button("office_return", f"t:office_return:{ticket_id}")],
        )
        await say(context, update.effective_chat.id, f"{head}\n\n{card.text}", markup)
        return
    head = text("intake_created_962200", internal_no=card.internal_no) + "\n\n" + card.text
    await department_picker(update, context, ticket_id, head, card)


async def department_picker(update: Update, context: Context, ticket_id: int, head: str,
                            card: IntakeCard | None = None) -> None:
    """The departments to dispatch to, the suggested one first with ⭐."""
    s = context.services
    options = card.departments if card is not None else await s.run(s.intake.suggestions, ticket_id)
    immediate = card.immediate if card is not None else await s.run(s.intake.immediate_press, ticket_id)
    buttons = [button("", f"dp:{ticket_id}:{dept_id}", ("⭐" if best else "") + name) for dept_id, name, best in options]
    last = [button("office_return", f"t:office_return:{ticket_id}")]
    if immediate:  # answered by the office at once (即办件) instead of dispatched
        last.append(button(immediate, f"t:{immediate}:{ticket_id}"))
    markup = keyboard(*in_rows(buttons, 2), last)
    await say(context, update.effective_chat.id, f"{head}\n\n{text('pick_department')}", markup)


# --- buttons of the message kinds (bot/messages.py) ---------------------------


MAX_ITEM_BUTTONS = 40  # a list message's buttons, one per ticket: enough to act, short enough to scroll


def _buttons(spec: Button, context: dict, bot_username: str) -> list[list[InlineKeyboardButton]]:
    ident = context.get(spec.id_key)
    if spec.when is not None and not spec.when(context):
        return []
    if spec.items:
        links = [InlineKeyboardButton(i["internal_no"], url=f"https://t.me/{bot_username}?start={spec.link}{i['ticket_id']}")
                 for i in context.get(spec.items, []) if i.get("ticket_id") and i.get("internal_no")]
        links = list({b.url: b for b in links}.values())[:MAX_ITEM_BUTTONS]
        return in_rows(links, spec.per_row or 2)
    if spec.press:
        return [[button(spec.label, f"t:{spec.press}:{ident}")]]
    if spec.link:
        return [[url_button(spec.label, f"https://t.me/{bot_username}?start={spec.link}{ident}")]]
    if spec.each:
        choices = [button("", f"{spec.data}:{ident}:{code}", name) for code, name in labels(spec.each).items()]
        return in_rows(choices, spec.per_row) if spec.per_row else [choices]
    return [[button(spec.label, f"{spec.data}:{ident}:{spec.value}")]]


def buttons_for(template: str, ticket_id: int | None, context: dict, bot_username: str) -> InlineKeyboardMarkup | None:
    """The buttons that go with a queued message, as its kind declares them (bot/messages.py)."""
    specs = KINDS[template].buttons if template in KINDS else BUTTON_SETS[template]
    return render_buttons(specs, {"ticket_id": ticket_id, **context}, bot_username)


def render_buttons(specs: tuple[tuple[Button, ...], ...], context: dict, bot_username: str):
    rows = []
    for declared in specs:
        line = []
        for spec in declared:
            parts = _buttons(spec, context, bot_username)
            if len(parts) > 1:  # a choice laid out over several rows
                rows.extend(parts)
            elif parts:
                line.extend(parts[0])
        rows.append(line)
    return keyboard(*rows)


def accepted_buttons(ticket_id: int, bot_username: str, context: dict | None = None) -> InlineKeyboardMarkup | None:
    """The group card after acceptance: write the reply in private chat, ask for more time, or to return;
    record the contact or the calming call where the card's context (channel, kind) asks for one."""
    return buttons_for("after_accept", ticket_id, context or {}, bot_username)


# --- answering a press -------------------------------------------------------


async def after(update: Update, context: Context, outcome: Outcome, actor: Actor | None,
                origin: tuple[int, int] | None = None) -> None:
    """Answer a press: refusal as an alert; success edits the pressed message and closes old buttons."""
    query = update.callback_query
    if not outcome.ok:
        if query:
            await alert(update, outcome.refusal.message)
            if outcome.refusal.code == "stale" and outcome.ticket_id and query.message and _still_shows(query):
                # the step was taken (a press replayed after a crash): its card keeps no button for it
                origin = (query.message.chat_id, query.message.message_id)
                s = context.services
                if await s.run(s.outbox.sent_message, *origin) is not None:
                    await context.sender.close_buttons(outcome.ticket_id, only=origin)
                else:  # not a queued message (a /ticket card): its buttons go
                    try:
                        await context.bot.edit_message_reply_markup(chat_id=origin[0], message_id=origin[1],
                                                                    reply_markup=None)
                    except TelegramError as err:
                        log.info("could not close message %s in %s: %s", origin[1], origin[0], err)
        else:
            await say(context, update.effective_chat.id, outcome.refusal.message)
        return
    done = label("action", outcome.action)
    if query and query.message and origin is None:
        origin = (query.message.chat_id, query.message.message_id)
        await query.answer(text("done_alert", action=done))
    settles = settled_by(outcome)
    s = context.services
    if origin:
        row = await s.run(s.outbox.sent_message, *origin)
        if settles is None or (row is not None and row.template in settles):
            await mark_decided(context, origin, outcome, actor)
    await settle(context, outcome, origin)
    if not query:
        await say(context, update.effective_chat.id, text("done_alert", action=done) + f"：{outcome.internal_no}")


def settled_by(outcome: Outcome) -> set[str] | None:
    """The kinds whose buttons the action closes (None: every open button, the status moved)."""
    declared = BY_NAME[outcome.action].settles
    return None if declared == EVERY else set(declared)


async def settle(context: Context, outcome: Outcome, origin: tuple[int, int] | None = None) -> None:
    """Close the buttons the action decided, and only those."""
    settles = settled_by(outcome)
    if settles is None or settles:
        await context.sender.close_buttons(outcome.ticket_id, origin, settles)


def _still_shows(query) -> bool:
    """The pressed message, as the press saw it, had the pressed button."""
    markup = query.message.reply_markup
    return bool(markup) and any(b.callback_data == query.data for row in markup.inline_keyboard for b in row)


async def mark_decided(context: Context, origin: tuple[int, int], outcome: Outcome, actor: Actor | None) -> None:
    """Edit the message that was pressed: who decided, when, and the buttons that now apply."""
    s = context.services
    chat_id, message_id = origin
    row = await s.run(s.outbox.sent_message, chat_id, message_id)
    body = row.text if row is not None else None
    if body is None:  # not a queued message (an intake card): just take its buttons away
        try:
            await context.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
        except TelegramError as err:
            log.info("could not close message %s in %s: %s", message_id, chat_id, err)
        return
    event_at = s.clock.local(s.clock.now())
    line = text("decided_line", who=actor.name if actor else "", at=f"{event_at:%m-%d %H:%M}",
                action=label("action", outcome.action))
    markup = accepted_buttons(outcome.ticket_id, context.bot.username, row.context) if outcome.action == "accept" \
        else None
    try:
        await context.bot.edit_message_text(f"{body}\n\n{line}", chat_id=chat_id, message_id=message_id,
                                            reply_markup=markup)
    except TelegramError as err:  # the card may be gone; the decision stands
        log.info("could not mark message %s in %s: %s", message_id, chat_id, err)
    if markup is None:
        await s.run(s.outbox.close_buttons, [row.id])


MAX_ID = 2**31 - 1  # ids are 32-bit integers in every database the bot runs on


def ident(raw: str | None) -> int | None:
    """An id from callback data or a deep link: ASCII digits only, 1 to MAX_ID; None for anything else."""
    if not raw or len(raw) > 10 or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def parse_data(data: str | None) -> tuple[str, int] | None:
    """`t:<press>:<ticket id>`, or None for anything else (a forged or unreadable button)."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != "t" or parts[1] not in PRESSES or ident(parts[2]) is None:
        return None
    return parts[1], ident(parts[2])


# -- evidence: the bureau keeps its own copy --

def media_size(message: Message) -> int | None:
    media = (message.photo[-1] if message.photo else None) or message.voice or message.audio or message.video \
        or message.document
    return getattr(media, "file_size", None)


async def send_media(bot: ExtBot, chat_id: int, kind: str, media: bytes | str, caption: str | None = None,
                     filename: str | None = None) -> Message:
    """A file as what it is (photo, voice, audio, video, else a document): its bytes, or Telegram's file id."""
    if kind == "photo":
        return await bot.send_photo(chat_id, media, caption=caption)
    if kind == "voice":
        return await bot.send_voice(chat_id, media, caption=caption)
    if kind == "audio":
        return await bot.send_audio(chat_id, media, caption=caption, filename=filename)
    if kind == "video":
        return await bot.send_video(chat_id, media, caption=caption, filename=filename)
    return await bot.send_document(chat_id, media, caption=caption, filename=filename)


async def send_evidence(bot: ExtBot, chat_id: int, f: EvidenceFile, caption: str | None = None) -> Message:
    """One piece of evidence: the bureau's copy where it has one (so it opens after Telegram's copy, or the chat,
    is gone), else by Telegram's file id. Raises BadRequest when neither will do."""
    return await send_media(bot, chat_id, f.kind, f.data if f.data is not None else f.file_id, caption, f.name)


async def keep_evidence(update: Update, context: Context, item: EvidenceIn) -> EvidenceIn | None:
    """Download the file into the bureau's evidence store (getFile through PTB); None when it is too large to
    download (the sender is told). A download that fails otherwise keeps the Telegram file id only."""
    s = context.services
    limit = s.evidence.limit_bytes
    size = media_size(update.effective_message)
    too_big = text("evidence_too_big", mb=limit // (1024 * 1024))
    if size is not None and size > limit:
        await reply(update, context, too_big)
        return None
    try:
        telegram_file = await context.bot.get_file(item.file_id)
        data = await telegram_file.download_as_bytearray()
    except BadRequest as err:
        if "too big" in err.message.lower():
            await reply(update, context, too_big)
            return None
        log.warning("evidence %s not downloaded: %s", item.file_id, err)
        return item
    except TelegramError as err:
        log.warning("evidence %s not downloaded: %s", item.file_id, err)
        return item
    if len(data) > limit:
        await reply(update, context, too_big)
        return None
    return await s.run(s.evidence.keep, item, bytes(data))
