"""/start (and its deep links), /help, /whoami, /bind, and the join flow."""

from __future__ import annotations

from telegram import Update

from bot.domain import DEPARTMENT_ROLES, Role
from handlers.common import Context, button, forged, ident, in_rows, is_private, keyboard, reply, stale
from templates import label, text


async def cmd_help(update: Update, context: Context) -> None:
    actor = context.actor
    lines = [text("help_general")]
    if actor is not None:
        roles = {role for role, _ in actor.roles}
        if Role.OFFICE in roles:
            lines.append(text("help_office"))
        if Role.HANDLER in roles:
            lines.append(text("help_handler"))
        if roles & {Role.BUSINESS_LEADER, Role.PETITION_LEADER, Role.MAIN_LEADER}:
            lines.append(text("help_leader"))
        if Role.ADMIN in roles:
            lines.append(text("help_admin"))
    await reply(update, context, "\n".join(lines))


async def cmd_whoami(update: Update, context: Context) -> None:
    s = context.services
    user = update.effective_user
    info = await s.run(s.organisation.whoami, user.id)
    roles = "、".join(label("role", role) + (f"（{department}）" if department else "")
                     for role, department in info.roles) or "—"
    await reply(update, context, text("whoami", user_id=user.id, chat_id=update.effective_chat.id,
                                      name=info.member or user.full_name, roles=roles).replace("<", "&lt;"))


async def cmd_bind(update: Update, context: Context) -> None:
    actor = context.actor
    if actor is None or not actor.has_role(Role.ADMIN):
        await reply(update, context, text("bind_not_admin"))
        return
    if is_private(update):
        await reply(update, context, text("bind_pick"))
        return
    s = context.services
    departments = await s.run(s.organisation.departments, True)
    buttons = [button("", f"b:{dept_id}", name) for dept_id, name in departments]
    await reply(update, context, text("bind_pick"), keyboard(*in_rows(buttons, 2)))


async def on_bind(update: Update, context: Context) -> None:
    """b:<department>, pressed by an admin; anything else is forged and audited."""
    query, actor, s = update.callback_query, context.actor, context.services
    value = ident(query.data.split(":", 1)[1])
    if value is None:
        await forged(update, context, actor)
        return
    chat = update.effective_chat
    outcome, name = await s.run(s.organisation.bind, actor, chat.id, chat.title, value)
    if outcome == "not_admin":
        await forged(update, context, actor, text("bind_not_admin"))
        return
    if outcome != "bound":
        await forged(update, context, actor)
        return
    await query.answer()
    await query.edit_message_text(text("bind_done", department=name))


async def on_join_ask(update: Update, context: Context) -> None:
    s = context.services
    if context.actor is not None:  # a member already: nothing to ask the admins
        await update.callback_query.answer(text("join_member"), show_alert=True)
        return
    user = update.effective_user
    filed = await s.run(s.organisation.ask_join, user.id, user.full_name)
    await update.callback_query.answer(text("join_sent") if filed else text("join_pending"), show_alert=True)


async def on_join_decide(update: Update, context: Context) -> None:
    """j:<request>:<role>[:<department>] or j:<request>:- (refuse), pressed by an admin."""
    query, actor, s = update.callback_query, context.actor, context.services
    parts = query.data.split(":")
    if (len(parts) not in (3, 4) or ident(parts[1]) is None or (len(parts) == 4 and ident(parts[3]) is None)
            or parts[2] != "-" and parts[2] not in Role.__members__.values()):
        await forged(update, context, actor)
        return
    if actor is None or not actor.has_role(Role.ADMIN):
        await forged(update, context, actor, text("refusal_role", role=label("role", Role.ADMIN)))
        return
    request_id, role = ident(parts[1]), parts[2]
    department_id = ident(parts[3]) if len(parts) == 4 else None
    if role in DEPARTMENT_ROLES and department_id is None:
        departments = await s.run(s.organisation.departments)
        buttons = [button("", f"j:{request_id}:{role}:{d}", name) for d, name in departments]
        await query.answer()
        await query.edit_message_reply_markup(keyboard(*in_rows(buttons, 2)))
        return
    outcome = await s.run(s.organisation.decide_join, actor, request_id, None if role == "-" else role,
                          department_id)
    if outcome == "not_admin":
        await forged(update, context, actor, text("refusal_role", role=label("role", Role.ADMIN)))
        return
    if outcome == "stale":
        await stale(update, context)
        return
    if outcome not in ("approved", "refused"):  # a department that does not exist
        await forged(update, context, actor)
        return
    await query.answer()
    department = dict(await s.run(s.organisation.departments)).get(department_id) if department_id else None
    line = (text("join_approved_admin", name=query.message.text.split("：", 1)[-1].split("（")[0], role=label(
        "role", role), department=department) if outcome == "approved" else text("join_done", outcome=label(
            "button", "refuse")))
    await query.edit_message_text(f"{query.message.text_html}\n\n{line}", reply_markup=None)

