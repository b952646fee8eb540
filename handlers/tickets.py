"""Buttons on ticket messages (t:<verb>:<id>) and the short texts some of them ask for.

Every press is checked on the server by the workflow core (role, department,
status); a forged or unreadable button is refused and audited.
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.workflow import PRESSES, Actor, make_command
from handlers.common import (
    Context,
    after,
    alert,
    ask_or_link,
    button,
    department_picker,
    forged,
    ident,
    in_rows,
    keyboard,
    parse_data,
    say,
)
from templates import has_labels, label, labels, text

log = logging.getLogger(__name__)


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
    if press.pick:
        await pick_department(update, context, actor, name, ticket_id)
        return
    if press.fields:
        await start_prompt(update, context, actor, name, ticket_id)
        return
    outcome = await s.run(s.workflow.do, actor, make_command(name, ticket_id))
    await after(update, context, outcome, actor)


async def pick_department(update: Update, context: Context, actor: Actor | None, name: str, ticket_id: int) -> None:
    """A press that names a department (改派, 协办): checked first, then the bureau's other departments."""
    s = context.services
    action, _ = PRESSES[name]
    refusal = await s.run(s.workflow.can, actor, action.name, ticket_id)
    if refusal is not None:
        await alert(update, refusal.message)
        return
    await update.callback_query.answer()
    ticket = await s.run(s.tickets.get, ticket_id)
    options = [(d, n) for d, n, _ in await s.run(s.intake.suggestions, ticket_id) if d != ticket.department_id]
    buttons = [button("", f"tp:{name}:{ticket_id}:{d}", n) for d, n in options]
    await say(context, update.effective_chat.id,
              text("pick_department_for", internal_no=ticket.internal_no, action=label("action", action.name)),
              keyboard(*in_rows(buttons, 2)))


async def on_department_picked(update: Update, context: Context) -> None:
    """tp:<press>:<ticket id>:<department id>: the command, checked again by the core."""
    actor = context.actor
    parts = (update.callback_query.data or "").split(":")
    known = len(parts) == 4 and parts[1] in PRESSES and PRESSES[parts[1]][1].pick
    ticket_id, department_id = (ident(parts[2]), ident(parts[3])) if known else (None, None)
    if ticket_id is None or department_id is None:
        await forged(update, context, actor)
        return
    s = context.services
    outcome = await s.run(s.workflow.do, actor, make_command(parts[1], ticket_id, {"department": department_id}))
    await after(update, context, outcome, actor)


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

    group = f"choice_{field}"  # short answers offered as buttons (typing stays open)
    offered = [button("", f"fx:pc:{code}", name) for code, name in labels(group).items()] if has_labels(group) else []

    async def send():
        await context.bot.send_message(update.effective_user.id, message,
                                       reply_markup=keyboard(*in_rows(offered, 2), [button("cancel", "fx:cancel")]))

    await ask_or_link(update, context, send)


async def on_prompt_text(update: Update, context: Context, actor: Actor, draft, answer: str | None = None) -> None:
    """The typed (or chosen) answer to a prompt: the next field, or the command itself."""
    s = context.services
    name = draft.data["press"]
    fields = PRESSES[name][1].fields
    values = dict(draft.data.get("values", {}))
    values[draft.step] = answer if answer is not None else update.effective_message.text.strip()
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
