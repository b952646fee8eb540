"""Transcripts of the problem tickets: a dissatisfied follow-up, a repeat, supervision, collaboration."""

from __future__ import annotations

from bot.workflow import (
    Accept,
    ApproveReply,
    CreateTicket,
    Dispatch,
    EvidenceIn,
    PassReview,
    RecordFirstContact,
    RecordPlatformReply,
    SaveReply,
    SubmitReply,
)
from storage import queries
from tests.helpers.bot import last_with as _last_with
from tests.helpers.clock import local
from tests.helpers.desk import FULL_REPLY
from tests.helpers.org import actor_of as actor


def ticket(chat, db, number: str, channel="962200", kind=None, phone="13500004444", close=False, **kw) -> int:
    h = chat.app.bot_data["services"]
    office, handler, leader = actor(db, 1001), actor(db, 2001), actor(db, 2002)
    outcome = h.workflow.do(office, CreateTicket(channel, number, local("2026-09-29T08:00"), kw.pop("content", "咨询高龄津贴"),
                                        kind, citizen_name="钱七", phone=phone, **kw))
    t = outcome.ticket_id
    if channel != "962200":
        h.workflow.do(office, RecordFirstContact(t, "contacted"))
    with db.session() as session:
        jiuzhu = queries.department_by_code(session, "jiuzhu").id
    assert h.workflow.do(office, Dispatch(t, jiuzhu)).ok
    if close:
        assert h.workflow.do(handler, Accept(t)).ok
        h.workflow.do(handler, SaveReply(t, {**FULL_REPLY, "contact_time": h.clock.now()}, (EvidenceIn("photo", "X"),)))
        assert h.workflow.do(handler, SubmitReply(t)).ok
        assert h.workflow.do(leader, ApproveReply(t)).ok
        assert h.workflow.do(office, PassReview(t)).ok
        assert h.workflow.do(office, RecordPlatformReply(t)).ok
    return t


async def test_dissatisfied_follow_up_to_the_leaders_report(chat, db):
    ticket(chat, db, "N-1", close=True)
    await chat.app.bot_data["deliverer"].flush()
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    detail = chat.last_in("王芳")
    assert chat.buttons(detail)[:2] == ["市级回访", "区级回访"]
    await chat.tap("王芳", detail, "市级回访")
    await chat.tap("王芳", detail, "市级回访·不满意")
    request = chat.last_in("社会救助科群")
    assert "回访<b>不满意</b>" in request.text and chat.buttons(request) == ["提交情况报告"]
    assert "督办建议" in chat.last_in("局办公室群").text  # still unsatisfied after follow-up

    await chat.tap("李强", request, "提交情况报告")
    await chat.say("李强", "市民要求按80周岁标准发放，但其未满80周岁")
    await chat.say("李强", "两次电话解释政策，并请居委上门说明")
    await chat.tap("李强", chat.last_in("李强"), "完成")
    assert "缺少：证明材料" in chat.last_in("李强").text
    await chat.send_photo("李强")
    await chat.tap("李强", _last_with(chat, "李强", "完成"), "完成")
    assert "情况报告已提交" in chat.last_in("李强").text

    signature = chat.last_in("陈刚")
    assert "不满意报告待签字" in signature.text and "未满80周岁" in signature.text
    await chat.tap("陈刚", signature, "签字确认")
    verification = chat.last_in("局办公室群")
    assert "不满意报告待核查" in verification.text
    await chat.tap("王芳", verification, "核查通过")
    await chat.say("王芳", "科室已履职到位")
    await chat.say("王芳", "/problems")
    assert "已将 1 件" in chat.last_in("王芳").text
    for leader in ("孙伟", "郑华"):
        document, summary = chat.api.in_chat(chat.people[leader])[-2:]
        assert document.method == "sendDocument" and summary.text.startswith("📑")
        assert "SJMZ-2026-000001 社会救助科 · 不满意 · 已核查" in summary.text and "科室已履职到位" in summary.text


async def test_repeat_shown_unlinked_and_applied_to_close(chat, db):
    ticket(chat, db, "P-1", channel="petition", content="反映父亲优抚待遇未发放")
    second = ticket(chat, db, "H-1", channel="12345", kind="ordinary", content="再次反映父亲优抚待遇未发放")
    await chat.app.bot_data["deliverer"].flush()
    found = [s for s in chat.api.in_chat(-1001) if "疑似重复件" in s.text]
    assert len(found) == 1 and "SJMZ-2026-000001" in found[0].text
    card = [s for s in chat.api.in_chat(-1002) if "SJMZ-2026-000002" in s.text][0]
    assert "重复件</b>：与 1 件相关" in card.text and "SJMZ-2026-000001" in card.text
    await chat.say("王芳", "/unlink SJMZ-2026-000002 SJMZ-2026-000001")
    assert "已解除关联" in chat.last_in("王芳").text
    await chat.say("王芳", "/link SJMZ-2026-000002 SJMZ-2026-000001")
    assert "已关联" in chat.last_in("王芳").text
    h = chat.app.bot_data["services"]
    assert h.workflow.do(actor(db, 2001), Accept(second)).ok
    await chat.say("王芳", "/ticket SJMZ-2026-000002")
    await chat.tap("王芳", chat.last_in("王芳"), "要求提供不属实材料")
    request = chat.last_in("社会救助科群")
    assert "重复件" in request.text and "申请结单" in request.text
    await chat.tap("李强", request, "提交情况报告")
    await chat.say("李强", "经核查台账，待遇已按时发放，反映不属实")
    await chat.say("李强", "调取发放记录，走访居委")
    await chat.send_photo("李强")
    await chat.tap("李强", _last_with(chat, "李强", "完成"), "完成")
    await chat.tap("陈刚", chat.last_in("陈刚"), "签字确认")
    await chat.tap("王芳", chat.last_in("局办公室群"), "核查通过")
    await chat.say("王芳", "同意申请结单")
    document, application = chat.api.in_chat(-1001)[-2:]
    assert document.result["document"]["file_name"].endswith("申请结单-masked.docx")
    assert "申请结单" in application.text


async def test_supervision_by_a_leader_and_collaboration(chat, db):
    ticket(chat, db, "H-9", channel="12345", kind="ordinary", phone="13700007777")
    await chat.app.bot_data["deliverer"].flush()
    await chat.say("郑华", "/ticket SJMZ-2026-000001")
    await chat.tap("郑华", chat.last_in("郑华"), "督办")
    await chat.say("郑华", "请社会救助科三日内办结并报告")
    proposed = chat.last_in("局办公室群")
    assert "督办建议" in proposed.text and "领导批示，郑华" in proposed.text
    await chat.tap("王芳", proposed, "建立督办件")
    card = chat.last_in("社会救助科群")
    assert "督办件" in card.text and "10月" in card.text
    await chat.tap("李强", card, "答复督办")
    await chat.say("李强", "已办结并电话答复市民")
    assert "督办件已由 李强 答复：已办结并电话答复市民" in chat.last_in("局办公室群").text

    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    await chat.tap("王芳", chat.last_in("王芳"), "协同处理")
    await chat.say("王芳", "区房管局")
    await chat.say("王芳", "电话协调，联系人王科长")
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    await chat.tap("王芳", chat.last_in("王芳"), "回交12345")
    await chat.say("王芳", "属住建部门职责，协调未果")
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    assert "已退单" in chat.last_in("王芳").text


async def test_not_factual_reply_needs_evidence_in_chat(chat, db):
    t = ticket(chat, db, "H-NF", channel="12345", kind="ordinary", phone="13700001234")
    h = chat.app.bot_data["services"]
    handler = actor(db, 2001)
    assert h.workflow.do(handler, Accept(t)).ok
    assert h.workflow.do(handler, SaveReply(t, {**FULL_REPLY, "contact_time": h.clock.now(), "result": "not_true",
                                       "summary": ""})).ok
    await chat.say("李强", "/start r1")
    preview = chat.last_in("李强")
    await chat.tap("李强", preview, "提交审批")
    assert "缺少：开展工作过程及情况（办结汇报）、佐证材料" in chat.last_in("李强").text
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    assert {"标记应急件", "标记重大扬言", "督办"} <= set(chat.buttons(chat.last_in("王芳")))


async def test_visit_planned_from_the_reminder(chat, db, clock):
    clock.moment = local("2026-09-29T08:00")
    ticket(chat, db, "P-MT", channel="petition", phone="13600009999", major_threat=True)
    clock.moment = local("2026-09-29T09:00")
    h = chat.app.bot_data["services"]
    await h.run(h.clock.tick)
    await chat.app.bot_data["deliverer"].flush()
    reminder = [s for s in chat.api.in_chat(-1001) if "上门疏导" in s.text][-1]
    assert chat.buttons(reminder) == ["安排上门", "已上门疏导"]
    await chat.tap("王芳", reminder, "安排上门")
    await chat.say("王芳", "明天 14:00")
    await chat.say("王芳", "王芳、李强")
    assert "已安排上门疏导：9月30日（周三）14:00，王芳、李强" in chat.last_in("社会救助科群").text
    assert chat.buttons(reminder) == []


async def test_todo_lists_the_problem_track_and_supervision(chat, db):
    t = ticket(chat, db, "N-T", close=True)
    h = chat.app.bot_data["services"]
    from bot.workflow import ProposeSupervision, RecordFollowUp

    assert h.workflow.do(actor(db, 1001), RecordFollowUp(t, "city", "dissatisfied")).ok
    await chat.app.bot_data["deliverer"].flush()  # what the follow-up queued goes out before the question
    await chat.say("李强", "/todo")
    assert "情况报告·待科室报告" in chat.last_in("李强").text
    await chat.say("王芳", "/todo")
    assert "督办件待建立" in chat.last_in("王芳").text
    assert not h.workflow.do(actor(db, 4002), ProposeSupervision(t, "再督")).ok  # one supervision at a time
