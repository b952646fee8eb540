"""Where a private message, a form button or a deep link goes: the member's open form or prompt, a paste, a
file. The one handler module that calls others; the rest share code only through handlers/common.py.
"""

from __future__ import annotations

from telegram import Update

from bot.domain import Role
from handlers import forms, intake, lookup, tickets
from handlers.common import Context, button, ident, is_private, keyboard, reply
from handlers.forms import start_intake, start_reply
from handlers.forms.view import show
from handlers.tickets import ask_prompt
from templates import has_labels, labels, text


async def on_private_text(update: Update, context: Context) -> None:
    actor, s = context.actor, context.services
    draft = await s.run(s.drafts.get, actor.member_id)
    if draft is not None and draft.flow == "prompt":
        await tickets.on_prompt_text(update, context, actor, draft)
    elif draft is not None:
        await forms.on_text(update, context, actor, draft)
    elif not await forms.on_paste(update, context, actor):
        await reply(update, context, text("help_general"))


async def on_private_media(update: Update, context: Context) -> None:
    actor, s = context.actor, context.services
    if await intake.on_file(update, context, actor):
        return
    draft = await s.run(s.drafts.get, actor.member_id)
    if draft is not None and draft.flow in ("reply", "return", "problem", "assist"):
        await forms.on_media(update, context, actor, draft)


async def on_form_button(update: Update, context: Context) -> None:
    """f:… (an answer) and fx:/fe: (a control) of the presser's own open form."""
    actor, s = context.actor, context.services
    draft = await s.run(s.drafts.get, actor.member_id)
    data = update.callback_query.data
    if data == "fx:cancel" and draft is not None and draft.flow == "prompt":
        await s.run(s.drafts.drop, actor.member_id, "prompt")
        await update.callback_query.answer(text("prompt_cancelled"))
        return
    if data.startswith("fx:pc:") and draft is not None and draft.flow == "prompt":  # a short answer offered
        offered = labels(f"choice_{draft.step}") if has_labels(f"choice_{draft.step}") else {}
        if data[6:] in offered:
            await update.callback_query.answer()
            await tickets.on_prompt_text(update, context, actor, draft, offered[data[6:]])
            return
    if data.startswith("f:"):
        await forms.on_choice(update, context, actor, draft if draft and draft.flow != "prompt" else None)
    else:
        await forms.on_control(update, context, actor, draft if draft and draft.flow != "prompt" else None)


async def cmd_cancel(update: Update, context: Context) -> None:
    s = context.services
    await s.run(s.drafts.drop, context.actor.member_id)
    await reply(update, context, text("cancelled"))


async def cmd_start(update: Update, context: Context) -> None:
    s, actor = context.services, context.actor
    payload = context.args[0] if context.args else ""
    if actor is None:
        if not is_private(update):
            return
        markup = keyboard([button("join", "ja")])
        await reply(update, context, text("welcome_stranger"), markup)
        return
    if payload.startswith("r") and ident(payload[1:]) is not None:
        await start_reply(update, context, actor, ident(payload[1:]))
        return
    if payload.startswith("t") and ident(payload[1:]) is not None:  # a ticket of a list message (burst)
        ticket = await s.run(s.tickets.get, ident(payload[1:]))
        await lookup.show_ticket(update, context, ticket.internal_no if ticket else "")
        return
    if payload == "new" and actor.has_role(Role.OFFICE):
        await start_intake(update, context, actor)
        return
    if payload == "go":
        draft = await s.run(s.drafts.get, actor.member_id)
        if draft is not None:
            await resume(update, context, actor, draft)
            return
    await reply(update, context, text("welcome_member", name=actor.name))


async def resume(update: Update, context: Context, actor, draft) -> None:
    if draft.flow == "prompt":
        await ask_prompt(update, context, actor, draft.ticket_id, draft.step)
    else:
        await show(update, context, actor, draft)
