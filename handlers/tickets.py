"""Buttons on ticket messages (t:<verb>:<id>) and the short texts some of them ask for.

Every press is checked on the server by the workflow core (role, department,
status); a forged or unreadable button is refused and audited.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.workflow import BY_NAME, PRESSES, Actor, Outcome, make_command
from bot.workflow.registry import EVERY
from handlers.common import Context, actor_of, alert, button, deep_link, hotline, is_private, keyboard, say
from handlers.delivery import accepted_buttons
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


async def forged(update: Update, context: Context, actor: Actor | None) -> None:
    h = hotline(context)
    await h.run(h.audit, actor, "forged_button", None, data=update.callback_query.data,
                user_id=update.effective_user.id, chat_id=update.effective_chat.id if update.effective_chat else None)
    await alert(update, text("button_invalid"))


async def on_ticket_button(update: Update, context: Context) -> None:
    query = update.callback_query
    actor = await actor_of(update, context)
    parsed = parse_data(query.data)
    if parsed is None:
        await forged(update, context, actor)
        return
    name, ticket_id = parsed
    h = hotline(context)
    _, press = PRESSES[name]
    if press.flow:
        from handlers.forms import start_return

        await start_return(update, context, actor, ticket_id, press.flow)
        return
    if press.fields:
        await start_prompt(update, context, actor, name, ticket_id)
        return
    outcome = await h.run(h.do, actor, make_command(name, ticket_id))
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
    h = hotline(context)
    if origin:
        row = await h.run(h.outbox_for_message, *origin)
        if moved or (row is not None and row.template in settles):
            await mark_decided(context, origin, outcome, actor)
    if settles is None or settles:
        await context.application.bot_data["deliverer"].close_buttons(outcome.ticket_id, origin, settles)
    if not query:
        await say(context, update.effective_chat.id, text("done_alert", action=done) + f"：{outcome.internal_no}")


async def mark_decided(context: Context, origin: tuple[int, int], outcome: Outcome, actor: Actor | None) -> None:
    """Edit the message that was pressed: who decided, when, and the buttons that now apply."""
    h = hotline(context)
    chat_id, message_id = origin
    row = await h.run(h.outbox_for_message, chat_id, message_id)
    body = None
    if row is not None:
        from bot.views import render_outbox

        def render(row=row):
            with h.db.session() as session:
                return render_outbox(session, row, h.calc)

        body = await h.run(render)
    if body is None:  # not a queued message (an intake card): just take its buttons away
        try:
            await context.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
        except TelegramError as err:
            log.info("could not close message %s in %s: %s", message_id, chat_id, err)
        return
    event_at = h.calc.local(h.now())
    line = text("decided_line", who=actor.name if actor else "", at=f"{event_at:%m-%d %H:%M}",
                action=label("action", outcome.action))
    markup = accepted_buttons(outcome.ticket_id, context.bot.username) if outcome.action == "accept" else None
    try:
        await context.bot.edit_message_text(f"{body}\n\n{line}", chat_id=chat_id, message_id=message_id,
                                            reply_markup=markup)
    except TelegramError as err:  # the card may be gone; the decision stands
        log.info("could not mark message %s in %s: %s", message_id, chat_id, err)
    if markup is None:
        await h.run(h.close_buttons, [row.id])


async def start_prompt(update: Update, context: Context, actor: Actor | None, name: str, ticket_id: int) -> None:
    """A press that needs a typed answer: checked first, then asked for in private chat."""
    h = hotline(context)
    action, press = PRESSES[name]
    fields = press.fields
    refusal = await h.run(h.can, actor, action.name, ticket_id)
    if refusal is not None:
        await alert(update, refusal.message)
        return
    query = update.callback_query
    origin = [query.message.chat_id, query.message.message_id] if query and query.message else None
    await h.run(h.put_draft, actor.member_id, "prompt", ticket_id, fields[0],
                {"press": name, "values": {}, "origin": origin})
    await ask_prompt(update, context, actor, ticket_id, fields[0])


async def ask_prompt(update: Update, context: Context, actor: Actor, ticket_id: int, field: str) -> None:
    h = hotline(context)
    ticket = await h.run(h.ticket, ticket_id)
    message = text("prompt_ask", internal_no=ticket.internal_no, field=label("prompt_field", field))

    async def send():
        await context.bot.send_message(update.effective_user.id, message,
                                       reply_markup=keyboard([button("cancel", "fx:cancel")]))

    await ask_or_link(update, context, send)


async def ask_or_link(update: Update, context: Context, send) -> None:
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


async def on_prompt_text(update: Update, context: Context, actor: Actor, draft) -> None:
    """The typed answer to a prompt: the next field, or the command itself."""
    h = hotline(context)
    name = draft.data["press"]
    fields = PRESSES[name][1].fields
    values = dict(draft.data.get("values", {}))
    values[draft.step] = update.effective_message.text.strip()
    remaining = fields[fields.index(draft.step) + 1:]
    if remaining:
        await h.run(h.put_draft, actor.member_id, "prompt", draft.ticket_id, remaining[0],
                    {**draft.data, "values": values})
        await ask_prompt(update, context, actor, draft.ticket_id, remaining[0])
        return
    outcome = await h.run(h.do, actor, make_command(name, draft.ticket_id, values))
    if outcome.ok or outcome.refusal.code not in ("missing", "invalid"):
        await h.run(h.drop_draft, actor.member_id, "prompt")
    origin = tuple(draft.data["origin"]) if draft.data.get("origin") else None
    await after(update, context, outcome, actor, origin)
    if outcome.ok and outcome.action == "record_first_contact":
        from handlers.intake import department_picker

        await department_picker(update, context, outcome.ticket_id, outcome.internal_no)
