"""Transcript: a 12345 ticket from intake to the district hotline office, through every role."""

from __future__ import annotations

from tests.helpers.bot import HOUSE, PHONE, register_12345
from tests.helpers.bot import last_with as _last_with


async def test_12345_whole_path(chat, clock):
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    picker = chat.last_in("王芳")
    assert "请选择承办科室" in picker.text
    assert chat.buttons(picker)[:3] == ["⭐社会救助科", "养老服务科", "区划地名科"]
    await chat.tap("王芳", picker, "⭐社会救助科")
    group_card = chat.last_in("社会救助科群")
    assert "新工单" in group_card.text and "市级催办" in group_card.text
    assert PHONE not in group_card.text and "138****5678" in group_card.text and HOUSE not in group_card.text
    assert "&lt;b&gt;急&lt;/b&gt;" in group_card.text  # the citizen's text is escaped
    assert chat.buttons(group_card) == ["受理", "申请退单"]

    clock.advance(hours=1)
    await chat.tap("李强", group_card, "受理")
    assert "李强" in chat.current_text(group_card) and "受理" in chat.current_text(group_card)
    assert chat.buttons(group_card) == ["填写答复", "申请延期", "申请退单"]

    # the reply form, from the deep link of the card
    await chat.say("李强", "/start r1")
    assert "信访答复（附件2）" not in chat.buttons(chat.last_in("李强"))
    steps = [("tap", "求助类或投诉类办结报告（附件3一）"), ("tap", "刚刚"), ("tap", "电话"), ("say", "岳阳街道"),
             ("tap", "是"), ("tap", "属实"), ("tap", "跳过"), ("tap", "诉求合理"), ("tap", "跳过"),
             ("say", "《上海市社会救助办法》"), ("say", "已说明低保申请条件\n已协调街道上门核查"), ("tap", "完成"),
             ("say", "经核实情况属实，已协调解决"), ("tap", "实际解决"), ("tap", "接受"), ("tap", "满意")]
    for how, value in steps:
        if how == "tap":
            await chat.tap("李强", chat.last_in("李强"), value)
        else:
            await chat.say("李强", value)
    await chat.send_photo("李强")
    assert "已收到照片（共 1 件）" in chat.last_in("李强").text
    await chat.tap("李强", _last_with(chat, "李强", "完成"), "完成")
    preview = chat.last_in("李强")
    assert "求助类或投诉类办结报告" in preview.text and "提交审批" in chat.buttons(preview)
    assert "9月29日11时左右，社会救助科工作人员与来电人张三进行了电话沟通" in preview.text
    await chat.tap("李强", preview, "提交审批")
    assert "已提交业务分管领导审批" in chat.last_in("李强").text

    form1, photo, approval = chat.api.in_chat(chat.people["陈刚"])[-3:]
    assert form1.method == "sendDocument" and photo.method == "sendPhoto"  # 附件1 and the evidence, then the text
    assert "答复待审批" in approval.text and PHONE in approval.text  # the leader sees full details privately
    assert "求助类或投诉类办结报告" in approval.text  # and the reply to approve
    await chat.tap("陈刚", approval, "同意")
    assert "陈刚" in chat.current_text(approval) and chat.buttons(approval) == []
    other_leader = chat.last_in("钱进")
    assert chat.buttons(other_leader) == []  # the second leader's copy is closed too

    review = chat.last_in("局办公室群")
    assert "答复待审核" in review.text and "要素齐全" in review.text
    assert "📎 证明材料 1 件（私聊 /ticket 查看佐证）" in review.text  # the files themselves never go to a group
    assert "来电人张*" in review.text  # the reply, masked for the group
    await chat.tap("赵敏", review, "审核通过")
    form_due = chat.last_in("局办公室群")
    assert "签批表" in form_due.text
    # the office checks and edits 附件4 in private chat before it goes to the leader (规程 二(二)2 「填写审批单」)
    await chat.tap("王芳", form_due, "生成签批表并报审")
    draft_doc, edit = chat.api.in_chat(chat.people["王芳"])[-2:]
    assert draft_doc.result["document"]["file_name"].endswith("附件4-待报审.docx")
    assert "交办意见：请按规程时限办理" in edit.text and "☑实际解决" in edit.text
    assert {"交办意见", "是否解决", "答复市民要点", "确认无误，报审"} <= set(chat.buttons(edit))
    await chat.tap("王芳", edit, "是否解决")
    await chat.tap("王芳", chat.last_in("王芳"), "解释说明")
    await chat.tap("王芳", chat.last_in("王芳"), "交办意见")
    await chat.say("王芳", "请社会救助科督促街道三日内完成审核")
    regenerated, edit = chat.api.in_chat(chat.people["王芳"])[-2:]
    assert regenerated.method == "sendDocument"  # the .docx regenerated with each change
    assert "☐实际解决 ☑解释说明" in edit.text and "交办意见：请社会救助科督促街道三日内完成审核" in edit.text
    assert "已修改：交办意见、是否解决" in edit.text
    await chat.tap("王芳", edit, "确认无误，报审")
    document, photo, signoff = chat.api.in_chat(chat.people["孙伟"])[-3:]
    assert photo.method == "sendPhoto"  # the evidence of the reply, with the form to sign
    assert "附件4" in signoff.text and chat.buttons(signoff) == ["同意", "退回办公室调整", "退回科室重办"]
    assert "局办公室调整了：交办意见、是否解决" in signoff.text and "☑解释说明" in signoff.text
    assert document.method == "sendDocument" and document.result["document"]["file_name"].endswith("附件4.docx")
    # the leader sends it back for format: the office edits again from its last changes, the round is counted
    await chat.tap("孙伟", signoff, "退回办公室调整")
    await chat.say("孙伟", "交办意见请写明时限")
    assert "第1次报审被 孙伟 退回局办公室调整格式：交办意见请写明时限" in chat.group_texts()[-2]
    await chat.tap("王芳", chat.last_in("局办公室群"), "生成签批表并报审")
    edit = chat.last_in("王芳")
    assert "☑解释说明" in edit.text
    await chat.tap("王芳", edit, "交办意见")
    await chat.say("王芳", "请社会救助科于10月9日前督促街道完成审核")
    await chat.tap("王芳", chat.last_in("王芳"), "确认无误，报审")
    signoff = chat.last_in("孙伟")
    assert "（第2次报审）" in signoff.text and "10月9日前" in signoff.text
    await chat.tap("孙伟", signoff, "同意")
    platform = chat.last_in("局办公室群")
    assert "区热线办" in platform.text
    await chat.tap("王芳", platform, "已完成系统答复")
    assert "已办结" in chat.last_in("社会救助科群").text

    for text in chat.group_texts():
        assert PHONE not in text and HOUSE not in text, text


async def test_style_notes_in_the_preview_and_the_review_and_sent_back_for_language(chat):
    """规程 三(二) 「注意语气语调…简明扼要」: noted to the handler before submitting, to the office when reviewing,
    and 语言规范 is a reason the office sends back with one tap."""
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "⭐社会救助科")
    await chat.tap("李强", chat.last_in("社会救助科群"), "受理")
    await chat.say("李强", "/start r1")
    steps = [("tap", "求助类或投诉类办结报告（附件3一）"), ("tap", "刚刚"), ("tap", "电话"), ("say", "岳阳街道"),
             ("tap", "是"), ("tap", "属实"), ("tap", "跳过"), ("tap", "诉求合理"), ("tap", "跳过"),
             ("say", "相关规定"), ("say", "已说明"), ("tap", "完成"), ("say", "已核实"), ("tap", "实际解决"),
             ("tap", "接受"), ("tap", "满意")]
    for how, value in steps:
        if how == "tap":
            await chat.tap("李强", chat.last_in("李强"), value)
        else:
            await chat.say("李强", value)
    await chat.tap("李强", _last_with(chat, "李强", "完成"), "完成")
    preview = chat.last_in("李强")
    assert "✍️ 文字规范提示：处置依据未引用政策文件（如《…》第X条）；只写了“已核实”等套话，请写明核实了什么" in preview.text
    await chat.tap("李强", preview, "提交审批")  # a note, not a refusal
    await chat.tap("陈刚", chat.last_in("陈刚"), "同意")
    review = chat.last_in("局办公室群")
    assert "✍️ 文字规范：处置依据未引用政策文件" in review.text
    assert chat.buttons(review) == ["审核通过", "退回重办", "退回重办（语言规范）"]
    await chat.tap("王芳", review, "退回重办（语言规范）")
    redo = chat.last_in("社会救助科群")
    assert "需<b>重办</b>（第1次）" in redo.text and "1. 语言规范：请按“事实清楚、条理清晰、简明扼要”修改答复" in redo.text
    assert "2. 处置依据未引用政策文件（如《…》第X条）" in redo.text
