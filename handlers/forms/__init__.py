"""The step-by-step forms in private chat: the reply (附件1 + 附件2/3), a return request, a new ticket.

Where each form stands lives in the database (FormDraft), the reply's answers
in the reply itself, so a restart in the middle loses nothing.
"""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot import chatforms
from bot.chatforms import Step
from bot.domain import TICKET_FLAGS, Role
from bot.importer import ImportFailed
from bot.parsing import parse_local_time
from bot.services import failed_import_lines
from bot.workflow import (
    PRESSES,
    Actor,
    AddAssistPart,
    AskReturn,
    CreateTicket,
    EvidenceIn,
    SaveReply,
    SubmitProblemReport,
    SubmitReply,
)
from handlers.common import (
    Context,
    alert,
    ask_or_link,
    button,
    created_card,
    deep_link,
    forged,
    ident,
    in_rows,
    is_private,
    keep_evidence,
    keyboard,
    parse_data,
    reply,
    say,
    settle,
    stale,
)
from handlers.forms import edit
from handlers.forms.view import (
    FLAGS,
    STEP_LABELS,
    channel_of,
    choices,
    confirm,
    given_of,
    kind_of,
    show,
    show_private,
)
from templates import label, text

# forms that end by submitting: flow -> the action checked before it starts
SUBMITTED = {"return": "ask_return", "problem": "submit_problem_report", "assist": "add_assist_part"}


# -- starting -----------------------------------------------------------------


async def start_reply(update: Update, context: Context, actor: Actor, ticket_id: int) -> None:
    s = context.services
    refusal = await s.run(s.workflow.can, actor, "save_reply", ticket_id)
    if refusal is not None:
        await reply(update, context, refusal.message)
        return
    ticket = await s.run(s.tickets.get, ticket_id)
    current = await s.run(s.tickets.reply, ticket_id)
    first = _first_unanswered("reply", ticket.channel, current)
    draft = await s.run(s.drafts.put, actor.member_id, "reply", ticket_id, first.key if first else "preview", {},
                        update.effective_chat.id)
    detail = await s.run(s.tickets.text, actor, ticket_id, True)
    await reply(update, context, text("reply_started", internal_no=ticket.internal_no) + "\n\n" + detail)
    await show(update, context, actor, draft)


async def start_return(update: Update, context: Context, actor: Actor | None, ticket_id: int,
                       flow: str = "return") -> None:
    """A short form in private chat that ends by submitting with evidence: a return request or a report."""
    s = context.services
    refusal = await s.run(s.workflow.can, actor, SUBMITTED[flow], ticket_id)
    if refusal is not None:
        await alert(update, refusal.message)
        return
    first = chatforms.steps_for(flow, None)[0].key
    draft = await s.run(s.drafts.put, actor.member_id, flow, ticket_id, first, {"evidence": []})
    await ask_or_link(update, context, lambda: show_private(context, actor, draft, update.effective_user.id))


async def start_intake(update: Update, context: Context, actor: Actor) -> None:
    s = context.services
    draft = await s.run(s.drafts.put, actor.member_id, "intake", None, "channel", {"flags": []},
                        update.effective_chat.id)
    await reply(update, context, text("intake_started"))
    await show(update, context, actor, draft)


def _first_unanswered(flow: str, channel: str | None, current) -> Step | None:
    for step in chatforms.steps_for(flow, channel, None, lambda key: chatforms.reply_value(current, key)):
        if not step.optional and chatforms.reply_value(current, step.key) in (None, "", [], {}):
            return step
    return None


# -- answering ----------------------------------------------------------------


async def on_choice(update: Update, context: Context, actor: Actor, draft) -> None:
    """f:<step>:<value> for the member's current form."""
    parts = update.callback_query.data.split(":", 2)
    if len(parts) != 3:
        await forged(update, context, actor)
        return
    _, key, value = parts
    if draft is None or draft.step != key:
        await stale(update, context)
        return
    await update.callback_query.answer()
    if draft.flow == edit.FLOW:
        await edit.on_value(update, context, actor, draft, value)
        return
    step = chatforms.step(draft.flow, key)
    if step.key == "basis" and value.startswith("kb") and ident(value[2:]) is not None:
        await pick_basis(update, context, actor, draft, step, ident(value[2:]))
        return
    if step.kind == "flags":
        flags = set(draft.data.get("flags", []))
        if value in FLAGS:
            flags.symmetric_difference_update({value})
        s = context.services
        draft = await s.run(s.drafts.put, actor.member_id, draft.flow, draft.ticket_id, key,
                            {**draft.data, "flags": sorted(flags)})
        await show(update, context, actor, draft)
        return
    await answer(update, context, actor, draft, step, value)


async def pick_basis(update: Update, context: Context, actor: Actor, draft, step: Step, entry_id: int) -> None:
    """The chosen entry is cited as the reply's basis and remembered as its knowledge reference."""
    s = context.services
    basis = await s.run(s.knowledge.basis, entry_id)
    if basis is None:
        await stale(update, context)
        return
    values = {"basis": basis[0], "knowledge_ref": basis[1]}
    outcome = await s.run(s.workflow.do, actor, SaveReply(draft.ticket_id, values))
    if not outcome.ok:
        await reply(update, context, outcome.refusal.message)
        return
    await advance(update, context, actor, draft, step)


async def on_text(update: Update, context: Context, actor: Actor, draft) -> None:
    if draft.flow == edit.FLOW:
        if draft.step == "preview":
            await edit.preview(context, actor, draft, update.effective_user.id)
        else:
            await edit.on_value(update, context, actor, draft, update.effective_message.text)
        return
    step = chatforms.step(draft.flow, draft.step) if draft.step not in ("preview", "confirm") else None
    if step is None or step.kind in ("choice", "flags", "evidence"):
        await show(update, context, actor, draft)
        return
    await answer(update, context, actor, draft, step, update.effective_message.text.strip())


async def answer(update: Update, context: Context, actor: Actor, draft, step: Step, raw: str | None) -> None:
    s = context.services
    value: object = raw
    if step.kind == "time" and raw is not None:
        value = parse_local_time(raw, s.clock.local(s.clock.now()))
        if value is None:
            await reply(update, context, text("form_bad_time"))
            return
    if step.kind == "choice" and raw is not None and raw not in dict(choices(context, step, channel_of(
            draft, await s.run(s.tickets.get, draft.ticket_id) if draft.ticket_id else None))):
        await forged(update, context, actor)
        return
    if step.key == "source" and raw is not None:  # kept as printed on 附件1 and 附件4
        value = label("ticket_source", raw)
    if step.key == "business_category" and raw is not None:
        value = s.rules.flag("lists", "business_categories")[int(raw)]
    if step.key == "tags" and raw is not None:
        value = [s.rules.flag("lists", "tags")[int(raw)]]
    if raw in (None, "") and not step.optional and step.kind not in ("points",):
        await reply(update, context, text("form_required"))
        return
    if draft.flow == "reply":
        if step.kind == "points":
            current = await s.run(s.tickets.reply, draft.ticket_id)
            value = list(current.points or []) + [line.strip(" 0123456789.、") for line in (raw or "").splitlines()
                                                  if line.strip()]
            outcome = await s.run(s.workflow.do, actor, SaveReply(draft.ticket_id, {"points": value}))
            if not outcome.ok:
                await reply(update, context, outcome.refusal.message)
                return
            await show(update, context, actor, draft)  # points: more lines may follow until 完成
            return
        values = ({"letter": {step.key.split(".", 1)[1]: value or ""}} if step.key.startswith("letter.")
                  else {step.key: value})
        outcome = await s.run(s.workflow.do, actor, SaveReply(draft.ticket_id, values))
        if not outcome.ok:
            await reply(update, context, outcome.refusal.message)
            return
    else:
        data = dict(draft.data)
        data[step.key] = value.isoformat() if isinstance(value, datetime) else value
        if step.key == "channel":
            data.pop("kind", None)
            data.pop("service_category", None)
        if step.key in ("channel", "kind"):
            data.pop("tags", None)
        draft = await s.run(s.drafts.put, actor.member_id, draft.flow, draft.ticket_id, step.key, data)
    await advance(update, context, actor, draft, step)


async def advance(update: Update, context: Context, actor: Actor, draft, step: Step) -> None:
    s = context.services
    ticket = await s.run(s.tickets.get, draft.ticket_id) if draft.ticket_id else None
    following = chatforms.next_step(draft.flow, channel_of(draft, ticket), step.key, kind_of(draft, ticket),
                                    await given_of(context, draft))
    if draft.data.get("editing") or following is None:
        end = {"reply": "preview", "intake": "confirm"}.get(draft.flow)
        if end is None:  # the return form ends by submitting
            await submit_return(update, context, actor, draft)
            return
        following_key = end
    else:
        following_key = following.key
    draft = await s.run(s.drafts.put, actor.member_id, draft.flow, draft.ticket_id, following_key,
                        {**draft.data, "editing": False})
    await show(update, context, actor, draft)


async def on_media(update: Update, context: Context, actor: Actor, draft) -> None:
    """A photo, voice, video or file sent while a reply or return form is open: kept as evidence."""
    message = update.effective_message
    item = evidence_of(message)
    if item is not None:  # the bureau's own copy first (规程 三(三)2 佐证); too large: the sender is told
        item = await keep_evidence(update, context, item)
    if item is None:
        return
    s = context.services
    if draft.flow == "reply":
        outcome = await s.run(s.workflow.do, actor, SaveReply(draft.ticket_id, {}, evidence=(item,)))
        if not outcome.ok:
            await reply(update, context, outcome.refusal.message)
            return
        count = await s.run(s.tickets.evidence_count, draft.ticket_id, "reply_evidence")
    else:
        items = list(draft.data.get("evidence", [])) + [item.__dict__]
        await s.run(s.drafts.put, actor.member_id, draft.flow, draft.ticket_id, draft.step,
                    {**draft.data, "evidence": items})
        count = len(items)
    await reply(update, context, text("form_saved_evidence", kind=label("attachment_kind", item.kind), count=count))


def evidence_of(message) -> EvidenceIn | None:
    caption = message.caption
    if message.photo:
        photo = message.photo[-1]
        return EvidenceIn("photo", photo.file_id, photo.file_unique_id, None, "image/jpeg", caption)
    for kind in ("voice", "audio", "video", "document"):
        media = getattr(message, kind)
        if media is not None:
            return EvidenceIn(kind, media.file_id, media.file_unique_id, getattr(media, "file_name", None),
                              getattr(media, "mime_type", None), caption)
    return None


async def on_control(update: Update, context: Context, actor: Actor, draft) -> None:
    """fx:<skip|done|submit|edit|cancel|confirm> and fe:<step>."""
    query = update.callback_query
    s = context.services
    if draft is None:
        await stale(update, context)
        return
    if draft.flow == edit.FLOW:
        await edit.on_control(update, context, actor, draft)
        return
    verb = query.data.split(":", 1)[1]
    await query.answer()
    if verb == "cancel":
        await s.run(s.drafts.drop, actor.member_id, draft.flow)
        await reply(update, context, text("cancelled"))
        return
    if query.data.startswith("fe:"):
        if chatforms.step(draft.flow, verb) is None:
            return
        draft = await s.run(s.drafts.put, actor.member_id, draft.flow, draft.ticket_id, verb,
                            {**draft.data, "editing": True})
        await show(update, context, actor, draft)
        return
    step = chatforms.step(draft.flow, draft.step) if draft.step not in ("preview", "confirm") else None
    if verb in ("skip", "done") and step is not None:
        if verb == "skip" and not step.optional:
            return
        if draft.flow in SUBMITTED and step.key == "evidence":
            await submit_return(update, context, actor, draft)
            return
        await advance(update, context, actor, draft, step)
    elif verb == "edit":
        ticket = await s.run(s.tickets.get, draft.ticket_id) if draft.ticket_id else None
        steps = chatforms.steps_for(draft.flow, channel_of(draft, ticket), kind_of(draft, ticket),
                                    await given_of(context, draft)) + list(chatforms.EXTRA_STEPS.get(draft.flow, ()))
        buttons = [button("", f"fe:{s.key}", label(STEP_LABELS[draft.flow], s.key)[:30]) for s in steps]
        await say(context, update.effective_chat.id, text("form_step", n="…", total=len(steps),
                                                          field=label("button", "edit"), current=None),
                  keyboard(*in_rows(buttons, 2)))
    elif verb == "submit" and draft.flow == "reply":
        outcome = await s.run(s.workflow.do, actor, SubmitReply(draft.ticket_id))
        if not outcome.ok:
            await reply(update, context, outcome.refusal.message)
            return
        await s.run(s.drafts.drop, actor.member_id, "reply")
        await reply(update, context, text("reply_submitted", internal_no=outcome.internal_no))
        await settle(context, outcome)
    elif verb == "confirm" and draft.flow == "intake":
        await create_from_draft(update, context, actor, draft)


async def create_from_draft(update: Update, context: Context, actor: Actor, draft) -> None:
    """The confirmed intake form becomes a ticket; its card follows with the next step."""
    s = context.services
    try:
        command = intake_command(draft.data, s.rules.tz)
    except (KeyError, ValueError):
        await reply(update, context, text("form_required"))
        return
    outcome = await s.run(s.workflow.do, actor, command)
    if not outcome.ok:
        await reply(update, context, outcome.refusal.message)
        return
    await s.run(s.drafts.drop, actor.member_id, "intake")
    await created_card(update, context, actor, outcome.ticket_id)


async def submit_return(update: Update, context: Context, actor: Actor, draft) -> None:
    s = context.services
    items = tuple(EvidenceIn(**item) for item in draft.data.get("evidence", []))
    d = draft.data
    command = {"return": lambda: AskReturn(draft.ticket_id, d.get("reason", ""), items),
               "problem": lambda: SubmitProblemReport(draft.ticket_id, d.get("reasons", ""), d.get("work_done", ""),
                                                      items),
               "assist": lambda: AddAssistPart(draft.ticket_id, d.get("part", ""), items)}[draft.flow]()
    outcome = await s.run(s.workflow.do, actor, command)
    if not outcome.ok:
        await reply(update, context, outcome.refusal.message)
        return
    await s.run(s.drafts.drop, actor.member_id, draft.flow)
    await reply(update, context, text(f"{draft.flow}_submitted", internal_no=outcome.internal_no))
    await settle(context, outcome)


def intake_command(data: dict, tz) -> CreateTicket:
    received = datetime.fromisoformat(data["received_at"])
    called = datetime.fromisoformat(data["called_at"]) if data.get("called_at") else None
    return CreateTicket(
        channel=data["channel"], external_no=data.get("external_no", ""),
        received_at=received if received.tzinfo else received.replace(tzinfo=tz),
        content=data.get("content", ""), kind=data.get("kind"), citizen_name=data.get("citizen_name"),
        phone=data.get("phone"), address=data.get("address"), source=data.get("source"),
        service_category=data.get("service_category"), business_category=data.get("business_category"),
        tags=tuple(data.get("tags") or ()),
        called_at=(called if called.tzinfo else called.replace(tzinfo=tz)) if called else None,
        **{flag: flag in data.get("flags", []) for flag in FLAGS},
    )


# --- a new ticket: /new, or the platform's text pasted --------------------------


async def cmd_new(update: Update, context: Context) -> None:
    actor = context.actor
    if not actor.has_role(Role.OFFICE):
        await reply(update, context, text("refusal_role", role=label("role", Role.OFFICE)))
        return
    if not is_private(update):
        await reply(update, context, text("private_only", link=deep_link(context, "new")))
        return
    await start_intake(update, context, actor)


async def on_paste(update: Update, context: Context, actor: Actor) -> bool:
    """A pasted platform ticket from the office, in private chat; False when it is not one."""
    body = update.effective_message.text or ""
    if not actor.has_role(Role.OFFICE) or "：" not in body.replace(":", "：") or body.count("\n") < 2:
        return False
    s = context.services
    try:
        command = await s.run(s.intake.parse_paste, body)
    except ImportFailed as err:
        await reply(update, context, "\n".join([text("paste_failed"), *failed_import_lines(err)]).replace("<", "&lt;"))
        return True
    data = {field: getattr(command, field) for field in ("channel", "kind", "external_no", "citizen_name", "phone",
                                                           "address", "content", "service_category",
                                                           "business_category", "source")}
    data["received_at"] = command.received_at.isoformat()
    data["called_at"] = command.called_at.isoformat() if command.called_at else None
    data["flags"] = [flag for flag in TICKET_FLAGS if getattr(command, flag)]
    data["pasted"] = True
    draft = await s.run(s.drafts.put, actor.member_id, "intake", None, "confirm", data, update.effective_chat.id)
    await confirm(context, draft, update.effective_chat.id)
    return True


async def on_flow_press(update: Update, context: Context) -> None:
    """A ticket button that opens a chat form of its own (申请退单, 情况报告): t:<press>:<ticket id>."""
    parsed = parse_data(update.callback_query.data)
    if parsed is None or not PRESSES[parsed[0]][1].flow:
        await forged(update, context, context.actor)
        return
    name, ticket_id = parsed
    if PRESSES[name][1].flow == edit.FLOW:
        await edit.start(update, context, context.actor, ticket_id)
        return
    await start_return(update, context, context.actor, ticket_id, PRESSES[name][1].flow)
