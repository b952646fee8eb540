"""Steps of a conversation with the bot that many transcripts share."""

from __future__ import annotations

PHONE, HOUSE = "13812345678", "人民路100弄5号101室"


async def register_12345(chat, kind_label="普通工单", external_no="2026092900123"):
    await chat.say("王芳", "/new")
    await chat.tap("王芳", chat.last_in("王芳"), "12345市民服务热线")
    await chat.tap("王芳", chat.last_in("王芳"), kind_label)
    await chat.tap("王芳", chat.last_in("王芳"), "☐市级催办")
    await chat.tap("王芳", chat.last_in("王芳"), "完成")
    await chat.tap("王芳", chat.last_in("王芳"), "社会救助")
    await chat.say("王芳", external_no)
    await chat.tap("王芳", chat.last_in("王芳"), "刚刚")  # 来电/来访时间
    await chat.tap("王芳", chat.last_in("王芳"), "刚刚")  # 局收到时间
    await chat.tap("王芳", chat.last_in("王芳"), "来电")  # 工单来源
    await chat.say("王芳", "张三")
    await chat.say("王芳", PHONE)
    await chat.say("王芳", "岳阳街道" + HOUSE)
    await chat.say("王芳", "来电反映其母亲低保申请已提交两个月仍无结果<b>急</b>")
    confirm = chat.last_in("王芳")
    assert "内容描述：来电反映其母亲低保申请已提交两个月仍无结果&lt;b&gt;急&lt;/b&gt;" in confirm.text
    assert "来电/来访时间：2026-09-29 10:00" in confirm.text
    await chat.tap("王芳", confirm, "确认登记")
    card = chat.last_in("王芳")
    assert "已登记 SJMZ-2026-000001" in card.text and PHONE in card.text
    return card


def last_with(chat, name, button):
    """The latest private message to `name` that has the button `button`."""
    for sent in reversed(chat.api.in_chat(chat.people[name])):
        if sent.method == "sendMessage" and button in chat.buttons(sent):
            return sent
    raise AssertionError(button)
