"""/ticket, /mine, /todo, /search and /form: each filtered by who asks and where."""

from __future__ import annotations

from datetime import date

from telegram import Update

from bot.domain import Role
from bot.forms import FORMS
from bot.stats import period
from bot.workflow import clean
from handlers.common import (
    Context,
    button,
    buttons_for,
    created_card,
    forged,
    ident,
    is_private,
    keyboard,
    only_in_private,
    reply,
)
from templates import label, render, text


def _number(raw: str) -> str:
    """SJMZ_2026_000001 (a tapped /ticket_ link) -> SJMZ-2026-000001; other numbers as typed."""
    parts = raw.split("_")
    if len(parts) == 3 and ident(parts[1]) is not None and ident(parts[2]) is not None:
        return "-".join(parts)
    return raw


async def cmd_ticket(update: Update, context: Context) -> None:
    message = update.effective_message.text or ""
    command, _, rest = message.partition(" ")
    number = rest.strip() or (command.split("_", 1)[1].split("@")[0] if "_" in command else "")
    if not number:
        await reply(update, context, text("usage_ticket"))
        return
    await show_ticket(update, context, _number(number))


async def show_ticket(update: Update, context: Context, number: str) -> None:
    """The ticket as the asker may see it here, with the buttons of the step that waits for them."""
    actor, s = context.actor, context.services
    detail = await s.run(s.tickets.detail, actor, number, is_private(update))
    if detail is None:
        await reply(update, context, text("not_found_ticket"))
        return
    step = detail.next_step
    if step == "intake":
        await created_card(update, context, actor, detail.id)
        return
    markup = buttons_for(step, detail.id, {"notice_due": True}, context.bot.username) if step else None
    rows = list(markup.inline_keyboard) if markup else []
    if is_private(update):
        more = detail.more
        rows += [[button(key, f"t:{verb}:{detail.id}") for key, verb in more[i:i + 2]] for i in range(0, len(more), 2)]
        if detail.evidence:  # the bureau's copy of the evidence, in private
            rows.append([button("show_evidence", f"ev:{detail.id}")])
    rows.append([button("history", f"h:{detail.id}:1")])
    await reply(update, context, detail.text, keyboard(*rows))


async def on_history(update: Update, context: Context) -> None:
    """h:<ticket id>:<page from 1>: 办理记录, a page at a time; what was written only in private chat."""
    query = update.callback_query
    parts = (query.data or "").split(":")
    ticket_id, page = (ident(parts[1]), ident(parts[2])) if len(parts) == 3 else (None, None)
    if ticket_id is None or page is None:
        await forged(update, context, context.actor)
        return
    s = context.services
    shown = await s.run(s.tickets.history, context.actor, ticket_id, is_private(update), page - 1)
    if shown is None:
        await forged(update, context, context.actor)
        return
    body, pages = shown
    await query.answer()
    turn = [button("", f"h:{ticket_id}:{p}", label("button", key)) for key, p in
            (("previous", page - 1), ("next", page + 1)) if 1 <= p <= pages]
    markup = keyboard(turn) if turn else None
    turning = query.message is not None and (query.message.text or "").startswith("🗂")
    if turning:  # turning the page: the same message
        await query.edit_message_text(body, reply_markup=markup)
    else:
        await reply(update, context, body, markup)


async def cmd_form(update: Update, context: Context) -> None:
    """/form 编号 附件号: the form as text and as a .docx; the forms there are are the core's (bot/forms.py)."""
    actor, s = context.actor, context.services
    if await only_in_private(update, context):
        return
    args = context.args or []
    if len(args) != 2 or ident(args[1]) not in FORMS:
        await reply(update, context, text("usage_form", first=min(FORMS), last=max(FORMS)))
        return
    number = int(args[1])
    ticket = await s.run(s.tickets.find, _number(args[0]))
    private = is_private(update)
    body = await s.run(s.documents.form_text, actor, ticket.id, number, private) if ticket else None
    if body is None:
        await reply(update, context, text("not_found_ticket"))
        return
    await reply(update, context, body)
    full = private and s.tickets.may_see_full(actor, ticket)
    path = await s.run(s.documents.form_file, ticket.id, number, full)
    with open(path, "rb") as fh:
        await context.bot.send_document(update.effective_chat.id, fh, filename=path.name)


async def cmd_mine(update: Update, context: Context) -> None:
    if await only_in_private(update, context):
        return
    s = context.services
    rows = await s.run(s.tickets.mine, context.actor)
    await reply(update, context, render("listing", groups={text("listing_mine"): rows}))


async def cmd_todo(update: Update, context: Context) -> None:
    if await only_in_private(update, context):
        return
    s = context.services
    groups = await s.run(s.tickets.todo, context.actor)
    await reply(update, context, render("listing", groups=groups) if groups else text("nothing"))


async def cmd_search(update: Update, context: Context) -> None:
    if await only_in_private(update, context):
        return
    words = [w for w in clean(context.args or []) if w.strip()]
    if not words:
        await reply(update, context, text("usage_search"))
        return
    s = context.services
    rows = await s.run(s.tickets.search, context.actor, words)
    await reply(update, context, render("listing", groups={text("listing_search", words=" ".join(words)): rows}))


STATS_ROLES = (Role.OFFICE, Role.BUSINESS_LEADER, Role.PETITION_LEADER, Role.MAIN_LEADER, Role.ADMIN)
PERIODS = ("this_week", "last_week", "this_month", "last_month")


async def cmd_stats(update: Update, context: Context) -> None:
    """/stats: buttons for the usual periods; /stats 2026-10-01 2026-10-31 for any range."""
    actor = context.actor
    if not any(actor.has_role(role) for role in STATS_ROLES):
        await reply(update, context, text("refusal_role", role=label("role", Role.OFFICE)))
        return
    args = context.args or []
    if len(args) == 2:
        try:
            start, end = date.fromisoformat(args[0]), date.fromisoformat(args[1])
        except ValueError:
            start = end = None
        if start is None or end < start:
            await reply(update, context, text("usage_stats"))
            return
        await send_stats(update, context, start, end)
        return
    buttons = [button("", f"st:{name}", label("period", name)) for name in PERIODS]
    await reply(update, context, text("stats_pick"), keyboard(buttons[:2], buttons[2:]))


async def on_stats_button(update: Update, context: Context) -> None:
    actor = context.actor
    name = update.callback_query.data.split(":", 1)[1]
    if actor is None or not any(actor.has_role(role) for role in STATS_ROLES) or name not in PERIODS:
        await forged(update, context, actor)
        return
    await update.callback_query.answer()
    s = context.services
    start, end = period(name, s.clock.today())
    await send_stats(update, context, start, end)


async def send_stats(update: Update, context: Context, start: date, end: date) -> None:
    s = context.services
    body, png = await s.run(s.clock.stats_message, start, end)
    await context.bot.send_photo(update.effective_chat.id, png)
    await reply(update, context, body)


async def cmd_kb(update: Update, context: Context) -> None:
    """/kb 低保 申请条件: the knowledge base, ranked, with a snippet around the hit."""
    query = " ".join(context.args or []).strip()
    if not query:
        await reply(update, context, text("usage_kb"))
        return
    s = context.services
    hits = await s.run(s.knowledge.search, context.actor, query)
    await reply(update, context, render("kb_results", query=query, hits=hits))
