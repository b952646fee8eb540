"""Transcripts: every approval and review carries what is decided on — the comments of earlier rounds, the fact
finding and the result in words, and the evidence itself (规程 三(二), 三(三)2)."""

from __future__ import annotations

from bot.workflow import ApproveReply, PassReview, SubmitFinalReply
from storage import queries
from tests.helpers.bot import last_with, register_12345
from tests.helpers.desk import PETITION_LETTER

PHONE = "13812345678"  # the caller's (tests/helpers/desk.py), quoted by the office in its 重办 reasons


async def flush(chat) -> None:
    await chat.app.bot_data["deliverer"].flush()


async def resubmit(chat, handler: str = "李强", number: int = 1) -> None:
    await chat.say(handler, f"/start r{number}")  # the form resumes at its preview
    await chat.tap(handler, chat.last_in(handler), "提交审批")


async def test_every_approval_and_review_says_who_sent_the_reply_back_before_and_why(chat, desk):
    t = desk.new("12345", "ordinary", external_no="E-ROUNDS")
    desk.to_department(t)
    desk.accepted_with_reply(t)
    await flush(chat)
    first = last_with(chat, "陈刚", "退回")
    assert "前几轮意见" not in first.text  # the first round has none
    await chat.tap("陈刚", first, "退回")
    await chat.say("陈刚", "请补充查明情况")

    # the business leader sees their own 退回 when the reply comes back
    await resubmit(chat)
    again = last_with(chat, "陈刚", "同意")
    assert "🔁 前几轮意见：\n第1轮 陈刚 退回：请补充查明情况\n" in again.text
    await chat.tap("陈刚", again, "同意")
    review = chat.last_in("局办公室群")
    assert "第1轮 陈刚 退回：请补充查明情况" in review.text
    await chat.tap("王芳", review, "退回重办")
    await chat.say("王芳", f"未写明答复时间\n依据条款不全，请再电话{PHONE}核实")

    # the office's 重办 reasons, numbered, in the office's name; in its group without the caller's phone
    await resubmit(chat)
    to_leader = last_with(chat, "陈刚", "同意")
    rounds = ("🔁 前几轮意见：\n第1轮 陈刚 退回：请补充查明情况\n"
              "第1轮 局办公室 重办：1. 未写明答复时间 2. 依据条款不全，请再电话{}核实\n")
    assert rounds.format(PHONE) in to_leader.text
    await chat.tap("陈刚", to_leader, "同意")
    review = chat.last_in("局办公室群")
    assert rounds.format("138****5678") in review.text and PHONE not in review.text
    await chat.tap("王芳", review, "审核通过")
    await chat.tap("王芳", chat.last_in("局办公室群"), "生成签批表并报审")
    await chat.tap("王芳", chat.last_in("王芳"), "确认无误，报审")

    # the petition-line leader reads them all before signing; sends it back to the department in turn
    signoff = last_with(chat, "孙伟", "同意")
    assert rounds.format(PHONE) in signoff.text
    await chat.tap("孙伟", signoff, "退回科室重办")
    await chat.say("孙伟", "请核实10月待遇的发放日期")
    await resubmit(chat)
    third = last_with(chat, "陈刚", "同意")
    assert rounds.format(PHONE) + "第2轮 孙伟 退回承办科室重办：请核实10月待遇的发放日期\n" in third.text
    # each message keeps what was said before it: the first one's text, edited when decided, has no rounds
    assert "前几轮意见" not in chat.current_text(first)


async def test_a_long_history_is_cut_for_a_phone(chat, desk):
    """The latest four send-backs, each to 60 characters; the earlier ones are counted, and kept in 办理记录."""
    t = desk.new("12345", "ordinary", external_no="E-LONG")
    desk.to_department(t)
    desk.accepted_with_reply(t)
    await flush(chat)
    for n in range(1, 6):
        await chat.tap("陈刚", last_with(chat, "陈刚", "退回"), "退回")
        await chat.say("陈刚", f"第{n}次意见：" + "请补充" * 30)
        await resubmit(chat)
    text = last_with(chat, "陈刚", "同意").text
    assert "🔁 前几轮意见（更早 1 条见办理记录）：\n" in text
    assert "第1次意见" not in text and "第2次意见" in text and "第5次意见" in text
    line = next(line for line in text.splitlines() if "第5次意见" in line)
    assert line.startswith("第1轮 陈刚 退回：") and len(line.split("：", 1)[1]) == 60 and line.endswith("…")


async def test_the_leaders_read_the_fact_finding_and_the_result_in_words(chat, desk):
    """附件2 and 附件3 put them into sentences, only the .docx ticks them: the business leader and the
    petition-line leader get them as short lines."""
    h = desk.new("12345", "ordinary", external_no="E-WORDS")
    desk.to_department(h)
    desk.accepted_with_reply(h, fact_finding="partly_true", demand_assessment="other", result="other",
                             result_other="已协调街道上门核查", satisfaction="acknowledged")
    await flush(chat)
    approval = last_with(chat, "陈刚", "同意")
    assert ("事实认定：部分属实　诉求认定：其他\n处理结果：已协调街道上门核查　市民满意度：认可"
            in approval.text)

    p = desk.new("petition", external_no="P-WORDS")
    desk.to_department(p)
    desk.accepted_with_reply(p, letter=PETITION_LETTER)
    desk.ok("陈刚", ApproveReply(p))
    desk.ok("王芳", PassReview(p))
    desk.ok("王芳", SubmitFinalReply(p))
    await flush(chat)
    signoff = last_with(chat, "孙伟", "同意")
    assert "附件2" in signoff.text
    assert "事实认定：属实　诉求认定：诉求合理\n处理结果：实际解决　市民满意度：满意" in signoff.text


PHOTO = b"\x89PNG\r\n\x1a\n" + b"the court's notice, photographed" * 40
LETTER = b"%PDF-1.4 the court's letter of acceptance"


async def test_the_leader_gets_the_bureaus_copy_of_evidence_telegram_no_longer_has(chat, db):
    """规程 三(一) 「提交相关证明」: the business leader decides on the proof itself. The handler's photo and letter
    are kept by the bureau when they arrive; Telegram loses both before the request goes out (a deleted chat, an
    expired id): the leader gets them from the bureau's store, as 查看佐证 would send them."""
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "⭐社会救助科")
    await chat.tap("李强", chat.last_in("社会救助科群"), "申请退单")
    await chat.say("李强", "属法院已受理的诉讼事项，依法不予受理")
    photo = chat.api.send_photo(chat.user("李强"), data=PHOTO)["message"]["photo"][-1]["file_id"]
    letter = chat.api.send_document(chat.user("李强"), "受理通知书.pdf", LETTER,
                                    mime_type="application/pdf")["message"]["document"]["file_id"]
    await chat.deliver()
    assert "已收到文件（共 2 件）" in chat.last_in("李强").text
    chat.api.forget_file(photo)
    chat.api.forget_file(letter)
    await chat.tap("李强", last_with(chat, "李强", "完成"), "完成")
    with db.session() as session:
        assert [a.file_id for a in queries.attachments_of(session, 1) if a.stored_path] == [photo, letter]

    to_leader = chat.api.in_chat(chat.people["陈刚"])[-3:]
    assert [m.method for m in to_leader] == ["sendPhoto", "sendDocument", "sendMessage"]
    assert all(m.error is None for m in to_leader)
    photo, letter = to_leader[0].result["photo"][-1], to_leader[1].result["document"]
    assert chat.api.files[photo["file_id"]][1] == PHOTO and chat.api.files[letter["file_id"]][1] == LETTER
    assert letter["file_name"] == "受理通知书.pdf"
    assert "证明材料 2 件（见上）" in to_leader[-1].text
    assert chat.buttons(to_leader[-1]) == ["同意退单", "不同意退单", "改派其他科室"]
