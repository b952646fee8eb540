"""Buttons on ticket messages (t:<verb>:<id>) and the short texts some of them ask for.

Every press is checked on the server by the workflow core (role, department,
status); a forged or unreadable button is refused and audited.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.workflow import BY_NAME, PRESSES, Actor, Outcome, make_command
from bot.workflow.registry import EVERY
from handlers.common import Context, alert, ask_or_link, button, department_picker, forged, keyboard, say
from handlers.delivery import accepted_buttons
from handlers.forms import start_return
from templates import label, text

log = logging.getLogger(__name__)


MAX_ID = 2**31 - 1  # ids are 32-bit integers in every database the bot runs on


def parse_data(data: str | None) -> tuple[str, int] | None:
    """`t:<press>:<ticket id>`, or None for anything else (a forged or unreadable button)."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != "t" or parts[1] not in PRESSES:
        return None
    if not (parts[2].isascii() and parts[2].isdigit()) or not 0 < int(parts[2]) <= MAX_ID:
        return None
    return parts[1], int(parts[2])


async def on_ticket_button(update: Update, context: Context) -> None:
    query = update.callback_query
    actor = context.actor
    parsed = parse_data(query.data)
    if parsed is None:
        await forged(update, context, actor)
        return
    name, ticket_id = parsed
    s = context.services
    _, press = PRESSES[name]
    if press.flow:
        await start_return(update, context, actor, ticket_id, press.flow)
        return
    if press.fields:
        await start_prompt(update, context, actor, name, ticket_id)
        return
    outcome = await s.run(s.workflow.do, actor, make_command(name, ticket_id))
    await after(update, context, outcome, actor)


async def after(update: Update, context: Context, outcome: Outcome, actor: Actor | None,
                origin: tuple[int, int] | None = None) -> None:
    """Answer a press: refusal as an alert; success edits the pressed message and closes old buttons."""
    query = update.callback_query
    if not outcome.ok:
        if query:
            await alert(update, outcome.refusal.message)
        else:
            await say(context, update.effective_chat.id, outcome.refusal.message)
        return
    done = label("action", outcome.action)
    if query and query.message and origin is None:
        origin = (query.message.chat_id, query.message.message_id)
        await query.answer(text("done_alert", action=done))
    declared = BY_NAME[outcome.action].settles
    settles = None if declared == EVERY else set(declared)
    moved = settles is None
    s = context.services
    if origin:
        row = await s.run(s.outbox.sent_message, *origin)
        if moved or (row is not None and row.template in settles):
            await mark_decided(context, origin, outcome, actor)
    if settles is None or settles:
        await context.sender.close_buttons(outcome.ticket_id, origin, settles)
    if not query:
        await say(context, update.effective_chat.id, text("done_alert", action=done) + f"：{outcome.internal_no}")


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
    markup = accepted_buttons(outcome.ticket_id, context.bot.username) if outcome.action == "accept" else None
    try:
        await context.bot.edit_message_text(f"{body}\n\n{line}", chat_id=chat_id, message_id=message_id,
                                            reply_markup=markup)
    except TelegramError as err:  # the card may be gone; the decision stands
        log.info("could not mark message %s in %s: %s", message_id, chat_id, err)
    if markup is None:
        await s.run(s.outbox.close_buttons, [row.id])


async def start_prompt(update: Update, context: Context, actor: Actor | None, name: str, ticket_id: int) -> None:
    """A press that needs a typed answer: checked first, then asked for in private chat."""
    s = context.services
    action, press = PRESSES[name]
    fields = press.fields
    refusal = await s.run(s.workflow.can, actor, action.name, ticket_id)
    if refusal is not None:
        await alert(update, refusal.message)
        return
    query = update.callback_query
    origin = [query.message.chat_id, query.message.message_id] if query and query.message else None
    await s.run(s.drafts.put, actor.member_id, "prompt", ticket_id, fields[0],
                {"press": name, "values": {}, "origin": origin})
    await ask_prompt(update, context, actor, ticket_id, fields[0])


async def ask_prompt(update: Update, context: Context, actor: Actor, ticket_id: int, field: str) -> None:
    s = context.services
    ticket = await s.run(s.tickets.get, ticket_id)
    message = text("prompt_ask", internal_no=ticket.internal_no, field=label("prompt_field", field))

    async def send():
        await context.bot.send_message(update.effective_user.id, message,
                                       reply_markup=keyboard([button("cancel", "fx:cancel")]))

    await ask_or_link(update, context, send)


async def on_prompt_text(update: Update, context: Context, actor: Actor, draft) -> None:
    """The typed answer to a prompt: the next field, or the command itself."""
    s = context.services
    name = draft.data["press"]
    fields = PRESSES[name][1].fields
    values = dict(draft.data.get("values", {}))
    values[draft.step] = update.effective_message.text.strip()
    remaining = fields[fields.index(draft.step) + 1:]
    if remaining:
        await s.run(s.drafts.put, actor.member_id, "prompt", draft.ticket_id, remaining[0],
                    {**draft.data, "values": values})
        await ask_prompt(update, context, actor, draft.ticket_id, remaining[0])
        return
    outcome = await s.run(s.workflow.do, actor, make_command(name, draft.ticket_id, values))
    if outcome.ok or outcome.refusal.code not in ("missing", "invalid"):
        await s.run(s.drafts.drop, actor.member_id, "prompt")
    origin = tuple(draft.data["origin"]) if draft.data.get("origin") else None
    await after(update, context, outcome, actor, origin)
    if outcome.ok and outcome.action == "record_first_contact":
        await department_picker(update, context, outcome.ticket_id, outcome.internal_no)
