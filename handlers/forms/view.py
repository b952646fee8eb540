"""Asking a chat form's current step in private chat, with its buttons; the reply's preview; the new ticket's
confirmation. What the member answers is handled in handlers/forms.py.
"""

from __future__ import annotations

import html
from datetime import datetime

from telegram import Update

from bot import chatforms
from bot.chatforms import Step
from bot.domain import TICKET_FLAGS
from bot.forms import problem_names
from bot.workflow import Actor
from handlers.common import Context, button, in_rows, keyboard, say
from handlers.forms import edit
from templates import label, labels, text

FLAGS = TICKET_FLAGS
STEP_LABELS = {"reply": "reply_step", "intake": "intake_step", "return": "return_step", "problem": "problem_step",
               "assist": "assist_step"}


def choices(context: Context, step: Step, channel: str | None) -> list[tuple[str, str]]:
    """(value, shown) of a choice step."""
    s = context.services
    if step.key == "kind":
        return [(k, label("kind", k)) for k in s.rules.kinds(channel)]
    if step.key == "business_category":
        return [(str(i), name) for i, name in enumerate(s.rules.flag("lists", "business_categories"))]
    if step.key == "tags":
        return [(str(i), name) for i, name in enumerate(s.rules.flag("lists", "tags"))]
    if step.key == "template":  # hotlines: one of the two reports of 附件3
        return [(k, v) for k, v in labels(step.group).items() if k != "petition"]
    return list(labels(step.group).items())


def channel_of(draft, ticket) -> str | None:
    return ticket.channel if ticket is not None else draft.data.get("channel")


def kind_of(draft, ticket) -> str | None:
    return ticket.kind if ticket is not None else draft.data.get("kind")


async def given_of(context: Context, draft):
    """The earlier answers of the form, for the steps asked only after one of them (Step.after)."""
    if draft.flow == "reply":
        current = await context.services.run(context.services.tickets.reply, draft.ticket_id)
        return lambda key: chatforms.reply_value(current, key)
    return draft.data.get


async def show(update: Update, context: Context, actor: Actor, draft) -> None:
    await show_private(context, actor, draft, update.effective_user.id)


async def show_private(context: Context, actor: Actor, draft, chat_id: int) -> None:
    """Ask the draft's current step (or show the preview) in the member's private chat."""
    s = context.services
    if draft.flow == edit.FLOW:
        await edit.preview(context, actor, draft, chat_id)
        return
    ticket = await s.run(s.tickets.get, draft.ticket_id) if draft.ticket_id else None
    if draft.step == "preview":
        await preview(context, actor, draft, chat_id)
        return
    if draft.step == "confirm":
        await confirm(context, draft, chat_id)
        return
    step = chatforms.step(draft.flow, draft.step)
    channel = channel_of(draft, ticket)
    n, total = chatforms.position(draft.flow, channel, step.key, kind_of(draft, ticket), await given_of(context, draft))
    current = await _current(context, draft, step)
    question = text("form_step", n=n or "…", total=total, field=label(STEP_LABELS[draft.flow], step.key), current=current)
    rows = []
    if step.kind == "choice":
        rows += in_rows([button("", f"f:{step.key}:{value}", shown) for value, shown in choices(context, step,
                                                                                                channel)], 2)
    elif step.kind == "flags":
        chosen = set(draft.data.get("flags", []))
        rows += in_rows([button("", f"f:flags:{flag}", ("☑" if flag in chosen else "☐") + label("flag", flag))
                         for flag in FLAGS], 2)
        rows.append([button("done", "fx:done")])
    elif step.kind == "time":
        question += "\n" + text("form_time_hint")
        rows.append([button("now", f"f:{step.key}:now")])
    elif step.kind == "points":
        question += "\n" + text("form_points_hint")
        rows.append([button("done", "fx:done")])
    elif step.kind == "evidence":
        question += "\n" + text("form_evidence_hint")
        rows.append([button("done", "fx:done")])
    if draft.flow == "reply" and step.key == "basis":  # a policy from the knowledge base as the basis
        hits = await context.services.run(context.services.knowledge.for_ticket, draft.ticket_id)
        rows += [[button("", f"f:basis:kb{hit.id}", "📚 " + hit.title[:40])] for hit in hits]
    if step.optional and step.kind not in ("evidence", "flags"):
        rows.append([button("skip", "fx:skip")])
    rows.append([button("cancel", "fx:cancel")])
    await say(context, chat_id, question, keyboard(*rows))


async def _current(context: Context, draft, step: Step) -> str | None:
    s = context.services
    if draft.flow == "reply":
        current = await s.run(s.tickets.reply, draft.ticket_id)
        value = chatforms.reply_value(current, step.key)
    else:
        value = draft.data.get(step.key)
    if value in (None, "", [], {}):
        return None
    if isinstance(value, list):
        return "；".join(value) if step.kind == "points" else text("items_count", count=len(value))
    if isinstance(value, datetime):
        return f"{s.clock.local(value):%m-%d %H:%M}"
    if step.kind == "choice" and step.group and step.key != "business_category":
        return label(step.group, value, str(value))
    return str(value)


async def preview(context: Context, actor: Actor, draft, chat_id: int) -> None:
    s = context.services
    ticket = await s.run(s.tickets.get, draft.ticket_id)
    number = 2 if ticket.channel == "petition" else 3
    body = await s.run(s.documents.form_text, actor, draft.ticket_id, number, True)
    given = await given_of(context, draft)
    missing = [s for s in chatforms.steps_for("reply", ticket.channel, None, given)
               if not s.optional and given(s.key) in (None, "", [], {})]
    lines = [body]
    if missing:
        lines.append(text("form_preview_missing", items="、".join(label("reply_step", s.key) for s in missing)))
    else:
        problems, notes = await s.run(s.documents.reply_check, draft.ticket_id)
        if problems:  # what the submission would be refused for, said before the button is pressed
            lines.append(text("refusal_letter", items=problem_names(problems)))
            missing = problems
        if notes:
            lines.append(text("form_preview_style", items="；".join(label("style_note", n) for n in notes)))
    rows = [[button("submit", "fx:submit")] if not missing else None,
            [button("edit", "fx:edit"), button("cancel", "fx:cancel")]]
    await say(context, chat_id, "\n\n".join(lines), keyboard(*rows))


async def confirm(context: Context, draft, chat_id: int) -> None:
    d = draft.data
    s = context.services
    lines = [text("paste_parsed") if d.get("pasted") else ""]
    for step in chatforms.steps_for("intake", d.get("channel"), d.get("kind"), d.get):
        value = d.get(step.key)
        if step.key == "flags":
            shown = "、".join(label("flag", f) for f in value or []) or "—"
        elif step.key == "tags":
            shown = "、".join(value or []) or "—"
        elif step.kind == "choice" and value and step.key != "business_category":
            shown = label(step.group, value, str(value))
        elif step.kind == "time" and value:
            shown = f"{s.clock.local(datetime.fromisoformat(value)):%Y-%m-%d %H:%M}"
        elif step.key == "called_at":  # skipped: the call is taken as the receipt (SPEC §9.1)
            shown = text("called_as_received")
        else:
            shown = value or "—"
        lines.append(f"{label('intake_step', step.key)}：{html.escape(str(shown))}")
    await say(context, chat_id, "\n".join(line for line in lines if line),
              keyboard([button("confirm", "fx:confirm")], [button("edit", "fx:edit"), button("cancel", "fx:cancel")]))
