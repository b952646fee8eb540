"""/start (and its deep links), /help, /whoami, /bind, and the join flow."""

from __future__ import annotations

from telegram import Update

from bot.domain import DEPARTMENT_ROLES, Role
from handlers.common import Context, alert, button, forged, ident, in_rows, is_private, keyboard, reply, stale
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



# -- /members and /reload (admins) --

MEMBER_VERBS = ("show", "off", "offok", "on", "add", "drop")


def _roles(view) -> str:
    return "、".join(label("role", role) + (f"（{department}）" if department else "")
                     for role, _, department in view.roles) or "—"


def _state(view) -> str:
    return label("member_state", "active" if view.active else "inactive")


async def cmd_members(update: Update, context: Context) -> None:
    """Every member for an admin, in private chat; those who joined through the bot as buttons to manage."""
    s = context.services
    views = await s.run(s.organisation.members, context.actor)
    if views is None:
        await reply(update, context, text("members_not_admin"))
        return
    if not is_private(update):
        await reply(update, context, text("members_private"))
        return
    lines = [text("members_head", count=len(views))]
    lines += [text("members_line", name=v.name, roles=_roles(v), source=label("member_source", v.source),
                   state=_state(v)) for v in views]
    buttons = [button("", f"m:show:{v.id}", v.name) for v in views if v.source == "bot"]
    await reply(update, context, "\n".join(lines).replace("<", "&lt;"), keyboard(*in_rows(buttons, 3)))


def _card(view) -> tuple[str, object]:
    """A member's card and its buttons: drop a role, add one, deactivate (with a confirm step) or restore."""
    body = text("member_card", name=view.name, roles=_roles(view), source=label("member_source", view.source),
                state=_state(view)).replace("<", "&lt;")
    if view.source != "bot":
        return body + "\n" + text("member_from_file"), None
    drops = [button("", f"m:drop:{view.id}:{role}" + (f":{dept}" if dept else ""),
                    "➖ " + label("role", role) + (f"（{name}）" if name else "")) for role, dept, name in view.roles]
    switch = (button("member_deactivate", f"m:off:{view.id}") if view.active
              else button("member_activate", f"m:on:{view.id}"))
    return body, keyboard(*in_rows(drops, 1), [button("member_add_role", f"m:add:{view.id}")], [switch])


async def on_member(update: Update, context: Context) -> None:
    """m:<verb>:<member>[:<role>[:<department>]], pressed by an admin on /members; anything else forged."""
    query, actor, s = update.callback_query, context.actor, context.services
    parts = query.data.split(":")
    verb, member_id = (parts[1], ident(parts[2])) if len(parts) >= 3 else (None, None)
    role = parts[3] if len(parts) >= 4 else None
    department_id = ident(parts[4]) if len(parts) == 5 else None
    if (verb not in MEMBER_VERBS or member_id is None or len(parts) > 5 or (len(parts) == 5 and department_id is None)
            or role is not None and (verb not in ("add", "drop") or role not in Role.__members__.values())):
        await forged(update, context, actor)
        return
    if actor is None or not actor.has_role(Role.ADMIN):
        await forged(update, context, actor, text("refusal_role", role=label("role", Role.ADMIN)))
        return
    view = await s.run(s.organisation.member, actor, member_id)
    if view is None:
        await forged(update, context, actor)
        return
    if verb == "off":  # the confirm step before a removal
        await query.answer()
        await query.edit_message_text(text("member_confirm_off", name=view.name).replace("<", "&lt;"),
                                      reply_markup=keyboard([button("member_deactivate_confirm", f"m:offok:{view.id}"),
                                                             button("member_back", f"m:show:{view.id}")]))
        return
    if verb == "add" and role is None:
        roles = [button("", f"m:add:{view.id}:{r}", label("role", r)) for r in Role]
        await query.answer()
        await query.edit_message_text(text("member_pick_role", name=view.name).replace("<", "&lt;"),
                                      reply_markup=keyboard(*in_rows(roles, 2), [button("member_back",
                                                                                        f"m:show:{view.id}")]))
        return
    if verb == "add" and role in DEPARTMENT_ROLES and department_id is None:
        departments = await s.run(s.organisation.departments)
        choices = [button("", f"m:add:{view.id}:{role}:{d}", name) for d, name in departments]
        await query.answer()
        await query.edit_message_text(text("member_pick_department", name=view.name, role=label("role", role)),
                                      reply_markup=keyboard(*in_rows(choices, 2)))
        return
    if verb != "show":
        change = {"offok": "deactivate", "on": "activate", "add": "add_role", "drop": "drop_role"}[verb]
        outcome = await s.run(s.organisation.change_member, actor, member_id, change, role, department_id)
        if outcome != "done":
            await alert(update, text({"from_file": "member_from_file", "unchanged": "member_unchanged"}.get(
                outcome, "button_invalid")))
            return
        view = await s.run(s.organisation.member, actor, member_id)
        await query.answer(text("member_done"))
    else:
        await query.answer()
    body, markup = _card(view)
    await query.edit_message_text(body, reply_markup=markup)


async def cmd_reload(update: Update, context: Context) -> None:
    """Read the organisation file again now (an admin); what it changed is audited as it is applied."""
    s = context.services
    result = await s.run(s.organisation.reload, context.actor, "reload")
    if result is None:
        await reply(update, context, text("reload_not_admin"))
    elif result.error == "no_file":
        await reply(update, context, text("reload_no_file"))
    elif result.error:
        await reply(update, context, text("reload_failed", problem=result.error).replace("<", "&lt;"))
    else:
        await reply(update, context, text("reload_done", changes=result.changes))
