"""/ticket, /mine, /todo, /search and /form: each filtered by who asks and where."""

from __future__ import annotations

from datetime import date

from telegram import Update

from bot.domain import Role
from bot.privacy import scrub_text
from bot.stats import period
from bot.workflow import Actor
from handlers.common import Context, button, deep_link, hotline, is_private, keyboard, reply, url_button
from handlers.delivery import buttons_for
from templates import label, render, text


def _number(raw: str) -> str:
    """SJMZ_2026_000001 (a tapped /ticket_ link) -> SJMZ-2026-000001; other numbers as typed."""
    parts = raw.split("_")
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return "-".join(parts)
    return raw


async def cmd_ticket(update: Update, context: Context, actor: Actor) -> None:
    message = update.effective_message.text or ""
    command, _, rest = message.partition(" ")
    number = rest.strip() or (command.split("_", 1)[1].split("@")[0] if "_" in command else "")
    if not number:
        await reply(update, context, text("usage_ticket"))
        return
    h = hotline(context)
    ticket = await h.run(h.find, _number(number))
    body = await h.run(h.ticket_text, actor, ticket.id, is_private(update)) if ticket else None
    if body is None:
        await reply(update, context, text("not_found_ticket"))
        return
    step = await h.run(h.next_step_for, actor, ticket.id) if is_private(update) else None
    if step == "intake":
        from handlers.intake import created_card

        await created_card(update, context, actor, ticket.id)
        return
    if step == "write_reply":
        markup = keyboard([url_button("write_reply", deep_link(context, f"r{ticket.id}"))])
    else:
        markup = buttons_for(step, ticket.id, {"notice_due": True}, context.bot.username) if step else None
    if is_private(update):
        more = await h.run(h.more_actions, actor, ticket.id)
        rows = list(markup.inline_keyboard) if markup else []
        rows += [[button(key, f"t:{verb}:{ticket.id}") for key, verb in more[i:i + 2]] for i in range(0, len(more), 2)]
        markup = keyboard(*rows) if rows else None
    await reply(update, context, body, markup)


async def cmd_form(update: Update, context: Context, actor: Actor) -> None:
    args = context.args or []
    if len(args) != 2 or args[1] not in ("1", "2", "3", "4"):
        await reply(update, context, text("usage_form"))
        return
    h = hotline(context)
    ticket = await h.run(h.find, _number(args[0]))
    private = is_private(update)
    body = await h.run(h.form_text, actor, ticket.id, int(args[1]), private) if ticket else None
    if body is None:
        await reply(update, context, text("not_found_ticket"))
        return
    await reply(update, context, body)
    full = private and h.may_see_full(actor, ticket)
    path = await h.run(h.form_file, ticket.id, int(args[1]), full)
    with open(path, "rb") as fh:
        await context.bot.send_document(update.effective_chat.id, fh, filename=path.name)


async def cmd_mine(update: Update, context: Context, actor: Actor) -> None:
    h = hotline(context)
    rows = await h.run(h.mine, actor)
    await reply(update, context, render("listing", groups={text("listing_mine"): rows}))


async def cmd_todo(update: Update, context: Context, actor: Actor) -> None:
    h = hotline(context)
    groups = await h.run(h.todo, actor)
    await reply(update, context, render("listing", groups=groups) if groups else text("nothing"))


async def cmd_search(update: Update, context: Context, actor: Actor) -> None:
    words = [w for w in (context.args or []) if w.strip()]
    if not words:
        await reply(update, context, text("usage_search"))
        return
    h = hotline(context)
    rows = await h.run(h.search, actor, words)
    shown = " ".join(words) if is_private(update) else scrub_text(" ".join(words))  # a phone typed in a group
    await reply(update, context, render("listing", groups={text("listing_search", words=shown): rows}))


STATS_ROLES = (Role.OFFICE, Role.BUSINESS_LEADER, Role.PETITION_LEADER, Role.MAIN_LEADER, Role.ADMIN)
PERIODS = ("this_week", "last_week", "this_month", "last_month")


async def cmd_stats(update: Update, context: Context, actor: Actor) -> None:
    """/stats: buttons for the usual periods; /stats 2026-10-01 2026-10-31 for any range."""
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
    from handlers.common import actor_of, alert

    actor = await actor_of(update, context)
    name = update.callback_query.data.split(":", 1)[1]
    if actor is None or not any(actor.has_role(role) for role in STATS_ROLES) or name not in PERIODS:
        await alert(update, text("button_invalid"))
        return
    await update.callback_query.answer()
    h = hotline(context)
    start, end = period(name, h.calc.local(h.now()).date())
    await send_stats(update, context, start, end)


async def send_stats(update: Update, context: Context, start: date, end: date) -> None:
    h = hotline(context)
    body, png = await h.run(h.stats_message, start, end)
    await context.bot.send_photo(update.effective_chat.id, png)
    await reply(update, context, body)


async def cmd_kb(update: Update, context: Context, actor: Actor) -> None:
    """/kb 低保 申请条件: the knowledge base, ranked, with a snippet around the hit."""
    query = " ".join(context.args or []).strip()
    if not query:
        await reply(update, context, text("usage_kb"))
        return
    h = hotline(context)
    hits = await h.run(h.kb_search, query)
    await h.run(h.audit, actor, "kb_search", None, query=query, found=len(hits))
    await reply(update, context, render("kb_results", query=query, hits=hits))
