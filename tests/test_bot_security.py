"""Transcripts of what must be refused: forged, stale and doubled buttons, the wrong people, leaks."""

from __future__ import annotations

from sqlmodel import select

from storage.models import TicketEvent
from tests.helpers.bot import PHONE, register_12345


async def dispatched(chat, department="⭐社会救助科"):
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), department)
    return chat.last_in("社会救助科群")


def events(db, action):
    with db.session() as session:
        return list(session.exec(select(TicketEvent).where(TicketEvent.action == action)))


async def test_double_tap_and_stale_button(chat, db):
    card = await dispatched(chat)
    await chat.press("李强", card, "t:accept:1")
    assert chat.answer()["text"] == "已受理"
    await chat.press("李强", card, "t:accept:1")  # the same button again, from a client that did not refresh
    answer = chat.answer()
    assert answer["show_alert"] is True and "已被处理" in answer["text"]
    assert len(events(db, "accept")) == 1
    assert [e.payload["code"] for e in events(db, "refused")] == ["stale"]


async def test_wrong_department_and_other_line_leaders(chat, db):
    card = await dispatched(chat)
    await chat.tap("周丽", card, "受理")  # a handler of 养老服务科 in the wrong group
    assert chat.answer()["text"] == "此工单不属于您的科室"
    await chat.tap("李强", card, "受理")
    # 吴军 leads 养老服务科; 郑华 is the main leader; 孙伟 leads the petition line: none may approve this reply
    for name, why in (("吴军", "此工单不属于您的科室"), ("郑华", "您没有此操作的权限"), ("孙伟", "您没有此操作的权限")):
        await chat.press(name, card, "t:approve_reply:1")
        assert chat.answer()["text"].startswith(why), (name, chat.answer())
    assert len(events(db, "refused")) == 4


async def test_forged_buttons_are_refused_and_audited(chat, db):
    card = await dispatched(chat)
    for data in ("t:accept:abc", "t:drop:1", "zz:1", "dp:1:x", "fc:1:maybe", "j:x:admin"):
        await chat.press("李强", card, data)
        assert chat.answer()["text"] == "无效的按钮", data
    await chat.press("李强", card, "t:approve_reply:1")  # a real verb the handler has no right to
    assert "没有此操作的权限" in chat.answer()["text"]
    forged = events(db, "forged_button")
    assert {e.payload["data"] for e in forged} >= {"t:accept:abc", "t:drop:1", "zz:1", "dp:1:x", "fc:1:maybe"}


async def test_stranger_cannot_act_and_can_ask_to_join(chat, db):
    card = await dispatched(chat)
    chat.people["陌生人"] = 777
    chat.api.started_private.add(777)
    await chat.press("陌生人", card, "t:accept:1")
    assert "尚未登记" in chat.answer()["text"]
    await chat.say("陌生人", "/start")
    welcome = chat.last_in("陌生人")
    assert chat.buttons(welcome) == ["申请加入"]
    await chat.tap("陌生人", welcome, "申请加入")
    request = chat.last_in("管理员")
    assert "加入申请" in request.text and "陌生人" in request.text
    await chat.tap("管理员", request, "承办人")
    await chat.tap("管理员", request, "养老服务科")
    assert "已批准" in chat.current_text(request)
    assert "已获批准：承办人" in chat.last_in("陌生人").text
    await chat.say("陌生人", "/whoami")
    assert "承办人（养老服务科）" in chat.last_in("陌生人").text
    await chat.tap("陌生人", card, "受理")
    assert chat.answer()["text"] == "此工单不属于您的科室"


async def test_handler_without_a_private_chat_gets_a_link(chat):
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "区划地名科")
    group_card = chat.last_in("区划地名科群")
    await chat.tap("冯涛", group_card, "申请退单")  # 冯涛 never opened a private chat with the bot
    answer = chat.answer()
    assert answer["url"].endswith("?start=go")
    await chat.say("冯涛", "/start go")  # the link opens the private chat and resumes the form
    assert "退单理由" in chat.last_in("冯涛").text


async def test_html_injection_and_masking_in_every_group_message(chat):
    card = await dispatched(chat)
    await chat.tap("李强", card, "受理")
    assert "<b>急</b>" not in card.text
    for text in chat.group_texts():
        assert PHONE not in text and "100弄5号" not in text
    await chat.say("李强", "/ticket SJMZ-2026-000001", group="社会救助科群")
    in_group = chat.last_in("社会救助科群")
    assert "138****5678" in in_group.text and PHONE not in in_group.text
    # commands whose answer is a citizen's details: only in private chat (SPEC §7)
    for command in ("/form SJMZ-2026-000001 1", "/search 低保", "/todo", "/mine"):
        answer = (await chat.say("李强", command, group="社会救助科群"))[-1]
        assert answer.text == "涉及市民信息，请在私聊中查看。" and chat.buttons(answer) == ["打开私聊"], command
    assert not any(s.method == "sendDocument" for s in chat.api.in_chat(-1002))


async def test_full_details_only_to_those_allowed_and_audited(chat, db):
    await dispatched(chat)
    await chat.say("周丽", "/ticket SJMZ-2026-000001")
    assert "找不到该工单" in chat.last_in("周丽").text
    await chat.say("陈刚", "/ticket SJMZ-2026-000001")
    assert PHONE in chat.last_in("陈刚").text
    views = events(db, "view_full")
    assert any(e.actor_id is not None for e in views)


async def test_overflow_is_split_under_the_limit(chat):
    long = "反映情况：" + "低保申请材料多次被退回，" * 410  # about 4900 characters, from an export
    csv = ("渠道,工单号,来电时间,工单类型,联系电话,内容描述\n"
           f"12345,LONG1,2026-09-29 09:00,普通工单,13812345678,{long}\n")
    await chat.send_file("王芳", "long.csv", csv.encode())
    await chat.say("王芳", "/ticket_SJMZ_2026_000001")
    detail = [s for s in chat.api.in_chat(1001) if s.method == "sendMessage"][-2:]
    assert all(len(p.text) <= 4096 for p in detail) and "已联" in chat.buttons(detail[-1])
    await chat.tap("王芳", detail[-1], "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "社会救助科")
    parts = [s for s in chat.api.in_chat(-1002) if s.method == "sendMessage"]
    assert len(parts) >= 2
    assert all(len(p.text) <= 4096 for p in parts)
    assert "".join(p.text for p in parts).count("低保申请材料多次被退回") == 410  # nothing lost at the cuts
    assert chat.buttons(parts[-1]) == ["受理", "申请退单"] and chat.buttons(parts[0]) == []


async def test_what_people_type_is_scrubbed_for_groups_too(chat):
    card = await dispatched(chat)
    await chat.tap("李强", card, "受理")
    await chat.say("李强", "/start r1")
    for how, value in [("tap", "求助类或投诉类办结报告（附件3一）"), ("tap", "刚刚"), ("tap", "电话"), ("tap", "跳过"),
                       ("tap", "跳过"), ("tap", "属实"), ("say", "张三住人民路100弄5号101室，电话13812345678"),
                       ("tap", "跳过"), ("tap", "跳过"), ("say", "《上海市社会救助办法》"), ("say", "已联系张三本人"),
                       ("tap", "完成"), ("tap", "跳过"), ("tap", "实际解决"), ("tap", "接受"), ("tap", "满意"),
                       ("tap", "完成"), ("tap", "提交审批")]:
        if how == "tap":
            await chat.tap("李强", chat.last_in("李强"), value)
        else:
            await chat.say("李强", value)
    await chat.tap("陈刚", chat.last_in("陈刚"), "退回")
    await chat.say("陈刚", "张三（13812345678）的情况请再核实")
    rejected = chat.last_in("社会救助科群")
    assert "138****5678" in rejected.text and "13812345678" not in rejected.text and "张*" in rejected.text
    private = chat.last_in("李强")
    assert "13812345678" in private.text  # the handler's own private chat keeps what was typed


async def test_forged_join_and_bind_presses_are_audited(chat, db):
    chat.people["陌生人"] = 777
    chat.api.started_private.add(777)
    await chat.say("陌生人", "/start")
    await chat.tap("陌生人", chat.last_in("陌生人"), "申请加入")
    request = chat.last_in("管理员")
    for data in ("j:1:handler", "j:1:-"):  # real buttons, pressed by someone who is no admin
        await chat.press("李强", request, data)
        assert "没有此操作的权限" in chat.answer()["text"], data
    for data in ("j:x:admin", "j:1:nobody", "j:1:handler:abc", "j:1:handler:999"):
        await chat.press("管理员", request, data)
        assert chat.answer()["text"] == "无效的按钮", data
    assert "已批准" not in chat.current_text(request)

    chat.api.group(-2001, "新群")
    chat.groups["新群"] = chat.api.chats[-2001]
    await chat.say("管理员", "/bind", group="新群")
    picker = chat.last_in(-2001)
    await chat.press("李强", picker, "b:2")
    assert "只有管理员" in chat.answer()["text"]
    for data in ("b:abc", "b:999"):
        await chat.press("管理员", picker, data)
        assert chat.answer()["text"] == "无效的按钮", data
    await chat.press("陌生人", picker, "b:2")
    assert "尚未登记" in chat.answer()["text"]

    forged = [(e.actor_id is not None, e.payload["data"]) for e in events(db, "forged_button")]
    assert forged == [(True, "j:1:handler"), (True, "j:1:-"), (True, "j:x:admin"), (True, "j:1:nobody"),
                      (True, "j:1:handler:abc"), (True, "j:1:handler:999"), (True, "b:2"), (True, "b:abc"),
                      (True, "b:999"), (False, "b:2")]
    assert events(db, "bind_chat") == [] and events(db, "join_decided") == []


async def test_the_gate_stops_strangers_with_one_sentence(chat, db):
    chat.people["陌生人"] = 777
    chat.api.started_private.add(777)
    for command in ("/todo", "/ticket SJMZ-2026-000001", "/new", "你好"):
        sent = await chat.say("陌生人", command)
        assert [s.text for s in sent] == ["您尚未登记。发送 /start 申请加入。"], command
    sent = await chat.say("陌生人", "/todo", group="社会救助科群")
    assert [s.text for s in sent] == ["您尚未登记。发送 /start 申请加入。"]
    for chatter in ("大家好", "/todo@another_bot"):  # the group's own talk, or another bot's command: silence
        assert await chat.say("陌生人", chatter, group="社会救助科群") == []
    # what strangers may send
    assert "申请加入" in chat.buttons((await chat.say("陌生人", "/start"))[-1])
    assert "/help" in (await chat.say("陌生人", "/help"))[-1].text
    assert "用户ID：777" in (await chat.say("陌生人", "/whoami"))[-1].text
    assert events(db, "search") == [] and events(db, "view_full") == []


async def test_the_actor_is_resolved_once_per_update(chat, monkeypatch):
    services = chat.app.bot_data["services"]
    calls = []
    resolve = services.organisation.actor
    monkeypatch.setattr(services.organisation, "actor", lambda user_id: calls.append(user_id) or resolve(user_id))
    card = await register_12345(chat)
    calls.clear()
    await chat.say("王芳", "/ticket SJMZ-2026-000001")  # one look-up per update, by the gate; none in the handlers
    await chat.tap("王芳", card, "已联")
    await chat.say("王芳", "/todo")
    assert calls == [1001, 1001, 1001]
