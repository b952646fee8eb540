"""Transcripts of the bureau's own corrections: a pending step keeps its buttons until someone acts on it, a
督办建议 dismissed with a reason, 改派 (from a return request and by the office), 协办, 催办, and the 办理记录."""

from __future__ import annotations

from bot.workflow import (
    Accept,
    ApproveReply,
    EvidenceIn,
    PassReview,
    RecordPlatformReply,
    RequestExtension,
    SaveReply,
    SubmitReply,
)
from storage import queries
from tests.helpers.bot import last_with
from tests.helpers.desk import FULL_REPLY


def buttons_of(chat, where: str, marker: str) -> list[str]:
    """The buttons the latest message of `where` containing `marker` has now."""
    sent = [s for s in chat.api.in_chat(chat.groups[where]["id"] if where in chat.groups else chat.people[where])
            if marker in s.text]
    assert sent, marker
    return chat.buttons(sent[-1])


async def flush(chat) -> None:
    """What the core queued outside a chat goes out."""
    await chat.app.bot_data["deliverer"].flush()


def due_of(desk, ticket_id: int, stage: str) -> str:
    with desk.db.session() as session:
        rows = queries.open_stages(session, ticket_id, [stage])
        return desk.workflow.calc.local(rows[-1].due_at).isoformat() if rows else None


async def test_a_supervision_proposal_outlives_the_report_and_is_dismissed_with_a_reason(chat, desk):
    t = desk.new("962200", external_no="N-DS")
    desk.to_department(t, contact=False)
    desk.accepted_with_reply(t)
    desk.ok("陈刚", ApproveReply(t))
    desk.ok("王芳", PassReview(t))
    desk.ok("王芳", RecordPlatformReply(t))
    await flush(chat)
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    await chat.tap("王芳", chat.last_in("王芳"), "市级回访")
    await chat.tap("王芳", chat.last_in("王芳"), "市级回访·不满意")
    assert buttons_of(chat, "局办公室群", "督办建议") == ["建立督办件", "不予督办"]

    # the department files its report (a chat form): only the report request is settled, not the office's proposal
    await chat.tap("李强", chat.last_in("社会救助科群"), "提交情况报告")
    await chat.say("李强", "市民要求超出政策标准")
    await chat.say("李强", "两次电话解释政策")
    await chat.send_photo("李强")
    await chat.tap("李强", last_with(chat, "李强", "完成"), "完成")
    assert "情况报告已提交" in chat.last_in("李强").text
    assert buttons_of(chat, "局办公室群", "督办建议") == ["建立督办件", "不予督办"]
    assert buttons_of(chat, "社会救助科群", "回访<b>不满意</b>") == []  # what the report did decide

    # /ticket offers the step that waits for the office
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    assert {"建立督办件", "不予督办", "办理记录"} <= set(chat.buttons(chat.last_in("王芳")))

    # dismissed (办法 第十六条: a 正当理由), the reason chosen from the short options
    proposal = [s for s in chat.api.in_chat(-1001) if "督办建议" in s.text][-1]
    await chat.tap("王芳", proposal, "不予督办")
    asked = chat.last_in("王芳")
    assert "不予督办的理由" in asked.text and chat.buttons(asked)[:2] == ["已批准延期", "市民原因无法按时办结"]
    await chat.tap("王芳", asked, "市民原因无法按时办结")
    assert "督办建议（回访仍不满意）不予督办：市民原因无法按时办结（王芳）" in chat.last_in("局办公室群").text
    assert chat.buttons(proposal) == [] and "王芳" in chat.current_text(proposal)
    assert "supervision_create" not in desk.open_stages(t)  # no more morning reminders of it
    dismissed = [e for e in desk.events(t) if e.action == "dismiss_supervision"]
    assert dismissed[0].payload["reason"] == "市民原因无法按时办结"
    await chat.say("王芳", "/todo")
    assert "督办件待建立" not in chat.last_in("王芳").text


async def test_who_may_dismiss_a_proposal_and_a_typed_reason(chat, desk):
    """办法 第十六条: the operator (the office) lists a 督办件, so the department that would be supervised never
    dismisses a proposal, and a leader's instruction (领导批示) is withdrawn by a leader, not by the office."""
    from bot.workflow import DismissSupervision, ProposeSupervision

    t = desk.new("12345", "ordinary", external_no="H-DS")
    desk.to_department(t)
    desk.ok("郑华", ProposeSupervision(t, "请说明进度"))
    for who in ("吴军", "陈刚", "王芳"):  # another department's leader, the department's own, the office
        assert not desk.do(who, DismissSupervision(t, "无")).ok, who
    await flush(chat)
    proposal = chat.last_in("局办公室群")
    await chat.tap("陈刚", proposal, "不予督办")
    assert "权限" in chat.answer()["text"] and chat.buttons(proposal) != []
    await chat.tap("王芳", proposal, "不予督办")
    assert chat.answer()["text"] == "领导批示的督办建议须由领导撤回"
    await chat.tap("孙伟", proposal, "不予督办")
    await chat.say("孙伟", "已批准延期至10月20日")
    assert "不予督办：已批准延期至10月20日（孙伟）" in chat.last_in("局办公室群").text


async def test_an_extension_request_keeps_its_buttons_when_the_reply_is_submitted(chat, desk):
    t = desk.new("12345", "ordinary", external_no="H-EX")
    desk.to_department(t)
    desk.ok("李强", Accept(t))
    desk.ok("李强", RequestExtension(t, 2, "需街道核查"))
    desk.ok("李强", SaveReply(t, {**FULL_REPLY, "contact_time": desk.now()}, (EvidenceIn("photo", "X"),)))
    await flush(chat)
    request = chat.last_in("陈刚")
    assert chat.buttons(request) == ["同意延期", "不同意延期"]
    await chat.say("李强", "/start r1")
    await chat.tap("李强", chat.last_in("李强"), "提交审批")
    assert desk.status(t) == "reply_drafted"
    assert chat.buttons(request) == ["同意延期", "不同意延期"]  # the 延期 is still undecided
    await chat.say("陈刚", "/ticket SJMZ-2026-000001")
    assert {"同意", "同意延期", "不同意延期"} <= set(chat.buttons(chat.last_in("陈刚")))
    await chat.say("陈刚", "/todo")
    assert "延期申请待审批" in chat.last_in("陈刚").text
    await chat.tap("陈刚", request, "同意延期")
    assert chat.buttons(request) == []


async def test_an_emergency_alert_and_a_supervision_card_outlive_acceptance_and_the_reply(chat, desk):
    from bot.workflow import CreateSupervision, MarkEmergency, ProposeSupervision

    t = desk.new("12345", "ordinary", external_no="H-EM")
    desk.to_department(t)
    desk.ok("王芳", MarkEmergency(t))
    desk.ok("郑华", ProposeSupervision(t, "请当日办结"))
    desk.ok("王芳", CreateSupervision(t))
    await flush(chat)
    group = chat.api.in_chat(chat.groups["社会救助科群"]["id"])
    alert = chat.last_in("郑华")
    card = [s for s in group if "<b>督办件</b>" in s.text][-1]
    assert chat.buttons(alert) == ["收到，已知悉"] and chat.buttons(card) == ["答复督办"]
    await chat.tap("李强", [s for s in group if "新工单" in s.text][-1], "受理")  # the status moves
    assert chat.buttons(alert) == ["收到，已知悉"] and chat.buttons(card) == ["答复督办"]
    await chat.say("郑华", "/todo")
    assert "应急提醒待确认" in chat.last_in("郑华").text
    await chat.tap("郑华", alert, "收到，已知悉")
    assert chat.buttons(alert) == [] and chat.buttons(card) == ["答复督办"]
    await chat.say("郑华", "/todo")
    assert "应急提醒待确认" not in chat.last_in("郑华").text


async def test_reassigned_from_a_return_request_keeps_the_deadline(chat, desk):
    t = desk.new("12345", "ordinary", external_no="H-RA")
    desk.to_department(t)
    reply_due, overall_due = due_of(desk, t, "reply"), due_of(desk, t, "overall")
    await flush(chat)
    await chat.tap("李强", chat.last_in("社会救助科群"), "申请退单")
    await chat.say("李强", "属养老服务科职责")
    await chat.send_photo("李强")
    await chat.tap("李强", last_with(chat, "李强", "完成"), "完成")
    request = chat.last_in("陈刚")
    await chat.tap("陈刚", request, "改派其他科室")
    picker = chat.last_in("陈刚")
    assert "改派：请选择科室" in picker.text and "社会救助科" not in chat.buttons(picker)
    await chat.tap("陈刚", picker, "养老服务科")
    card = chat.last_in("养老服务科群")
    assert "（由 社会救助科 改派）" in card.text and chat.buttons(card) == ["受理", "申请退单"]
    assert "已由 陈刚 改派至 <b>养老服务科</b>，本科室不再承办" in chat.last_in("社会救助科群").text
    assert "从 社会救助科 改派至 <b>养老服务科</b>，办结时效不变" in chat.last_in("局办公室群").text
    assert chat.buttons(request) == []  # the leader's request is decided
    # the ticket's deadlines do not restart: the reply and the 办结时效 keep their dates, now the new department's
    assert due_of(desk, t, "reply") == reply_due and due_of(desk, t, "overall") == overall_due
    assert not {"return_decision", "return_path"} & desk.open_stages(t)  # the leader decided; no return to time
    # 受理 afresh, from the 改派 (09-29 Tue 10:00 + 1 working day), never after the ticket's own deadline
    assert due_of(desk, t, "accept") == "2026-09-30T23:59:59+08:00" <= overall_due
    with desk.db.session() as session:
        assert {r.department_id for r in queries.open_stages(session, t) if r.department_id} == {
            desk.departments["yanglao"]}
        assert queries.latest_return(session, t).decision == "reassigned"
    await chat.tap("周丽", card, "受理")
    assert desk.status(t) == "accepted" and desk.ticket(t).handler_id is not None


async def test_office_reassigns_adds_an_assisting_department_and_urges(chat, desk, clock):
    t = desk.new("12345", "ordinary", external_no="H-AS")
    desk.to_department(t, "quhua")
    await flush(chat)
    old_card = chat.last_in("区划地名科群")
    # 改派 by the office
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    await chat.tap("王芳", chat.last_in("王芳"), "改派")
    await chat.tap("王芳", chat.last_in("王芳"), "社会救助科")
    assert chat.buttons(old_card) == [] and "已处理" in chat.current_text(old_card)
    assert "已由 王芳 改派至 <b>社会救助科</b>" in chat.last_in("区划地名科群").text
    lead_card = chat.last_in("社会救助科群")
    assert "（由 区划地名科 改派）" in lead_card.text
    await chat.tap("李强", lead_card, "受理")

    # 协办: the assisting department gets the card without 受理/退单, and adds its part
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    await chat.tap("王芳", chat.last_in("王芳"), "增加协办科室")
    await chat.tap("王芳", chat.last_in("王芳"), "养老服务科")
    assist = chat.last_in("养老服务科群")
    assert "<b>协办</b>" in assist.text and chat.buttons(assist) == ["报送协办意见"]
    assert "已增加协办科室：养老服务科" in chat.last_in("社会救助科群").text
    await chat.say("周丽", "/todo")
    assert "协办待报送" in chat.last_in("周丽").text
    await chat.tap("周丽", assist, "报送协办意见")
    await chat.say("周丽", "其母亲已享受养老服务补贴，每月300元")
    await chat.send_photo("周丽")
    await chat.tap("周丽", last_with(chat, "周丽", "完成"), "完成")
    assert "协办意见已送承办科室" in chat.last_in("周丽").text
    photo, part = chat.api.in_chat(chat.people["李强"])[-2:]  # the evidence first, then the part, in private
    assert photo.method == "sendPhoto"
    assert "协办意见（养老服务科，周丽）：\n其母亲已享受养老服务补贴，每月300元\n证明材料 1 件（见上）" in part.text
    assert "协办意见（养老服务科，周丽）" in chat.last_in("社会救助科群").text
    # the lead's reply is not held up; its approver sees the part is in
    desk.ok("李强", SaveReply(t, {**FULL_REPLY, "contact_time": desk.now()}))
    desk.ok("李强", SubmitReply(t))
    await flush(chat)
    approval = chat.last_in("陈刚")
    assert "答复待审批" in approval.text
    assert "🤝 协办：养老服务科 ✅已报送（证明材料 1 件）：其母亲已享受养老服务补贴，每月300元" in approval.text

    # 催办 by a leader: to the department group and the handler, counted, not twice within the interval
    await chat.say("郑华", "/ticket SJMZ-2026-000001")
    shown = chat.last_in("郑华")
    await chat.tap("郑华", shown, "催办")
    assert "<b>催办</b>：SJMZ-2026-000001（郑华，第 1 次）" in chat.last_in("社会救助科群").text
    assert "第 1 次" in chat.last_in("李强").text
    await chat.tap("郑华", shown, "催办")
    assert "4 小时内不再重复催办" in chat.answer()["text"]
    clock.advance(hours=4, minutes=1)
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    await chat.tap("王芳", chat.last_in("王芳"), "催办")
    assert "（王芳，第 2 次）" in chat.last_in("社会救助科群").text
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    assert "⏰ 已催办 2 次" in chat.last_in("王芳").text
    urges = [e for e in desk.events(t) if e.action == "urge"]
    assert [e.payload["count"] for e in urges] == [1, 2]

    # 办理记录: every step, who and when, what was written; a page at a time
    await chat.tap("王芳", chat.last_in("王芳"), "办理记录")
    history = chat.last_in("王芳")
    assert "🗂 <b>办理记录</b> SJMZ-2026-000001（共 11 步，第 1/2 页）" in history.text
    assert "09-29 10:00 王芳\n　转交 → 区划地名科 · 待受理" in history.text  # when, who, what
    assert "王芳\n　改派 → 社会救助科\n" in history.text
    assert "增加协办 → 养老服务科" in history.text
    assert "周丽\n　报送协办意见\n　“其母亲已享受养老服务补贴，每月300元”" in history.text
    assert chat.buttons(history) == ["下一页 ▶"]
    await chat.tap("王芳", history, "下一页 ▶")
    page = chat.current_text(history)
    assert "第 2/2 页" in page and "郑华\n　催办（第 1 次）" in page and "09-29 14:01 王芳\n　催办（第 2 次）" in page
    assert chat.buttons(history) == ["◀ 上一页"]
    # in the group: who, when and what, but nothing anybody wrote
    await chat.say("李强", "/ticket SJMZ-2026-000001", group="社会救助科群")
    await chat.tap("李强", chat.last_in("社会救助科群"), "办理记录")
    shown = chat.last_in("社会救助科群")
    assert "报送协办意见" in shown.text and "每月300元" not in shown.text and "请私聊查看" in shown.text


async def test_an_overdue_warning_offers_urging_to_the_office_and_the_leader(chat, desk, clock):
    t = desk.new("12345", "ordinary", external_no="H-UW")
    desk.to_department(t)  # 受理 due 09-30 (Wed); 10-01..07 national holidays, 10-08 the next working day
    clock.set("2026-10-08T09:00")
    h = chat.app.bot_data["services"]
    await h.run(h.clock.tick)
    await flush(chat)
    office = [s for s in chat.api.in_chat(chat.groups["局办公室群"]["id"]) if "🔴 <b>已超期</b>" in s.text][-1]
    assert chat.buttons(office) == ["催办"]
    assert "已超期" in chat.last_in("陈刚").text and chat.buttons(chat.last_in("陈刚")) == ["催办"]
    group = [s for s in chat.api.in_chat(chat.groups["社会救助科群"]["id"]) if "已超期" in s.text][-1]
    assert chat.buttons(group) == []  # the department is urged, it does not urge itself
    await chat.tap("王芳", office, "催办")
    assert "<b>催办</b>：SJMZ-2026-000001（王芳，第 1 次）" in chat.last_in("社会救助科群").text
    await chat.tap("陈刚", chat.last_in("陈刚"), "催办")
    assert "不再重复催办" in chat.answer()["text"]
