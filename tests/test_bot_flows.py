"""Transcripts: a petition pasted in, the 962200 channel from a file, returns both ways, the redo loop."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.bot import last_with as _last_with
from tests.helpers.bot import register_12345

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tickets.csv"
PASTED = """渠道：信访
信访件编号：XF2026-0931
来访时间：2026-09-29 14:30
工单来源：来信
来访人：赵六
联系电话：13600003333
联系地址：中山街道中山中路1号
业务类别：优抚安置
内容描述：来信反映其父亲优抚待遇未按时发放，
要求补发。"""


async def fill_petition_reply(chat, name="李强"):
    """The petition form: no template step, the letter's sections asked for."""
    answers = [("tap", "刚刚"), ("tap", "面谈"), ("tap", "跳过"), ("tap", "无实际现场"), ("tap", "部分属实"),
               ("say", "经查，待遇已于9月发放，10月因信息变更暂缓"), ("tap", "跳过"), ("tap", "跳过"),
               ("say", "其父优抚待遇未按时发放"), ("tap", "跳过"), ("say", "补发待遇"), ("tap", "跳过"),
               ("say", "《军人抚恤优待条例》第二十条"), ("say", "已办理信息变更"), ("tap", "完成"),
               ("tap", "跳过"), ("say", "支持补发10月待遇"), ("say", "松江区人民政府"), ("tap", "实际解决"),
               ("tap", "接受"), ("tap", "认可"), ("tap", "完成")]
    for how, value in answers:
        if how == "tap":
            await chat.tap(name, chat.last_in(name), value)
        else:
            await chat.say(name, value)
    return chat.last_in(name)


async def test_petition_pasted_to_mailed(chat):
    await chat.say("王芳", PASTED)
    confirm = chat.last_in("王芳")
    assert "已识别以下内容" in confirm.text and "赵六" in confirm.text
    await chat.tap("王芳", confirm, "确认登记")
    card = chat.last_in("王芳")
    await chat.tap("王芳", card, "未联·其他")
    assert "请输入未联原因说明" in chat.last_in("王芳").text
    await chat.say("王芳", "来信未留有效电话")
    picker = chat.last_in("王芳")
    assert "请选择承办科室" in picker.text
    await chat.tap("王芳", picker, "社会救助科")
    group_card = chat.last_in("社会救助科群")
    await chat.tap("李强", group_card, "受理")
    notice = chat.last_in("局办公室群")
    assert "受理告知书" in notice.text
    printed = chat.api.in_chat(chat.groups["局办公室群"]["id"])[-2]  # the 受理告知书 to print, masked for the group
    assert printed.method == "sendDocument" and printed.result["document"]["file_name"].endswith("受理告知书-masked.docx")
    await chat.tap("王芳", notice, "已寄出受理告知书")

    await chat.say("李强", "/start r1")
    preview = await fill_petition_reply(chat)
    assert "信访答复" in preview.text and "您反映其父优抚待遇未按时发放。您要求补发待遇。" in preview.text
    assert "向松江区人民政府提出复查申请" in preview.text
    await chat.tap("李强", preview, "提交审批")

    approval = chat.last_in("陈刚")
    await chat.tap("陈刚", approval, "退回")
    assert "请输入意见" in chat.last_in("陈刚").text
    await chat.say("陈刚", "请补充查明情况")
    assert "退回" in chat.current_text(approval) and chat.buttons(approval) == []
    rejected = chat.last_in("李强")
    assert "请补充查明情况" in rejected.text and chat.buttons(rejected) == ["填写答复"]

    await chat.say("李强", "/start r1")  # resumes at the preview: everything was kept
    preview = chat.last_in("李强")
    assert "提交审批" in chat.buttons(preview)
    await chat.tap("李强", preview, "修改")
    await chat.tap("李强", chat.last_in("李强"), "查明的情况")
    await chat.say("李强", "10月待遇因户籍信息变更暂缓发放")
    preview = chat.last_in("李强")
    assert "经查，10月待遇因户籍信息变更暂缓发放" in preview.text
    await chat.tap("李强", preview, "提交审批")
    await chat.tap("钱进", chat.last_in("钱进"), "同意")

    review = chat.last_in("局办公室群")
    await chat.tap("王芳", review, "退回重办")
    await chat.say("王芳", "未写明答复时间\n依据条款不全")
    redo = chat.last_in("社会救助科群")
    assert "重办" in redo.text and "1. 未写明答复时间" in redo.text and "2. 依据条款不全" in redo.text
    await chat.say("李强", "/start r1")
    await chat.tap("李强", chat.last_in("李强"), "提交审批")
    await chat.tap("陈刚", chat.last_in("陈刚"), "同意")
    await chat.tap("王芳", chat.last_in("局办公室群"), "审核通过")
    final = chat.last_in("局办公室群")
    assert "信访答复格式调整" in final.text
    await chat.tap("王芳", final, "提交答复报审")
    edit = chat.last_in("王芳")  # the office adjusts the letter in private chat (规程 二(一)3 「完成格式调整」)
    assert "信访答复" in edit.text and "复查机关" in chat.buttons(edit)
    await chat.tap("王芳", edit, "复查机关")
    await chat.say("王芳", "上海市民政局")
    edit = chat.last_in("王芳")
    assert "向上海市民政局提出复查申请" in edit.text and "已修改：复查机关" in edit.text  # previewed
    await chat.tap("王芳", edit, "确认无误，报审")
    signoff = _last_with(chat, "孙伟", "同意")
    assert "附件2" in signoff.text and "局办公室调整了：复查机关" in signoff.text
    assert "向上海市民政局提出复查申请" in signoff.text
    # the petition-line leader sends it back to the department, not to the office: a counted redo
    await chat.tap("孙伟", signoff, "退回科室重办")
    await chat.say("孙伟", "请核实10月待遇的发放日期")
    redo = chat.last_in("社会救助科群")
    assert "经信访条线分管领导 孙伟 审核需<b>重办</b>（第2次）" in redo.text
    assert "请核实10月待遇的发放日期" in redo.text
    assert "第1次报审被 孙伟 退回承办科室重办" in chat.last_in("局办公室群").text
    await chat.say("李强", "/start r1")
    await chat.tap("李强", chat.last_in("李强"), "提交审批")
    await chat.tap("陈刚", chat.last_in("陈刚"), "同意")
    await chat.tap("王芳", chat.last_in("局办公室群"), "审核通过")
    await chat.tap("王芳", chat.last_in("局办公室群"), "提交答复报审")
    await chat.tap("王芳", chat.last_in("王芳"), "确认无误，报审")
    signoff = _last_with(chat, "孙伟", "同意")
    assert "（第2次报审）" in signoff.text
    await chat.tap("孙伟", signoff, "同意")
    mail = chat.last_in("局办公室群")
    await chat.tap("王芳", mail, "录入上海分系统")  # 规程 二(一)3: a step of its own, with its number
    await chat.say("王芳", "SH-XF-2026-0931")
    mail = chat.last_in("局办公室群")
    assert "已录入上海分系统（编号 SH-XF-2026-0931）" in mail.text
    await chat.tap("王芳", mail, "登记挂号信号码")
    await chat.say("王芳", "XA123456789CN")
    assert "已办结" in chat.last_in("社会救助科群").text
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    detail = chat.last_in("王芳").text
    assert "已办结" in detail and "受理告知书：" in detail and "王芳 邮寄" in detail
    assert "上海分系统编号：SH-XF-2026-0931；挂号信：XA123456789CN\n答复（第3轮）：实际解决" in detail


async def test_962200_from_an_imported_file(chat):
    await chat.send_file("王芳", "tickets.csv", EXAMPLE.read_bytes())
    summary = chat.last_in("王芳")
    assert "导入 5 件，重复 0 件，共 5 行" in summary.text
    await chat.send_file("王芳", "tickets.csv", EXAMPLE.read_bytes())
    assert "导入 0 件，重复 5 件" in chat.last_in("王芳").text
    await chat.say("王芳", "/todo")
    todo = chat.last_in("王芳")
    assert "/ticket_SJMZ_2026_000005" in todo.text
    await chat.say("王芳", "/ticket_SJMZ_2026_000005")
    picker = chat.last_in("王芳")
    assert "962200" in picker.text and "⭐养老服务科" in chat.buttons(picker)
    await chat.tap("王芳", picker, "⭐养老服务科")
    card = chat.last_in("养老服务科群")
    await chat.tap("周丽", card, "受理")
    await chat.say("周丽", "/start r5")
    for how, value in [("tap", "咨询类或意见建议类办结报告（附件3二）"), ("say", "今天 9:30"), ("tap", "电话"),
                       ("say", "永丰街道"), ("tap", "跳过"), ("tap", "有政策信息"), ("say", "年满80周岁可申请"),
                       ("tap", "诉求合理"), ("tap", "跳过"), ("say", "《上海市老年人综合津贴办法》"),
                       ("say", "已告知申请条件与材料"), ("tap", "完成"), ("tap", "跳过"), ("tap", "解释说明"),
                       ("tap", "接受"), ("tap", "满意"), ("tap", "完成")]:
        if how == "tap":
            await chat.tap("周丽", chat.last_in("周丽"), value)
        else:
            await chat.say("周丽", value)
    preview = chat.last_in("周丽")
    assert "咨询类或意见建议类办结报告" in preview.text
    await chat.tap("周丽", preview, "提交审批")
    await chat.tap("吴军", chat.last_in("吴军"), "同意")
    await chat.tap("赵敏", chat.last_in("局办公室群"), "审核通过")
    platform = chat.last_in("局办公室群")
    assert "962200平台" in platform.text
    await chat.tap("赵敏", platform, "已完成系统答复")
    assert "已办结" in chat.last_in("养老服务科群").text


async def test_department_asks_to_return_and_the_office_returns_it(chat):
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "⭐社会救助科")
    group_card = chat.last_in("社会救助科群")
    await chat.tap("李强", group_card, "申请退单")
    assert chat.answer()["text"] == "请在私聊中继续"
    await chat.say("李强", "属法院已受理的诉讼事项，依法不予受理")
    await chat.tap("李强", chat.last_in("李强"), "完成")
    assert "缺少：退单证明材料" in chat.last_in("李强").text
    chat.api.send_voice(chat.user("李强"))
    await chat.deliver()
    assert "已收到录音（共 1 件）" in chat.last_in("李强").text
    await chat.send_photo("李强")
    await chat.tap("李强", _last_with(chat, "李强", "完成"), "完成")
    assert "退单申请已提交" in chat.last_in("李强").text
    request = chat.last_in("陈刚")
    assert "退单申请待审批" in request.text
    await chat.tap("陈刚", request, "同意退单")
    office = chat.last_in("局办公室群")
    assert "请按原渠道退回" in office.text
    # what the office returns it with (规程 三(一) 「说明理由并提交相关证明」); the files only in private chat
    assert "退单理由：属法院已受理的诉讼事项，依法不予受理\n证明材料 2 件（私聊 /ticket 查看佐证）" in office.text
    await chat.tap("王芳", office, "已按原渠道退回")
    assert "已按原渠道退回" in chat.last_in("社会救助科群").text


async def test_office_returns_at_intake(chat):
    card = await register_12345(chat)
    await chat.tap("王芳", card, "退单")
    await chat.say("王芳", "属区房管局职责")
    assert "归属单位" in chat.last_in("王芳").text
    await chat.say("王芳", "区房管局")
    assert "已退单" in chat.last_in("王芳").text
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    detail = chat.last_in("王芳")
    assert "退单待办理" in detail.text
    await chat.tap("王芳", detail, "已按原渠道退回")
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    assert "已退单" in chat.last_in("王芳").text


async def test_leader_refuses_the_return(chat):
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "⭐社会救助科")
    await chat.tap("李强", chat.last_in("社会救助科群"), "申请退单")
    await chat.say("李强", "不属本科")
    await chat.send_photo("李强")
    await chat.tap("李强", _last_with(chat, "李强", "完成"), "完成")
    await chat.tap("陈刚", chat.last_in("陈刚"), "不同意退单")
    await chat.say("陈刚", "属本科职责，请办理")
    told = chat.last_in("社会救助科群")
    assert "未获同意" in told.text and "属本科职责" in told.text and chat.buttons(told) == ["填写答复"]


def _office_with(chat, button):
    """The latest message in the office group with this button."""
    return next(sent for sent in reversed(chat.api.in_chat(-1001))
                if sent.method == "sendMessage" and button in chat.buttons(sent))


async def test_extension_through_the_chat(chat):
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "⭐社会救助科")
    group_card = chat.last_in("社会救助科群")
    await chat.tap("李强", group_card, "受理")
    await chat.tap("李强", group_card, "申请延期")
    assert "延期天数" in chat.last_in("李强").text
    await chat.say("李强", "3")
    assert "延期理由" in chat.last_in("李强").text
    await chat.say("李强", "需街道配合入户核查")
    assert chat.buttons(group_card) == ["填写答复", "申请延期", "申请退单"]  # the card still serves the handler
    request = chat.last_in("陈刚")
    assert "延期申请" in request.text and "10月13日（周二） → 10月16日（周五）" in request.text
    # the 12345 办结时效 is 10-14: the bureau cannot go past it (SPEC §9.2), and the leader is told before deciding
    assert "超出12345办结时效，需向区热线办申请延期" in request.text
    await chat.tap("陈刚", request, "同意延期")
    decided = chat.last_in("社会救助科群")
    assert "答复期限改为 10月14日（周三）" in decided.text and "需向区热线办申请延期" in decided.text
    assert chat.buttons(chat.last_in("钱进")) == []  # the other leader's copy was closed

    # the office applies to the district hotline office and records its answer
    needed = _office_with(chat, "已向区热线办申请延期")
    assert "12345办结时效：10月14日（周三）" in needed.text
    await chat.tap("王芳", needed, "已向区热线办申请延期")
    applied = _office_with(chat, "区热线办同意延期")
    await chat.tap("王芳", applied, "区热线办同意延期")
    assert "区热线办批准的办结时效" in chat.last_in("王芳").text
    await chat.say("王芳", "10月16日")
    granted = chat.last_in("社会救助科群")
    assert "区热线办同意延期：办结时效改为 10月16日（周五），答复期限 10月16日（周五）" in granted.text


async def test_emergency_alert_acknowledged_in_chat(chat):
    await chat.say("王芳", "/new")
    for value in ("962200社区服务热线", "跳过", "☐应急件", "完成", "跳过"):
        await chat.tap("王芳", chat.last_in("王芳"), value)
    for value in ("962200-EMG-1",):
        await chat.say("王芳", value)
    await chat.tap("王芳", chat.last_in("王芳"), "跳过")  # 来电/来访时间: as received
    await chat.tap("王芳", chat.last_in("王芳"), "刚刚")
    await chat.tap("王芳", chat.last_in("王芳"), "来电")  # 工单来源
    for value in ("跳过", "跳过", "跳过"):
        await chat.tap("王芳", chat.last_in("王芳"), value)
    await chat.say("王芳", "永丰街道某小区燃气泄漏，多名老人被困")
    await chat.tap("王芳", chat.last_in("王芳"), "确认登记")
    alert = chat.last_in("郑华")
    assert "紧急" in alert.text and chat.buttons(alert) == ["收到，已知悉"]
    office_alert = chat.last_in("局办公室群")
    assert "紧急" in office_alert.text
    await chat.tap("郑华", alert, "收到，已知悉")
    assert "郑华" in chat.current_text(alert) and chat.buttons(alert) == []
    assert chat.buttons(chat.last_in("孙伟")) == []  # every other copy closed
    assert "已由 郑华 确认" in chat.last_in("局办公室群").text


async def test_a_tagged_ticket_gets_its_tag_from_a_button(chat, db):
    await chat.say("王芳", "/new")
    await chat.tap("王芳", chat.last_in("王芳"), "12345市民服务热线")
    await chat.tap("王芳", chat.last_in("王芳"), "标签工单")
    tags = chat.last_in("王芳")
    assert "工单标签" in tags.text and chat.buttons(tags)[:2] == ["中国政府网民留言", "一网通办找茬"]
    await chat.tap("王芳", tags, "一网通办找茬")
    for value in ("完成", "跳过"):
        await chat.tap("王芳", chat.last_in("王芳"), value)
    await chat.say("王芳", "2026092900999")
    await chat.tap("王芳", chat.last_in("王芳"), "跳过")  # 来电/来访时间: as received
    await chat.tap("王芳", chat.last_in("王芳"), "刚刚")
    await chat.tap("王芳", chat.last_in("王芳"), "来电")  # 工单来源
    for value in ("跳过", "跳过", "跳过"):
        await chat.tap("王芳", chat.last_in("王芳"), value)
    await chat.say("王芳", "一网通办找茬：婚姻登记预约页面打不开")
    confirm = chat.last_in("王芳")
    assert "工单标签：一网通办找茬" in confirm.text
    await chat.tap("王芳", confirm, "确认登记")
    from storage import queries

    with db.session() as session:
        ticket = queries.ticket_by_external(session, "12345", "2026092900999")
        assert ticket.kind == "tagged" and ticket.tags == ["一网通办找茬"]


async def test_the_acceptance_notice_waits_with_its_buttons_until_recorded(chat, desk):
    """规程 二(一)1: the 受理告知书 runs beside the reply; its buttons stay while the reply moves on, /todo lists it,
    and at the mailing /ticket offers it first, then 录入上海分系统, then the registered letter (规程 二(一)3)."""
    from bot.workflow import ApproveReply, ApproveSignoff, PassReview, SubmitFinalReply

    t = desk.new("petition", external_no="P-N")
    desk.to_department(t)
    desk.accepted_with_reply(t)  # accepted, then the reply submitted: the status moved twice
    await chat.app.bot_data["deliverer"].flush()
    notice = next(m for m in chat.api.in_chat(chat.groups["局办公室群"]["id"]) if "前寄出受理告知书" in m.text)
    assert chat.buttons(notice) == ["已寄出受理告知书", "已当面送达受理告知书"]
    await chat.say("王芳", "/todo")
    assert "受理告知书待寄出" in chat.last_in("王芳").text
    desk.ok("陈刚", ApproveReply(t))
    desk.ok("王芳", PassReview(t))
    desk.ok("王芳", SubmitFinalReply(t))
    desk.ok("孙伟", ApproveSignoff(t))
    await chat.app.bot_data["deliverer"].flush()
    assert chat.buttons(notice) == ["已寄出受理告知书", "已当面送达受理告知书"]
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    shown = chat.last_in("王芳")
    assert chat.buttons(shown)[:2] == ["已寄出受理告知书", "已当面送达受理告知书"]
    await chat.tap("王芳", shown, "已当面送达受理告知书")
    assert chat.buttons(notice) == []
    await chat.say("王芳", "/todo")
    assert "受理告知书待寄出" not in chat.last_in("王芳").text
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    shown = chat.last_in("王芳")
    assert chat.buttons(shown)[0] == "录入上海分系统" and "登记挂号信号码" not in chat.buttons(shown)
    await chat.tap("王芳", shown, "录入上海分系统")
    await chat.say("王芳", "SH-XF-0001")
    await chat.say("王芳", "/ticket SJMZ-2026-000001")
    shown = chat.last_in("王芳")
    assert chat.buttons(shown)[0] == "登记挂号信号码" and "录入上海分系统" not in chat.buttons(shown)
    await chat.tap("王芳", shown, "登记挂号信号码")
    await chat.say("王芳", "XA000000001CN")
    assert desk.status(t) == "closed"


async def test_a_petition_taken_over_after_its_notice_does_not_ask_for_it_again(chat, desk):
    from bot.workflow import Accept, Reassign, SendAcceptanceNotice

    t = desk.new("petition", external_no="P-R")
    desk.to_department(t)
    desk.ok("李强", Accept(t))
    desk.ok("王芳", SendAcceptanceNotice(t))
    desk.ok("王芳", Reassign(t, desk.departments["yanglao"]))
    desk.ok("周丽", Accept(t))
    assert "acceptance_notice" not in desk.open_stages(t)  # no overdue warning of a notice already sent
    await chat.app.bot_data["deliverer"].flush()
    again = [m for m in chat.api.in_chat(chat.groups["局办公室群"]["id"]) if "已由 周丽 受理" in m.text][-1]
    assert "受理告知书" not in again.text and chat.buttons(again) == []
