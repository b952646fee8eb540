"""Organisation in chat, look-ups, restarts, delivery trouble, and the polling path."""

from __future__ import annotations

import asyncio
from contextlib import contextmanager

from sqlalchemy import event
from telegram import Update

from bot.app import build_application
from storage import queries
from storage.models import Outbox
from tests.helpers.bot import register_12345
from tests.helpers.org import actor_of


async def test_bind_whoami_help(chat, db):
    chat.api.group(-2001, "新群")
    chat.groups["新群"] = chat.api.chats[-2001]
    await chat.say("李强", "/bind", group="新群")
    assert "只有管理员" in chat.last_in(-2001).text
    await chat.say("管理员", "/bind", group="新群")
    picker = chat.last_in(-2001)
    await chat.tap("李强", picker, "养老服务科")
    assert "只有管理员" in chat.answer()["text"]
    await chat.tap("管理员", picker, "养老服务科")
    assert chat.current_text(picker) == "本群已绑定：养老服务科"
    with db.session() as session:
        assert queries.binding_for_chat(session, -2001).title == "新群"
    await chat.say("李强", "/whoami")
    assert "用户ID：2001" in chat.last_in("李强").text and "承办人（社会救助科）" in chat.last_in("李强").text
    await chat.say("王芳", "/help")
    assert "/new" in chat.last_in("王芳").text and "承办人" not in chat.last_in("王芳").text
    await chat.say("陈刚", "/help")
    assert "审批" in chat.last_in("陈刚").text


async def test_lookups(chat):
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "⭐社会救助科")
    await chat.say("李强", "/todo")
    assert "/ticket_SJMZ_2026_000001 待受理" in chat.last_in("李强").text
    await chat.tap("李强", chat.last_in("社会救助科群"), "受理")
    await chat.say("李强", "/mine")
    mine = chat.last_in("李强")
    assert "我的工单" in mine.text and "办理中" in mine.text and "10月13日（周二）" in mine.text
    await chat.say("王芳", "/search 低保")
    assert "/ticket_SJMZ_2026_000001" in chat.last_in("王芳").text
    await chat.say("王芳", "/search 不存在的词")
    assert "暂无" in chat.last_in("王芳").text
    await chat.say("周丽", "/search 低保")
    assert "/ticket_SJMZ_2026_000001" not in chat.last_in("周丽").text  # not her department
    await chat.say("王芳", "/form SJMZ-2026-000001 4")
    assert chat.last_in("王芳").method == "sendDocument"
    assert "13812345678" in [s for s in chat.api.in_chat(1001) if s.method == "sendMessage"][-1].text
    await chat.say("王芳", "/form SJMZ-2026-000001 9")
    assert "用法" in chat.last_in("王芳").text and "（1-6）" in chat.last_in("王芳").text
    await chat.say("王芳", "/ticket SJMZ-2026-999999")
    assert "找不到" in chat.last_in("王芳").text


@contextmanager
def transactions(db):
    """Count the transactions begun on the database while the block runs."""
    begun = []

    def count(conn):
        begun.append(conn)

    event.listen(db.engine, "begin", count)
    try:
        yield begun
    finally:
        event.remove(db.engine, "begin", count)


async def test_ticket_is_one_transaction(chat, db):
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "⭐社会救助科")
    services, handler = chat.app.bot_data["services"], actor_of(db, 2001)
    with transactions(db) as begun:
        detail = services.tickets.detail(handler, "SJMZ-2026-000001", True)
    assert len(begun) == 1
    assert detail.next_step == "ticket_card" and ("propose_supervision", "svp") not in detail.more
    with transactions(db) as begun:
        await chat.say("李强", "/ticket SJMZ-2026-000001")
    assert chat.buttons(chat.last_in("李强"))[:2] == ["受理", "申请退单"]
    assert len(begun) == 3  # the gate (who is asking), /ticket itself, the outbox (nothing to send)


async def test_every_form_of_the_core_is_offered_by_form(chat):
    """/form 编号 5 (申请结单, as the README promises): the command reads the core's list of forms."""
    from bot.forms import FORMS, form_name

    await register_12345(chat)
    for number in FORMS:
        await chat.say("王芳", f"/form SJMZ-2026-000001 {number}")
        assert chat.last_in("王芳").method == "sendDocument", number
        assert chat.last_in("王芳").params["document"]["filename"].endswith(f"{form_name(number)}.docx"), number


async def test_a_form_survives_a_restart(chat, db, clock, rules, calendar, tmp_path):
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "⭐社会救助科")
    await chat.tap("李强", chat.last_in("社会救助科群"), "受理")
    await chat.say("李强", "/start r1")
    await chat.tap("李强", chat.last_in("李强"), "求助类或投诉类办结报告（附件3一）")
    await chat.tap("李强", chat.last_in("李强"), "刚刚")
    old_question = chat.last_in("李强")
    assert "沟通方式" in old_question.text

    # the bot stops and a new one starts on the same database
    await chat.app.shutdown()
    from bot.services import Services

    hotline = Services(db, rules, calendar, clock, files_dir=tmp_path / "forms2")
    app = build_application(hotline, chat.api.token, chat.api.base_url, chat.api.base_file_url, group_rate=0,
                            jobs=False)
    await app.initialize()
    chat.app = app
    await chat.tap("李强", old_question, "电话")  # the button from before the restart still works
    assert "经谁核实" in chat.last_in("李强").text
    await chat.say("李强", "/start go")
    assert "经谁核实" in chat.last_in("李强").text
    with db.session() as session:
        reply = queries.current_reply(session, 1)
        assert reply.template == "help_complaint" and reply.contact_manner == "phone"
        assert reply.contact_time is not None


async def test_a_429_delays_and_a_lost_group_is_reported_once(chat, clock, db, org):
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    chat.api.fail_next(1, status=429, retry_after=30, methods={"sendMessage"})
    await chat.tap("王芳", chat.last_in("王芳"), "⭐社会救助科")
    assert [s for s in chat.api.in_chat(-1002) if s.method == "sendMessage"] == []
    with db.session() as session:
        row = [r for r in queries.outbox_of(session) if r.template == "ticket_card"][0]
        assert row.status == "pending" and row.attempts == 1
    deliverer = chat.app.bot_data["deliverer"]
    assert await deliverer.flush() == 0  # not before retry_after
    clock.advance(seconds=31)
    assert await deliverer.flush() == 1
    assert "新工单" in chat.last_in("社会救助科群").text

    chat.api.remove_bot_from(-1002)
    hotline = chat.app.bot_data["services"]
    context = {"internal_no": "SJMZ-2026-000001", "ticket_id": 1, "channel": "12345", "kind": "ordinary"}
    with db.session() as session:
        for _ in range(2):
            session.add(Outbox(ticket_id=1, audience="department_group", department_id=org["departments"]["jiuzhu"],
                               template="closed", context=context, next_attempt_at=hotline.clock.now(),
                               created_at=hotline.clock.now()))
    await deliverer.flush()
    notices = [s for s in chat.api.in_chat(-1001) if "无法送达" in s.text]
    assert len(notices) == 1 and "-1002" in notices[0].text
    with db.session() as session:
        assert sorted(r.status for r in queries.outbox_of(session) if r.template == "closed") == ["failed", "failed"]


async def test_the_polling_path(chat):
    """Updates fetched with getUpdates (offset and timeout) by the Application's own updater."""
    app = chat.app
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        chat.api.send_text(chat.user("王芳"), "/whoami")
        for _ in range(100):
            if any("用户ID：1001" in s.text for s in chat.api.sent):
                break
            await asyncio.sleep(0.05)
        assert any("用户ID：1001" in s.text for s in chat.api.sent)
        assert chat.api.delivered_offset >= 2 or chat.api.pending_updates() == 0
    finally:
        await app.updater.stop()
        await app.stop()


def test_update_objects_round_trip(chat):
    raw = chat.api.send_text(chat.user("王芳"), "hello")
    assert Update.de_json(raw, chat.app.bot).effective_user.id == 1001


async def test_stats_in_chat(chat):
    await register_12345(chat)
    await chat.say("李强", "/stats")
    assert "没有此操作的权限" in chat.last_in("李强").text
    await chat.say("王芳", "/stats")
    picker = chat.last_in("王芳")
    assert chat.buttons(picker) == ["本周", "上周", "本月", "上月"]
    await chat.tap("王芳", picker, "本周")
    photo, body = chat.api.in_chat(1001)[-2:]
    assert photo.method == "sendPhoto" and "2026-09-28 至 2026-10-04：共 1 件" in body.text
    await chat.say("陈刚", "/stats 2026-09-01 2026-09-30")
    assert "2026-09-01 至 2026-09-30：共 1 件" in chat.last_in("陈刚").text
    await chat.say("陈刚", "/stats 2026-09-30 2026-09-01")
    assert "用法" in chat.last_in("陈刚").text
