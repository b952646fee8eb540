"""Follow-up results, links between repeat tickets, and the office's report on problem tickets."""

from __future__ import annotations

from telegram import Update

from bot.workflow import LinkTickets, RecordFollowUp, UnlinkTickets
from handlers.common import Context, after, alert, button, forged, ident, keyboard, reply
from templates import label, labels, text


async def on_follow_up(update: Update, context: Context) -> None:
    """fu:<ticket>:<city|district> (then the result buttons) and fu:<ticket>:<level>:<result>."""
    actor, s = context.actor, context.services
    parts = update.callback_query.data.split(":")
    if (len(parts) not in (3, 4) or ident(parts[1]) is None or parts[2] not in labels("follow_up_level")
            or (len(parts) == 4 and parts[3] not in labels("satisfaction"))):
        await forged(update, context, actor)
        return
    ticket_id, level = ident(parts[1]), parts[2]
    if len(parts) == 3:
        refusal = await s.run(s.workflow.can, actor, "record_follow_up", ticket_id)
        if refusal is not None:
            await alert(update, refusal.message)
            return
        await update.callback_query.answer()
        results = [button("", f"fu:{ticket_id}:{level}:{code}", f"{label('follow_up_level', level)}·{name}")
                   for code, name in labels("satisfaction").items()]
        await update.callback_query.edit_message_reply_markup(keyboard(results[:2], results[2:]))
        return
    outcome = await s.run(s.workflow.do, actor, RecordFollowUp(ticket_id, level, parts[3]))
    await after(update, context, outcome, actor)
    if outcome.ok:
        await update.callback_query.edit_message_reply_markup(None)


async def _two_numbers(update: Update, context: Context) -> tuple[int, int] | None:
    args = context.args or []
    s = context.services
    if len(args) != 2:
        await reply(update, context, text("usage_link"))
        return None
    found = [await s.run(s.tickets.find, number.replace("_", "-")) for number in args]
    if any(t is None for t in found):
        await reply(update, context, text("not_found_ticket"))
        return None
    return found[0].id, found[1].id


async def cmd_link(update: Update, context: Context) -> None:
    pair = await _two_numbers(update, context)
    if pair:
        s = context.services
        await after(update, context, await s.run(s.workflow.do, context.actor, LinkTickets(*pair)), context.actor)


async def cmd_unlink(update: Update, context: Context) -> None:
    pair = await _two_numbers(update, context)
    if pair:
        s = context.services
        await after(update, context, await s.run(s.workflow.do, context.actor, UnlinkTickets(*pair)), context.actor)


async def cmd_problems(update: Update, context: Context) -> None:
    """The office's report on dissatisfied and unreplied tickets, to the petition-line and main leaders."""
    s = context.services
    count = await s.run(s.documents.problem_summary, context.actor)
    if count is None:
        await reply(update, context, text("refusal_role", role=label("role", "office")))
        return
    await reply(update, context, text("problems_sent", count=count))
