"""The office adjusts 附件2 / 附件4 before the petition-line leader signs (规程 二(一)3 「完成格式调整」,
二(二)2 「填写审批单」): the form and its regenerated .docx in private chat, a button per field, the new value
typed (or chosen), then 报审. The changes live in the member's FormDraft until they are filed.
"""

from __future__ import annotations

from telegram import Update

from bot.forms import EDIT_CHOICES, EDITABLE, form_name
from bot.workflow import Actor, SubmitApprovalForm, SubmitFinalReply
from handlers.common import Context, after, alert, ask_or_link, button, forged, in_rows, keyboard, say, stale
from templates import label, labels, text

FLOW = "edit_form"
SUBMIT = {2: ("submit_final_reply", SubmitFinalReply), 4: ("submit_approval_form", SubmitApprovalForm)}


async def start(update: Update, context: Context, actor: Actor, ticket_id: int) -> None:
    s = context.services
    ticket = await s.run(s.tickets.get, ticket_id)
    number = 2 if ticket is not None and ticket.channel == "petition" else 4
    refusal = await s.run(s.workflow.can, actor, SUBMIT[number][0], ticket_id)
    if refusal is not None:
        await alert(update, refusal.message)
        return
    await update.callback_query.answer()
    query = update.callback_query
    origin = [query.message.chat_id, query.message.message_id] if query.message else None
    edits = await s.run(s.documents.form_edits, ticket_id, number)  # a second round starts from the first
    draft = await s.run(s.drafts.put, actor.member_id, FLOW, ticket_id, "preview",
                        {"number": number, "edits": edits, "origin": origin})
    await ask_or_link(update, context, lambda: preview(context, actor, draft, update.effective_user.id))


async def preview(context: Context, actor: Actor, draft, chat_id: int) -> None:
    """The form as it will be filed: the .docx first, then the text with a button per field."""
    s = context.services
    number = draft.data["number"]
    shown = await s.run(s.documents.form_preview, actor, draft.ticket_id, number, draft.data.get("edits", {}))
    if shown is None:
        return
    body, path = shown
    with open(path, "rb") as fh:
        await context.bot.send_document(chat_id, fh, filename=path.name)
    fields = [button("", f"fe:{key}", label("form_edit", key)) for key in EDITABLE[number]]
    edited = draft.data.get("edits") or {}
    lines = [text("form_edit_intro", name=form_name(number)), body]
    if edited:
        lines.append(text("form_edit_changed", fields="、".join(label("form_edit", k) for k in EDITABLE[number]
                                                                  if k in edited)))
    await say(context, chat_id, "\n\n".join(lines),
              keyboard(*in_rows(fields, 3), [button("submit_form", "fx:submit"), button("cancel", "fx:cancel")]))


async def on_control(update: Update, context: Context, actor: Actor, draft) -> None:
    """fe:<field> asks for it; fx:submit files the form; fx:cancel drops the changes."""
    s, query = context.services, update.callback_query
    verb = query.data.split(":", 1)[1]
    number = draft.data["number"]
    await query.answer()
    if verb == "cancel":
        await s.run(s.drafts.drop, actor.member_id, FLOW)
        await say(context, update.effective_chat.id, text("cancelled"))
        return
    if query.data.startswith("fe:"):
        if verb not in EDITABLE[number]:
            await forged(update, context, actor)
            return
        await s.run(s.drafts.put, actor.member_id, FLOW, draft.ticket_id, verb, draft.data)
        rows = []
        if verb in EDIT_CHOICES:
            rows = in_rows([button("", f"f:{verb}:{code}", name) for code, name in labels(EDIT_CHOICES[verb]).items()],
                           3)
        await say(context, update.effective_chat.id, text("form_edit_ask", field=label("form_edit", verb)),
                  keyboard(*rows, [button("cancel", "fx:cancel")]))
        return
    if verb == "submit":
        command = SUBMIT[number][1](draft.ticket_id, dict(draft.data.get("edits") or {}))
        outcome = await s.run(s.workflow.do, actor, command)
        if outcome.ok:
            await s.run(s.drafts.drop, actor.member_id, FLOW)
        origin = tuple(draft.data["origin"]) if draft.data.get("origin") else None
        await after(update, context, outcome, actor, origin)
        if outcome.ok:
            await say(context, update.effective_chat.id, text("done_alert", action=label("action", outcome.action))
                      + f"：{outcome.internal_no}")


async def on_value(update: Update, context: Context, actor: Actor, draft, value: str | None) -> None:
    """The new value of the field being edited (typed, or a choice f:<field>:<code>)."""
    s = context.services
    key = draft.step
    if key not in EDITABLE[draft.data["number"]] or not (value or "").strip():
        await stale(update, context)
        return
    if key in EDIT_CHOICES and value not in labels(EDIT_CHOICES[key]):
        await forged(update, context, actor)
        return
    edits = {**(draft.data.get("edits") or {}), key: value.strip()}
    draft = await s.run(s.drafts.put, actor.member_id, FLOW, draft.ticket_id, "preview", {**draft.data, "edits": edits})
    await preview(context, actor, draft, update.effective_user.id)
