"""Private-chat messages and form buttons: routed to the member's open form, a paste, or a file import."""

from __future__ import annotations

from telegram import Update

from handlers import forms, intake, tickets
from handlers.common import Context, reply
from templates import text


async def on_private_text(update: Update, context: Context) -> None:
    actor, s = context.actor, context.services
    draft = await s.run(s.drafts.get, actor.member_id)
    if draft is not None and draft.flow == "prompt":
        await tickets.on_prompt_text(update, context, actor, draft)
    elif draft is not None:
        await forms.on_text(update, context, actor, draft)
    elif not await intake.on_paste(update, context, actor):
        await reply(update, context, text("help_general"))


async def on_private_media(update: Update, context: Context) -> None:
    actor, s = context.actor, context.services
    if await intake.on_file(update, context, actor):
        return
    draft = await s.run(s.drafts.get, actor.member_id)
    if draft is not None and draft.flow in ("reply", "return", "problem"):
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
    if data.startswith("f:"):
        await forms.on_choice(update, context, actor, draft if draft and draft.flow != "prompt" else None)
    else:
        await forms.on_control(update, context, actor, draft if draft and draft.flow != "prompt" else None)


async def cmd_cancel(update: Update, context: Context) -> None:
    s = context.services
    await s.run(s.drafts.drop, context.actor.member_id)
    await reply(update, context, text("cancelled"))
