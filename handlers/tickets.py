"""Buttons on ticket messages (t:<verb>:<id>) and the short texts some of them ask for.

Every press is checked on the server by the workflow core (role, department,
status); a forged or unreadable button is refused and audited.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot import workflow as wf
from bot.workflow import Actor, Outcome
from handlers.common import Context, actor_of, alert, button, deep_link, hotline, is_private, keyboard, say
from handlers.delivery import accepted_buttons
from templates import label, text

# verb -> the command it makes, for presses that need nothing typed
DIRECT = {
    "acc": lambda t: wf.Accept(t),
    "rap": lambda t: wf.ApproveReturn(t),
    "app": lambda t: wf.ApproveReply(t),
    "pas": lambda t: wf.PassReview(t),
    "cret": lambda t: wf.CompleteReturn(t),
    "ntc": lambda t: wf.SendAcceptanceNotice(t),
    "sgn": lambda t: wf.ApproveSignoff(t),
    "plt": lambda t: wf.RecordPlatformReply(t),
    "dc": lambda t: wf.RecordDeptContact(t),
    "xap": lambda t: wf.ApproveExtension(t),
    "ack": lambda t: wf.AcknowledgeEmergency(t),
    "me": lambda t: wf.MarkEmergency(t),
    "mt": lambda t: wf.MarkEmergency(t, major_threat=True),
    "psg": lambda t: wf.SignProblemReport(t),
    "svc": lambda t: wf.CreateSupervision(t),
    "rrc": lambda t: wf.RequestRepeatClosure(t),
}


def _days(raw: str) -> int:
    digits = "".join(ch for ch in raw if ch.isdigit())
    return int(digits) if digits else 0
# verb -> (the action it leads to, the fields to type, how they make the command)
PROMPTS = {
    "rrj": ("reject_return", ["comment"], lambda t, v: wf.RejectReturn(t, v["comment"])),
    "rej": ("reject_reply", ["comment"], lambda t, v: wf.RejectReply(t, v["comment"])),
    "red": ("fail_review", ["reasons"], lambda t, v: wf.FailReview(t, tuple(v["reasons"].splitlines()))),
    "sgr": ("reject_signoff", ["comment"], lambda t, v: wf.RejectSignoff(t, v["comment"])),
    "mail": ("record_mail", ["letter_no"], lambda t, v: wf.RecordMail(t, v["letter_no"])),
    "ore": ("office_return", ["reason", "belongs_to"], lambda t, v: wf.OfficeReturn(t, v["reason"], v["belongs_to"])),
    "sr": ("record_daily_report", ["progress"], lambda t, v: wf.RecordDailyReport(t, v["progress"])),
    "vis": ("record_visit", ["visit_note"], lambda t, v: wf.RecordVisit(t, v["visit_note"])),
    "vsc": ("schedule_visit", ["visit_time", "visitors"], lambda t, v: wf.ScheduleVisit(t, v["visit_time"],
                                                                                       v["visitors"])),
    "ext": ("request_extension", ["ext_days", "ext_reason"],
            lambda t, v: wf.RequestExtension(t, _days(v["ext_days"]), v["ext_reason"])),
    "xrj": ("reject_extension", ["comment"], lambda t, v: wf.RejectExtension(t, v["comment"])),
    "prt": ("return_problem_report", ["comment"], lambda t, v: wf.ReturnProblemReport(t, v["comment"])),
    "pvf": ("verify_problem_report", ["verify_note"], lambda t, v: wf.VerifyProblemReport(t, v["verify_note"])),
    "svp": ("propose_supervision", ["instruction"], lambda t, v: wf.ProposeSupervision(t, v["instruction"])),
    "svr": ("reply_supervision", ["supervision_reply"], lambda t, v: wf.ReplySupervision(t, v["supervision_reply"])),
    "clb": ("record_collaboration", ["collab_body", "collab_method"],
            lambda t, v: wf.RecordCollaboration(t, v["collab_body"], v["collab_method"])),
    "hb": ("hand_back", ["hand_back_reason"], lambda t, v: wf.HandBack(t, v["hand_back_reason"])),
    "fco": ("record_first_contact", ["note"],
            lambda t, v: wf.RecordFirstContact(t, "not_contacted", "other", v["note"])),
}
FORMS = {"af": 4, "fr": 2}
# Actions that leave the status as it is settle only the messages that asked for them; a status change
# settles every open button of the ticket.
SETTLES = {
    "acknowledge_emergency": {"emergency_alert"},
    "approve_extension": {"extension_request"},
    "reject_extension": {"extension_request"},
    "sign_problem_report": {"problem_for_signature"},
    "return_problem_report": {"problem_for_signature"},
    "verify_problem_report": {"problem_for_verification"},
    "submit_problem_report": {"problem_request", "problem_returned"},
    "record_daily_report": {"sensitive_ask", "sensitive_remind"},
    "create_supervision": {"supervision_proposed"},
    "reply_supervision": {"supervision_card"},
    "send_acceptance_notice": {"accepted"},
    "record_visit": {"visit_reminder", "visit_due"},
    "schedule_visit": {"visit_reminder"},
    "record_follow_up": set(),
}
log = logging.getLogger(__name__)


def parse_data(data: str | None) -> tuple[str, int] | None:
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != "t" or not parts[2].isdigit():
        return None
    if parts[1] not in DIRECT and parts[1] not in PROMPTS and parts[1] not in FORMS and parts[1] not in ("ret", "prb"):
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
    verb, ticket_id = parsed
    h = hotline(context)
    if verb in ("ret", "prb"):
        from handlers.forms import start_return

        await start_return(update, context, actor, ticket_id, "return" if verb == "ret" else "problem")
        return
    if verb in PROMPTS:
        await start_prompt(update, context, actor, verb, ticket_id)
        return
    if verb in FORMS:
        outcome = await h.run(h.submit_form, actor, ticket_id, FORMS[verb])
    else:
        outcome = await h.run(h.do, actor, DIRECT[verb](ticket_id))
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
    moved = outcome.from_status != outcome.to_status
    settles = None if moved else SETTLES.get(outcome.action, set())
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


async def start_prompt(update: Update, context: Context, actor: Actor | None, verb: str, ticket_id: int) -> None:
    """A press that needs a typed answer: checked first, then asked for in private chat."""
    h = hotline(context)
    action, fields, _ = PROMPTS[verb]
    refusal = await h.run(h.can, actor, action, ticket_id)
    if refusal is not None:
        await alert(update, refusal.message)
        return
    query = update.callback_query
    origin = [query.message.chat_id, query.message.message_id] if query and query.message else None
    await h.run(h.put_draft, actor.member_id, "prompt", ticket_id, fields[0],
                {"verb": verb, "values": {}, "origin": origin})
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
    verb = draft.data["verb"]
    action, fields, make = PROMPTS[verb]
    values = dict(draft.data.get("values", {}))
    values[draft.step] = update.effective_message.text.strip()
    remaining = fields[fields.index(draft.step) + 1:]
    if remaining:
        await h.run(h.put_draft, actor.member_id, "prompt", draft.ticket_id, remaining[0],
                    {**draft.data, "values": values})
        await ask_prompt(update, context, actor, draft.ticket_id, remaining[0])
        return
    outcome = await h.run(h.do, actor, make(draft.ticket_id, values))
    if outcome.ok or outcome.refusal.code not in ("missing", "invalid"):
        await h.run(h.drop_draft, actor.member_id, "prompt")
    origin = tuple(draft.data["origin"]) if draft.data.get("origin") else None
    await after(update, context, outcome, actor, origin)
    if outcome.ok and outcome.action == "record_first_contact":
        from handlers.intake import department_picker

        await department_picker(update, context, outcome.ticket_id, outcome.internal_no)
