"""Membership follows the organisation file: whoever the file removes, or whose roles it takes away, loses that
power at the next start, on a reload (/reload, SIGHUP) and at once when an admin changes them in /members;
members who joined through the bot are kept. Every change audited."""

from __future__ import annotations

import asyncio
import copy
import os
import signal

from sqlmodel import select

from bot.app import build_application, reload_on_hangup
from bot.configfile import read_toml
from bot.organisation import apply_config, read_organisation
from bot.services import Services
from storage import queries
from storage.models import Member, Outbox, TicketEvent
from tests.helpers.audit import events_after, last_event_id
from tests.helpers.bot import last_with
from tests.helpers.org import ORGANISATION, PEOPLE

NEW = [
    {"name": "何平", "telegram_id": 2004, "department": "jiuzhu", "roles": ["handler"]},
    {"name": "林峰", "telegram_id": 2005, "department": "jiuzhu", "roles": ["handler"]},
]
BUREAU = {**ORGANISATION, "members": ORGANISATION["members"] + NEW}


def changed_file() -> dict:
    """The bureau after a reorganisation: 李强 (handler) and 陈刚 (leader) left, 何平 keeps no role, 钱进 is
    a handler now instead of a leader."""
    config = copy.deepcopy(BUREAU)
    config["members"] = [m for m in config["members"] if m["name"] not in ("李强", "陈刚")]
    for member in config["members"]:
        if member["name"] == "何平":
            member["roles"] = []
        if member["name"] == "钱进":
            member["roles"] = ["handler"]
    return config


def enter(chat, db, config: dict) -> None:
    """The people of `config` in the chat driver, each with a private chat with the bot."""
    with db.session() as session:
        apply_config(session, config)
    for member in config["members"]:
        chat.people[member["name"]] = member["telegram_id"]
        chat.api.started_private.add(member["telegram_id"])
        chat.api.private(chat.api.user(member["telegram_id"], member["name"]))


async def restart(chat, db, rules, calendar, clock, tmp_path, config: dict) -> None:
    """The bot stops; the administrator edits the file; a new bot starts on the same database."""
    await chat.app.shutdown()
    with db.session() as session:
        apply_config(session, read_organisation(config))
    services = Services(db, rules, calendar, clock, files_dir=tmp_path / "after")
    app = build_application(services, chat.api.token, chat.api.base_url, chat.api.base_file_url, group_rate=0,
                            jobs=False)
    await app.initialize()
    chat.app = app


async def two_tickets(chat, desk):
    """Ticket 1 waits for a leader to approve its return (同意退单); ticket 2 waits in the group (受理)."""
    first, second = desk.new("12345", "ordinary", external_no="M-1"), desk.new("12345", "ordinary", external_no="M-2")
    desk.to_department(first)
    await chat.app.bot_data["deliverer"].flush()
    await chat.tap("李强", chat.last_in("社会救助科群"), "申请退单")
    await chat.say("李强", "属法院已受理的诉讼事项，依法不予受理")
    await chat.tap("李强", chat.last_in("李强"), "完成")
    await chat.send_photo("李强")
    await chat.tap("李强", last_with(chat, "李强", "完成"), "完成")
    desk.to_department(second)
    await chat.app.bot_data["deliverer"].flush()
    return first, second


async def test_removed_members_lose_their_power_at_the_next_start(chat, db, desk, rules, calendar, clock, tmp_path):
    enter(chat, db, BUREAU)
    first, second = await two_tickets(chat, desk)
    assert desk.status(first) == "return_requested" and desk.status(second) == "dispatched"
    approvals = {name: last_with(chat, name, "同意退单") for name in ("陈刚", "钱进")}
    card = chat.last_in("社会救助科群")
    assert "受理" in chat.buttons(card)

    await restart(chat, db, rules, calendar, clock, tmp_path, changed_file())
    mark = last_event_id(db)
    tries = [("李强", card, "受理"),  # deleted from the file
             ("何平", card, "受理"),  # roles = []
             ("陈刚", approvals["陈刚"], "同意退单"),  # a leader deleted from the file
             ("钱进", approvals["钱进"], "同意退单")]  # the leader's role removed, a handler now
    for name, message, shown in tries:
        answers = len(chat.api.callback_answers)
        await chat.tap(name, message, shown)
        assert len(chat.api.callback_answers) == answers + 1 and chat.answer().get("show_alert"), name
    assert (desk.status(first), desk.status(second)) == ("return_requested", "dispatched")  # 0 of 4 accepted
    events = events_after(db, mark)
    # the deleted are strangers now (refused at the gate); those without the role are refused by the workflow
    assert [e.action for e in events] == ["forged_button", "refused", "forged_button", "refused"]
    assert [events[0].payload["user_id"], events[2].payload["user_id"]] == [PEOPLE["李强"], PEOPLE["陈刚"]]
    assert events[0].actor_id is events[2].actor_id is None and events[1].actor_id and events[3].actor_id

    await chat.tap("林峰", card, "受理")  # whom the file keeps still works
    assert desk.status(second) == "accepted"
    with db.session() as session:
        gone = session.exec(select(Member).where(Member.name.in_(["李强", "陈刚"]))).all()
        assert [(m.name, m.active) for m in gone] == [("李强", False), ("陈刚", False)]  # kept for the history
        changes = session.exec(select(TicketEvent).where(TicketEvent.action == "member_changed",
                                                         TicketEvent.id <= mark)).all()
    said = {(e.payload["name"], e.payload["change"], e.payload.get("role")) for e in changes
            if e.payload["by"] == "config" and e.payload["name"] in ("李强", "陈刚", "何平", "钱进")}
    assert said >= {("李强", "deactivated", None), ("李强", "role_removed", "handler"),
                    ("陈刚", "deactivated", None), ("陈刚", "role_removed", "business_leader"),
                    ("何平", "role_removed", "handler"), ("钱进", "role_removed", "business_leader"),
                    ("钱进", "role_added", "handler")}


async def test_a_member_who_joined_through_the_bot_is_kept(chat, db, rules, calendar, clock, tmp_path):
    chat.people["新人"] = 7001
    chat.api.private(chat.api.user(7001, "新人"))
    await chat.say("新人", "/start")
    await chat.tap("新人", chat.last_in("新人"), "申请加入")
    request = chat.last_in("管理员")
    await chat.tap("管理员", request, "承办人")
    await chat.tap("管理员", chat.last_in("管理员"), "养老服务科")
    await restart(chat, db, rules, calendar, clock, tmp_path, changed_file())
    with db.session() as session:
        member = queries.member_by_telegram_id(session, 7001)
        assert (member.active, member.source) == (True, "bot")
        assert queries.member_roles(session, member.id) == [("handler", queries.department_by_code(
            session, "yanglao").id)]
    await chat.say("新人", "/whoami")
    assert "承办人（养老服务科）" in chat.last_in("新人").text


def write_file(path, config: dict) -> None:
    lines = []
    for department in config["departments"]:
        lines += ["[[departments]]", *(f"{k} = {value(v)}" for k, v in department.items()), ""]
    for member in config["members"]:
        lines += ["[[members]]", *(f"{k} = {value(v)}" for k, v in member.items()), ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    return f'"{v}"' if isinstance(v, str) else str(v)


def reads(path):
    return lambda: read_organisation(read_toml(path), path)


async def test_reload_by_command_and_by_signal(chat, db, tmp_path):
    path = tmp_path / "config.toml"
    write_file(path, ORGANISATION)
    organisation = chat.app.bot_data["services"].organisation
    organisation.read_file = reads(path)

    mark = last_event_id(db)
    await chat.say("李强", "/reload")
    assert "只有管理员" in chat.last_in("李强").text
    assert [(e.action, e.payload.get("command")) for e in events_after(db, mark)] == [("refused", "reload")]

    config = copy.deepcopy(ORGANISATION)
    config["members"] = [m for m in config["members"] if m["name"] != "李强"]
    write_file(path, config)
    await chat.say("管理员", "/reload")
    assert "已重新读取" in chat.last_in("管理员").text
    await chat.say("李强", "/todo")
    assert "尚未登记" in chat.last_in("李强").text
    events = [e for e in events_after(db, mark) if e.action == "member_changed"]
    assert {(e.payload["name"], e.payload["change"], e.payload["by"]) for e in events} == {
        ("李强", "deactivated", "reload"), ("李强", "role_removed", "reload")}
    assert {e.actor_id for e in events} == {chat.app.bot_data["services"].organisation.actor(PEOPLE["管理员"]).member_id}

    path.write_text("[[members]]\nname = 1\n", encoding="utf-8")  # a broken file changes nothing
    await chat.say("管理员", "/reload")
    assert "有误" in chat.last_in("管理员").text
    write_file(path, ORGANISATION)
    reload_on_hangup(chat.app)
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(1000):
            await asyncio.sleep(0)
            if "reloading" in chat.app.bot_data:
                break
        await chat.app.bot_data.pop("reloading")
    finally:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
    with db.session() as session:
        assert queries.member_by_telegram_id(session, PEOPLE["李强"]).active
    await chat.say("李强", "/todo")
    assert "尚未登记" not in chat.last_in("李强").text


async def test_members_lists_everyone_and_manages_who_joined_through_the_bot(chat, db):
    chat.people["新人"] = 7001
    chat.api.private(chat.api.user(7001, "新人"))
    await chat.say("新人", "/start")
    await chat.tap("新人", chat.last_in("新人"), "申请加入")
    await chat.tap("管理员", chat.last_in("管理员"), "局办公室")

    mark = last_event_id(db)
    await chat.say("李强", "/members")
    assert "只有管理员" in chat.last_in("李强").text
    await chat.say("管理员", "/members", group="社会救助科群")
    assert "私聊" in chat.last_in("社会救助科群").text
    await chat.say("管理员", "/members")
    listing = chat.last_in("管理员")
    assert "李强：承办人（社会救助科）｜配置文件｜在用" in listing.text
    assert "新人：局办公室｜经机器人加入｜在用" in listing.text
    assert chat.buttons(listing) == ["新人"]  # the file decides for its own members
    refusals = events_after(db, mark)
    assert [(e.action, e.payload.get("command")) for e in refusals] == [("refused", "members")]

    await chat.tap("管理员", listing, "新人")
    assert chat.buttons(listing) == ["➖ 局办公室", "➕ 添加角色", "停用"]
    await chat.tap("管理员", listing, "➕ 添加角色")
    await chat.tap("管理员", listing, "承办人")
    await chat.tap("管理员", listing, "养老服务科")
    assert "角色：承办人（养老服务科）、局办公室" in chat.current_text(listing)
    await chat.tap("管理员", listing, "➖ 局办公室")
    assert "角色：承办人（养老服务科）" in chat.current_text(listing)
    await chat.say("新人", "/new")
    assert "局办公室" in chat.last_in("新人").text or "权限" in chat.last_in("新人").text

    await chat.tap("李强", listing, "停用")  # not an admin: refused and audited
    assert chat.answer().get("show_alert")
    await chat.tap("管理员", listing, "停用")
    assert "确认停用 新人" in chat.current_text(listing)
    with db.session() as session:
        assert queries.member_by_telegram_id(session, 7001).active  # nothing before the confirmation
    await chat.tap("管理员", listing, "确认停用")
    assert "状态：已停用" in chat.current_text(listing) and chat.buttons(listing)[-1] == "恢复"
    await chat.say("新人", "/todo")
    assert "尚未登记" in chat.last_in("新人").text

    with db.session() as session:
        liqiang = queries.member_by_telegram_id(session, PEOPLE["李强"]).id
    await chat.press("管理员", listing, f"m:offok:{liqiang}")  # a member of the file: refused
    assert "配置文件" in chat.answer()["text"]
    events = events_after(db, mark)
    changes = [(e.payload["change"], e.payload.get("role")) for e in events if e.action == "member_changed"]
    assert changes == [("add_role", "handler"), ("drop_role", "office"), ("deactivate", None)]
    assert all(e.actor_id for e in events if e.action == "member_changed")
    assert [(e.action, e.payload.get("reason")) for e in events if e.action != "member_changed"] == [
        ("refused", "not_admin"), ("forged_button", None), ("refused", "not_member"), ("refused", "from_file")]


async def test_what_waited_for_a_removed_member_is_not_sent_to_them(chat, db, clock):
    with db.session() as session:
        leader = queries.member_by_telegram_id(session, PEOPLE["陈刚"])
        session.add(Outbox(audience="member", template="join_approved", context={"role": "business_leader"},
                           member_id=leader.id, created_at=clock(), next_attempt_at=clock()))
    config = copy.deepcopy(ORGANISATION)
    config["members"] = [m for m in config["members"] if m["name"] != "陈刚"]
    with db.session() as session:
        apply_config(session, config)
    await chat.app.bot_data["deliverer"].flush()
    assert chat.api.in_chat(PEOPLE["陈刚"]) == []
    with db.session() as session:
        row = session.exec(select(Outbox).where(Outbox.member_id == leader.id)).one()
        assert (row.status, row.error) == ("failed", "member_inactive")
    assert "陈刚" in chat.last_in("局办公室群").text  # the office is told, nothing waits silently
