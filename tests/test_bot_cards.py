"""Transcript: what a group card and a toast say after each decision."""

from __future__ import annotations

from bot.workflow import Accept, ApproveReply
from templates import labels, text
from tests.helpers.bot import last_with, register_12345
from tests.helpers.desk import FULL_REPLY


async def test_the_card_keeps_who_accepted_after_later_decisions(chat):
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "⭐社会救助科")
    group_card = chat.last_in("社会救助科群")
    assert group_card.text.startswith("📥 <b>新工单</b>")
    await chat.tap("李强", group_card, "受理")
    assert chat.answer()["text"] == "已受理"
    accepted = chat.current_text(group_card)
    assert "新工单" not in accepted and "李强 已受理" in accepted and "—— 李强" in accepted
    # the handler asks to return it: the card's buttons close, and it still says who accepted
    await chat.tap("李强", group_card, "申请退单")
    await chat.say("李强", "属法院已受理的诉讼事项")
    await chat.send_photo("李强")
    await chat.tap("李强", last_with(chat, "李强", "完成"), "完成")
    closed = chat.current_text(group_card)
    assert "新工单" not in closed and "李强 已受理" in closed and "已处理（退单待审批）" in closed
    assert chat.buttons(group_card) == []


def test_no_toast_doubles_its_already():
    for action, name in labels("action").items():
        toast = text("done_alert", action=name)
        assert "已已" not in toast, action


async def test_the_office_answers_a_12345_ticket_at_once_and_the_leader_sees_what_to_decide(chat):
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    picker = chat.last_in("王芳")
    assert chat.buttons(picker)[-2:] == ["退单", "即时答复报审"]  # 12345: reviewed first (规程 二(二)2)
    await chat.tap("王芳", picker, "即时答复报审")
    await chat.say("王芳", "低保审批一般需要一个月，已告知市民办理进度查询方式。")
    request = chat.last_in("孙伟")
    assert chat.buttons(request) == ["同意", "退回"]
    await chat.say("孙伟", "/ticket SJMZ-2026-000001")
    shown = chat.last_in("孙伟").params["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for b in shown[0]] == ["t:approve_immediate_answer:1", "t:reject_immediate_answer:1"]
    await chat.tap("孙伟", request, "同意")
    assert chat.answer()["text"] == "已同意即时答复"


async def test_the_leader_sees_the_reason_and_the_evidence_of_a_return(chat):
    """规程 三(一): the business leader 签字确认 the reason and the proof — both reach the leader, in private only."""
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "⭐社会救助科")
    await chat.tap("李强", chat.last_in("社会救助科群"), "申请退单")
    await chat.say("李强", "属法院已受理的诉讼事项，依法不予受理")
    chat.api.send_voice(chat.user("李强"))
    await chat.deliver()
    await chat.send_photo("李强")
    await chat.tap("李强", last_with(chat, "李强", "完成"), "完成")
    to_leader = chat.api.in_chat(chat.people["陈刚"])[-3:]
    assert [m.method for m in to_leader] == ["sendVoice", "sendPhoto", "sendMessage"]
    assert "理由：属法院已受理的诉讼事项，依法不予受理" in to_leader[-1].text
    assert "证明材料 2 件（见上）" in to_leader[-1].text
    assert chat.buttons(to_leader[-1]) == ["同意退单", "不同意退单", "改派其他科室"]
    group = chat.api.in_chat(chat.groups["社会救助科群"]["id"])
    assert not [m for m in group if m.method in ("sendVoice", "sendPhoto")]  # evidence never goes to a group


async def test_evidence_telegram_no_longer_has_does_not_hold_up_the_decision(chat, desk):
    from bot.workflow import AskReturn, EvidenceIn

    t = desk.new("12345", "ordinary", external_no="E-1")
    desk.to_department(t)
    desk.ok("李强", AskReturn(t, "不属本科", evidence=(EvidenceIn("photo", "gone-file-id"),)))
    await chat.app.bot_data["deliverer"].flush()
    request = chat.last_in("陈刚")
    assert "理由：不属本科" in request.text and chat.buttons(request) == ["同意退单", "不同意退单", "改派其他科室"]


async def test_the_evidence_follows_a_redone_reply_to_both_leaders(chat, desk):
    """The business leader approving a redone reply (规程 三(二) 重办) and the petition-line leader signing off
    (规程 二(二)2) get the reply's evidence with what they decide on, in private chat."""
    from bot.workflow import EvidenceIn, FailReview, PassReview, SaveReply, SubmitApprovalForm, SubmitReply

    t = desk.new("12345", "ordinary", external_no="E-2")
    desk.to_department(t)
    desk.ok("李强", Accept(t))
    photo = chat.api._store_file("photo.jpg", b"\x89PNG")  # as Telegram keeps a photo the handler sent
    desk.ok("李强", SaveReply(t, {**FULL_REPLY, "contact_time": desk.now()}, (EvidenceIn("photo", photo),)))
    desk.ok("李强", SubmitReply(t))
    desk.ok("陈刚", ApproveReply(t))
    desk.ok("王芳", FailReview(t, ("未写明答复时间",)))  # the redo starts from a copy of the reply
    desk.ok("李强", SubmitReply(t))
    await chat.app.bot_data["deliverer"].flush()
    to_leader = chat.api.in_chat(chat.people["陈刚"])[-3:]
    assert [m.method for m in to_leader] == ["sendDocument", "sendPhoto", "sendMessage"]
    assert "答复待审批" in to_leader[-1].text
    desk.ok("陈刚", ApproveReply(t))
    desk.ok("王芳", PassReview(t))
    desk.ok("王芳", SubmitApprovalForm(t))
    await chat.app.bot_data["deliverer"].flush()
    to_signoff = chat.api.in_chat(chat.people["孙伟"])[-3:]
    assert [m.method for m in to_signoff] == ["sendDocument", "sendPhoto", "sendMessage"]
    assert "附件4" in to_signoff[-1].text
    assert not [m for m in chat.api.in_chat(chat.groups["局办公室群"]["id"]) if m.method == "sendPhoto"]
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    assert "答复（第2轮）：实际解决\n📎 佐证材料（1）：\n· 照片1（未存档）" in chat.last_in("王芳").text
