"""The bureau's forms (附件1-4, 申请结单), checked from the .docx itself: A4 and GB/T 9704 margins,
East Asian fonts, the seed's table with its merged cells, nothing left to fill, and the chat text
read back from the same template."""

from __future__ import annotations

import shutil
from importlib import resources

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm

from bot.forms import (
    FORMS,
    document_lines,
    form_data,
    form_problems,
    render_docx,
    render_text,
    style_notes,
    with_edits,
)
from bot.workflow import (
    Accept,
    ApproveReply,
    ApproveSignoff,
    EvidenceIn,
    PassReview,
    SaveReply,
    SubmitApprovalForm,
)
from storage import queries
from tests.helpers.desk import Desk

PHOTO = EvidenceIn(kind="photo", file_id="AgACAgUAAxkBAAIB", file_unique_id="AQADx")
PETITION_LETTER = {"facts": "其父优抚待遇未按时发放", "requests": "补发待遇", "judgement": "支持补发10月待遇",
                   "review_body": "松江区人民政府"}


def data_of(desk, t, private=True):
    with desk.db.session() as session:
        return form_data(session, queries.ticket(session, t), desk.workflow.calc, private, desk.now())


def closed_12345(desk, **reply):
    t = desk.new("12345", "ordinary", external_no="2026092900123", source="市民热线")
    desk.to_department(t)
    desk.accepted_with_reply(t, **reply)
    desk.ok("陈刚", ApproveReply(t))
    desk.ok("王芳", PassReview(t))
    desk.ok("王芳", SubmitApprovalForm(t))
    desk.ok("孙伟", ApproveSignoff(t, comment="同意办结"))
    return t


def replied(desk, channel, **reply):
    t = desk.new(channel, "ordinary" if channel == "12345" else None)
    desk.to_department(t)
    desk.accepted_with_reply(t, **reply)
    desk.ok("陈刚", ApproveReply(t))
    return t


def assert_print_ready(path):
    document = Document(path)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4, not US Letter
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                  section.right_margin)] == [37, 35, 28, 26]  # GB/T 9704 5.2.1
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) in ("宋体", "仿宋_GB2312")
    for table in document.tables:  # fixed widths that fit the 156 mm text block
        assert sum(col.width for col in table.columns) <= Mm(156) + Mm(1)
    return document


@pytest.mark.parametrize("channel", ["12345", "962200", "petition"])
@pytest.mark.parametrize("result", ["solved", "explained", "filed", "other"])
def test_every_form_every_channel_and_result_is_print_ready(db, workflow, org, tmp_path, channel, result):
    desk = Desk(db, workflow, org)
    t = replied(desk, channel, result=result, result_other="转交街道" if result == "other" else None,
                letter=PETITION_LETTER, basis="《军人抚恤优待条例》第二十条")
    data = data_of(desk, t)
    for number in FORMS:
        assert_print_ready(render_docx(number, data, tmp_path / f"{number}.docx"))
        lines = document_lines(number, data)
        text = "\n".join(lines)
        assert "{{" not in text and "{%" not in text
        if number in (1, 2, 3):  # what the department filled in leaves nothing to fill
            assert [p for p in form_problems(number, data, lines) if not p.startswith("field:")] == []
        if number == 1:
            assert "☑" + {"solved": "实际解决", "explained": "解释说明", "filed": "参考备案",
                          "too_high": "诉求过高", "other": "其他"}[result] in text
            if result == "other":
                assert "☑其他（转交街道）" in text


def test_form4_keeps_the_seed_table_and_its_side_headers(db, workflow, org, tmp_path):
    desk = Desk(db, workflow, org)
    t = closed_12345(desk)
    data = data_of(desk, t)
    document = assert_print_ready(render_docx(4, data, tmp_path / "form4.docx"))
    table = document.tables[0]
    assert len(table.rows) == 21 and len(table.columns) == 5
    # 派单 spans two rows, 处置 twelve, 结案 one (规程 附件4)
    merged = [tc for row in table._tbl.tr_lst for tc in row.tc_lst if tc.vMerge is not None]
    assert sum(1 for tc in merged if tc.vMerge == "restart") == 2
    assert sum(1 for tc in merged if tc.vMerge == "continue") == 1 + 11
    assert table.cell(6, 0).text == "派\n单" and table.cell(8, 0).text == "处\n置" and table.cell(20, 0).text == "结\n案"
    assert table.cell(0, 2).text == "2026092900123" and table.cell(1, 4).text == "市民热线"
    assert table.cell(3, 4).text == "13812345678"
    text = "\n".join(document_lines(4, data))
    assert "先行联系：☑已联 ☐未联" in text and "*事实认定：☑属实" in text
    assert "分管领导审核意见：同意办结\n签字：孙伟" in text
    # 交办意见 from whoever dispatched (the office, by default its standing instruction), never the reply's approver
    assert "交办意见：请按规程时限办理，先行联系市民，核实情况后答复。\n签字：王芳" in text
    assert "陈刚" not in text.split("交办意见")[1].split("分管领导审核意见")[0]
    assert form_problems(4, data, document_lines(4, data)) == []  # every starred cell filled
    # the ten choices of 事实认定 wrap between two choices, never inside 对政策解释不接受
    assert table.cell(11, 2).text == ("☑属实 ☐部分属实 ☐不属实 ☐有政策信息 ☐无政策信息\n"
                                      "☐对政策解释不接受 ☐采纳 ☐不予采纳 ☐部分采纳 ☐留作参考")


def test_no_table_row_of_a_shipped_form_is_cut_at_a_page_break():
    for name in [f"form{n}" for n in FORMS] + ["summary"]:
        with resources.as_file(resources.files("templates").joinpath(f"forms/{name}.docx")) as path:
            document = Document(path)
        for table in document.tables:
            for row in table.rows:
                assert row._tr.trPr is not None and row._tr.trPr.find(qn("w:cantSplit")) is not None, name


def test_a_review_ticket_says_so_and_a_form_is_identified(db, workflow, org):
    desk = Desk(db, workflow, org)
    t = desk.new("12345", "review")
    data = data_of(desk, t)
    assert "是否回访复核单：是" in "\n".join(document_lines(4, data))
    text3 = "\n".join(document_lines(3, data))
    assert f"编号：{data['internal_no']}" in text3 and "工单号：" in text3


def test_form3_invents_nothing(db, workflow, org):
    desk = Desk(db, workflow, org)
    t = replied(desk, "12345", verified_by=None, fact_finding="policy_info", demand_assessment=None,
                template="consult_suggestion", fact_note="来电人已于8月提交申请")
    text = "\n".join(document_lines(3, data_of(desk, t)))
    assert "相关单位" not in text and "有政策信息" not in text and "不符合" not in text
    assert "经核实，来电人张三的情况如下：来电人已于8月提交申请。" in text
    t2 = desk.new("12345", "ordinary", external_no="2026092900456")
    desk.to_department(t2)
    desk.accepted_with_reply(t2, fact_finding="policy_info")
    text2 = "\n".join(document_lines(3, data_of(desk, t2)))
    assert "反映或投诉" not in text2 and "情况有政策信息" not in text2


def test_form2_is_a_letter_of_sentences(db, workflow, org, tmp_path):
    desk = Desk(db, workflow, org)
    t = replied(desk, "petition", letter=PETITION_LETTER, basis="《军人抚恤优待条例》第二十条")
    data = data_of(desk, t)
    lines = document_lines(2, data)
    assert lines[0] == "信访答复" and "附件" not in "".join(lines)
    assert "本机关认为，根据《军人抚恤优待条例》第二十条规定，支持补发10月待遇。" in lines
    assert "您反映其父优抚待遇未按时发放。您要求补发待遇。" in lines
    assert lines[-1] == "2026年9月29日"  # no leading zero in an official date
    document = Document(render_docx(2, data, tmp_path / "f2.docx"))
    rpr = document.styles["Normal"].element.rPr
    assert rpr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312" and rpr.sz.val.pt == 16  # 仿宋 三号


def test_placeholders_and_empty_letter_sections_are_found(db, workflow, org):
    desk = Desk(db, workflow, org)
    t = desk.new("petition")
    desk.to_department(t)
    desk.ok("李强", Accept(t))
    desk.ok("李强", SaveReply(t, {"basis": "XX条例", "letter": {"facts": "（信访事项的主要事实）。"}}))
    data = data_of(desk, t)
    problems = form_problems(2, data, document_lines(2, data))
    assert "field:letter.judgement" in problems and "XX" in problems and "（信访事项的主要事实）" in problems


def test_style_notes(db, workflow, org):
    notes = style_notes({"summary": "已核实", "basis": "相关规定", "points": ["见SJMZ-2026-000001"]}, 600)
    assert notes == ["basis_no_document", "bare_verified", "internal_code"]
    assert style_notes({"summary": "经核实情况属实。", "basis": "《上海市社会救助办法》第十二条"}, 600) == []
    assert "too_long" in style_notes({"summary": "很" * 601}, 600)


def test_satisfaction_comes_from_the_latest_follow_up(db, workflow, org):
    from bot.workflow import RecordFollowUp, RecordPlatformReply

    desk = Desk(db, workflow, org)
    t = closed_12345(desk)
    desk.ok("王芳", RecordPlatformReply(t))
    desk.ok("王芳", RecordFollowUp(t, "district", "dissatisfied"))
    text = "\n".join(document_lines(1, data_of(desk, t)))
    assert "☐满意 ☑不满意" in text


def office_copy_of_form2(directory):
    """The office's copy of 附件2 in DIRECTORY, with one sentence changed in Word."""
    directory.mkdir()
    with resources.as_file(resources.files("templates").joinpath("forms/form2.docx")) as shipped:
        shutil.copy(shipped, directory / "form2.docx")
    document = Document(directory / "form2.docx")
    for para in document.paragraphs:
        for run in para.runs:
            run.text = run.text.replace("经研究，现答复如下：", "经我局研究，现将处理意见答复如下：")
    document.save(directory / "form2.docx")
    return directory


def test_a_changed_sentence_in_the_office_template_shows(db, workflow, org, tmp_path):
    desk = Desk(db, workflow, org)
    t = replied(desk, "petition", letter=PETITION_LETTER)
    override = office_copy_of_form2(tmp_path / "templates")
    data = data_of(desk, t)
    assert "经我局研究，现将处理意见答复如下：" in render_text(2, data, override)
    assert "经我局研究" not in render_text(2, data)  # the shipped template is untouched
    printed = Document(render_docx(2, data, tmp_path / "out.docx", override))
    assert any("经我局研究" in p.text for p in printed.paragraphs)



def test_the_office_templates_named_by_the_environment_are_the_next_forms(db, workflow, org, tmp_path, monkeypatch):
    """HOTLINE_FORM_TEMPLATES, read by Settings, through the services `hotline-bot run` builds from them."""
    from bot import forms
    from bot.app import services_from
    from bot.config import load_configuration, load_settings

    desk = Desk(db, workflow, org)
    t = replied(desk, "petition", letter=PETITION_LETTER)
    for name in ("HOTLINE_CONFIG", "HOTLINE_RULES", "HOTLINE_HOLIDAYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOTLINE_FORM_TEMPLATES", str(office_copy_of_form2(tmp_path / "office")))
    settings = load_settings(env_file=None)
    try:
        services = services_from(settings, load_configuration(settings), db)
        printed = Document(services.documents.form_file(t, 2, True))
        assert any("经我局研究，现将处理意见答复如下：" in p.text for p in printed.paragraphs)
        assert "经我局研究" in services.documents.form_text(desk.actors["王芳"], t, 2, True)
        assert "经我局研究" not in "".join(p.text for p in Document(services.documents.form_file(t, 1, True)).paragraphs)
    finally:
        forms.set_template_dir(None)  # the directory is the process's: leave the shipped forms to the other tests

def test_masked_form_for_a_group(db, workflow, org):
    desk = Desk(db, workflow, org)
    t = closed_12345(desk)
    text = render_text(4, data_of(desk, t, private=False))
    assert "13812345678" not in text and "138****5678" in text and "张*" in text


# --- the letter checked before it leaves, the style notes, 语言规范 ---------------------------------


def test_a_letter_with_a_gap_or_a_placeholder_cannot_be_submitted(db, workflow, org):
    from bot.workflow import SubmitReply
    from tests.helpers.desk import FULL_REPLY

    desk = Desk(db, workflow, org)
    p = desk.new("petition")
    desk.to_department(p)
    desk.ok("李强", Accept(p))
    desk.ok("李强", SaveReply(p, {**FULL_REPLY, "contact_time": desk.now()}))
    refusal = desk.do("李强", SubmitReply(p)).refusal  # 规程 二(一)2: the letter's facts and judgement
    assert refusal.code == "missing" and "信访事项的主要事实、处理意见（是否支持）" in refusal.message
    assert "，。" not in refusal.message  # the gap is named, not the punctuation it leaves
    desk.ok("李强", SaveReply(p, {"letter": {"facts": "其父优抚待遇未按时发放", "judgement": "支持补发"}}))
    desk.ok("李强", SubmitReply(p))
    h = desk.new("12345", "ordinary", external_no="H-2")
    desk.to_department(h)
    desk.ok("李强", Accept(h))
    desk.ok("李强", SaveReply(h, {**FULL_REPLY, "contact_time": desk.now(), "basis": "《XX条例》"}))
    refusal = desk.do("李强", SubmitReply(h)).refusal
    assert refusal is not None and "「XX」" in refusal.message


def test_style_notes_reach_the_office_and_are_a_reason_to_send_back(db, workflow, org):
    from bot.workflow import FailReview

    desk = Desk(db, workflow, org)
    t = replied(desk, "12345", summary="已核实", basis="相关规定")
    review = [m for m in desk.outbox(t) if m.template == "reply_for_review"][-1]
    assert review.context["style"] == ["basis_no_document", "bare_verified"]
    desk.ok("王芳", FailReview(t, (), style=True))  # the 语言规范 button: no typing, the notes are the reasons
    redo = [m for m in desk.outbox(t) if m.template == "redo"][-1]
    assert redo.context["reasons"][0].startswith("语言规范")
    assert "处置依据未引用政策文件（如《…》第X条）" in redo.context["reasons"]
    assert desk.ticket(t).redo_count == 1
    clean = replied(desk, "962200")
    assert [m for m in desk.outbox(clean) if m.template == "reply_for_review"][-1].context["style"] == []


# --- 附件4 and 附件1: what the office and the department give ------------------------------------


def test_form4_dispatch_opinion_resolved_and_review_from_the_kind(db, workflow, org, tmp_path):
    from bot.workflow import Dispatch, RecordFirstContact, SubmitReply
    from tests.helpers.desk import FULL_REPLY

    desk = Desk(db, workflow, org)
    t = desk.new("12345", "review", external_no="H-R", source="来电")
    desk.ok("王芳", RecordFirstContact(t, "contacted"))
    desk.ok("王芳", Dispatch(t, desk.departments["jiuzhu"], opinion="请三日内核实并答复"))
    desk.ok("李强", Accept(t))
    desk.ok("李强", SaveReply(t, {**FULL_REPLY, "contact_time": desk.now(), "result": "not_true",
                                 "summary": "经查反映不属实，已电话说明"}, evidence=(PHOTO,)))
    desk.ok("李强", SubmitReply(t))
    desk.ok("陈刚", ApproveReply(t))
    desk.ok("王芳", PassReview(t))
    # 不属实 has no 是否解决 of its own: the office must choose one, 未解决 among them
    refusal = desk.do("王芳", SubmitApprovalForm(t)).refusal
    assert refusal is not None and "是否解决" in refusal.message
    assert desk.do("王芳", SubmitApprovalForm(t, {"internal_no": "X"})).refusal.code == "invalid"
    desk.ok("王芳", SubmitApprovalForm(t, {"resolved": "unsolved"}))
    desk.ok("孙伟", ApproveSignoff(t))
    data = data_of(desk, t)
    document = assert_print_ready(render_docx(4, data, tmp_path / "f4.docx"))
    text = "\n".join(document_lines(4, data))
    assert "☐诉求过高 ☑未解决" in text and "是否回访复核单：是" in text and "工单来源：来电" in text
    assert "交办意见：请三日内核实并答复\n签字：王芳" in text
    assert "（办理依据、结果及结论）：经查反映不属实，已电话说明。" in text  # a sentence, as the points are
    assert "分管领导审核意见：同意。\n签字：孙伟" in text  # approved without words: 「同意。」
    assert document.tables[0].cell(2, 4).text == "是"


def test_form1_other_result_other_feedback_and_note(db, workflow, org, tmp_path):
    desk = Desk(db, workflow, org)
    t = replied(desk, "962200", result="other", result_other="已转街道跟进", satisfaction="other",
                note="市民要求书面答复")
    data = data_of(desk, t)
    assert_print_ready(render_docx(1, data, tmp_path / "f1.docx"))
    text = "\n".join(document_lines(1, data))
    assert "☑其他（已转街道跟进）" in text and "☐未评价 ☑其他" in text and "备注：市民要求书面答复" in text



@pytest.mark.parametrize("channel, source", [("12345", "12345市民服务热线"), ("962200", "962200社区服务热线"),
                                             ("petition", "信访")])
def test_a_ticket_without_a_recorded_source_prints_its_channel_as_the_source(db, workflow, org, channel, source):
    desk = Desk(db, workflow, org)
    t = replied(desk, channel)  # pasted or imported without 工单来源: Desk records none
    assert desk.ticket(t).source is None
    data = data_of(desk, t)
    assert f"工单来源：{source}　工单号：" in "\n".join(document_lines(1, data))
    assert f"工单来源：{source}" in "\n".join(document_lines(4, data))
    # nor when the office clears it on 附件4
    assert f"工单来源：{source}" in "\n".join(document_lines(4, with_edits(data, {"source": " "})))
    assert data_of(desk, t, private=False)["source"] == source  # the masked copy for a group too

# --- the petition-line leader's 退回: to the office or to the department ------------------------------


def test_signoff_sent_back_to_the_department_is_a_counted_redo(db, workflow, org):
    from bot.workflow import RejectSignoff, RejectSignoffRedo, SubmitFinalReply, SubmitReply

    desk = Desk(db, workflow, org)
    p = replied(desk, "petition", letter=PETITION_LETTER)
    desk.ok("王芳", PassReview(p))
    desk.ok("王芳", SubmitFinalReply(p, {"letter.findings": "您父亲9月待遇已发放"}))
    desk.ok("孙伟", RejectSignoff(p, "请调整格式"))  # round 1 back to the office
    assert desk.status(p) == "final_reply"
    desk.ok("王芳", SubmitFinalReply(p, {"letter.findings": "您父亲9月待遇已于9月10日发放"}))
    request = [m for m in desk.outbox(p) if m.template == "signoff_request"][-1]
    assert request.context["round"] == 2 and request.context["edited"] == ["letter.findings"]
    desk.ok("孙伟", RejectSignoffRedo(p, "事实认定不清，请科室重新核实"))  # round 2 to the department
    assert desk.status(p) == "accepted" and desk.ticket(p).redo_count == 1
    redo = [m for m in desk.outbox(p) if m.template == "redo"]
    assert {m.audience for m in redo} == {"department_group", "member"}
    assert "事实认定不清，请科室重新核实" in redo[-1].context["reasons"]
    rejected = [m for m in desk.outbox(p) if m.template == "signoff_rejected"]
    assert [m.context["round"] for m in rejected] == [1, 2] and rejected[-1].context["redo"]
    desk.ok("李强", SubmitReply(p))
    assert desk.status(p) == "reply_drafted"
    # the office's edits of the first filing stay in the form until a new filing replaces them
    assert "经查，您父亲9月待遇已于9月10日发放。" in document_lines(2, data_of(desk, p))


# --- the 受理告知书 and 录入上海分系统 before a petition closes ---------------------------------------


def test_the_acceptance_notice_is_a_form_and_a_petition_closes_only_after_it(db, workflow, org, tmp_path):
    from bot.workflow import RecordCitySystem, RecordMail, SendAcceptanceNotice, SubmitFinalReply

    desk = Desk(db, workflow, org)
    p = replied(desk, "petition", letter=PETITION_LETTER)
    desk.ok("王芳", PassReview(p))
    desk.ok("王芳", SubmitFinalReply(p))
    desk.ok("孙伟", ApproveSignoff(p))
    refusal = desk.do("王芳", RecordMail(p, "XA1")).refusal
    assert "受理告知书" in refusal.message and "录入上海分系统" in refusal.message
    assert desk.do("王芳", SendAcceptanceNotice(p, "fax")).refusal.code == "invalid"
    desk.ok("王芳", SendAcceptanceNotice(p, "in_person"))
    assert "受理告知书" not in desk.do("王芳", RecordMail(p, "XA1")).refusal.message
    assert desk.do("王芳", RecordCitySystem(p, " ")).refusal.code == "missing"
    desk.ok("王芳", RecordCitySystem(p, "SH-XF-0931"))
    desk.ok("王芳", RecordMail(p, "XA1"))
    ticket = desk.ticket(p)
    assert ticket.status == "closed" and ticket.city_system_ref == "SH-XF-0931"
    assert ticket.acceptance_notice_by_id == desk.actors["王芳"].member_id
    data = data_of(desk, p)
    document = assert_print_ready(render_docx(6, data, tmp_path / "notice.docx"))
    assert document.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    lines = document_lines(6, data)
    assert lines[0] == "信访事项受理告知书"
    assert f"信访件编号：{data['external_no']}　　编号：{data['internal_no']}" in lines  # identified
    assert "您于2026年9月29日反映的信访事项，本机关已于2026年9月29日受理，交由社会救助科办理。办理结果将以书面形式答复您。" in lines
    assert lines[-1] == "2026年9月29日" and form_problems(6, data, lines) == []


def test_close_application_form_is_identified(db, workflow, org, tmp_path):
    from bot.workflow import RequestRepeatClosure, SignProblemReport, SubmitProblemReport, VerifyProblemReport

    desk = Desk(db, workflow, org)
    t = desk.new("12345", "ordinary", external_no="H-5", repeat=True)
    desk.to_department(t)
    desk.ok("李强", Accept(t))
    desk.ok("王芳", RequestRepeatClosure(t))
    desk.ok("李强", SubmitProblemReport(t, "低保已审批，反映不属实", "调取审批记录", (PHOTO,)))
    desk.ok("陈刚", SignProblemReport(t))
    desk.ok("王芳", VerifyProblemReport(t, "审批记录与科室所述一致。"))
    data = data_of(desk, t)
    document = assert_print_ready(render_docx(5, data, tmp_path / "f5.docx"))
    text = "\n".join(document_lines(5, data))
    assert f"编号：{data['internal_no']}" in text and "工单号：H-5" in text and "承办科室：社会救助科" in text
    assert "经核查，审批记录与科室所述一致，承办科室已履职到位，现申请结单。" in text
    assert "业务分管领导签字：陈刚" in text and "2026年9月29日" in text
    assert "低保已审批，反映不属实。" in text and "调取审批记录。" in text  # sentences end with their full stop
    assert form_problems(5, data, document_lines(5, data)) == []
    assert document.tables[0].cell(0, 1).text == "H-5"


def test_a_repeat_found_not_factual_without_a_reply_prints_its_report_on_form1(db, workflow, org, tmp_path):
    """规程 三(三)5 and 附件1: the department's 不属实 report is its opinion when no reply was filed."""
    from bot.workflow import RequestRepeatClosure, SignProblemReport, SubmitProblemReport

    desk = Desk(db, workflow, org)
    t = desk.new("12345", "ordinary", external_no="H-6", repeat=True)
    desk.to_department(t)
    desk.ok("李强", Accept(t))
    desk.ok("王芳", RequestRepeatClosure(t))
    before = "\n".join(document_lines(1, data_of(desk, t)))
    assert "☑" not in before.split("处理结果")[1].split("市民反馈")[0]  # nothing is said before the report
    desk.ok("李强", SubmitProblemReport(t, "低保已于9月审批通过，反映不属实", "调取审批记录，电话告知市民", (PHOTO,)))
    desk.ok("陈刚", SignProblemReport(t))
    data = data_of(desk, t)
    assert_print_ready(render_docx(1, data, tmp_path / "f1.docx"))
    lines = document_lines(1, data)
    text = "\n".join(lines)
    assert "（可附页）\n低保已于9月审批通过，反映不属实。\n调取审批记录，电话告知市民。" in text
    assert "☐参考备案 ☑不属实 ☐诉求过高" in text
    assert "分管领导签字：陈刚" in text and "日期：2026年9月29日" in text
    assert form_problems(1, data, lines) == []


# --- the evidence the bureau keeps, on 申请结单 and in the 核查 report ------------------------------------------

KEPT = EvidenceIn(kind="document", file_id="BQACAgUAAxkBAAIC", file_name="低保审批记录.pdf", mime_type="application/pdf",
                  file_size=155_648, sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                  stored_path="9f/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.pdf")


def test_the_close_application_lists_the_evidence_and_the_office_report_counts_it(db, workflow, org, rules,
                                                                                   calendar, clock, tmp_path):
    """规程 三(三)5 「提供材料证明履职到位」 on 申请结单; 三(三)4 the office's 核查 of each ticket, with its 佐证."""
    from bot.services import Services
    from bot.workflow import (
        RecordFollowUp,
        RecordPlatformReply,
        RequestRepeatClosure,
        SignProblemReport,
        SubmitProblemReport,
        VerifyProblemReport,
    )

    desk = Desk(db, workflow, org)
    repeat = desk.new("12345", "ordinary", external_no="H-7", repeat=True)
    desk.to_department(repeat)
    desk.ok("李强", Accept(repeat))
    desk.ok("王芳", RequestRepeatClosure(repeat))
    desk.ok("李强", SubmitProblemReport(repeat, "低保已审批，反映不属实", "调取审批记录", (PHOTO, KEPT)))
    desk.ok("陈刚", SignProblemReport(repeat))
    desk.ok("王芳", VerifyProblemReport(repeat, "审批记录与科室所述一致。"))
    data = data_of(desk, repeat)
    lines = document_lines(5, data)
    photo = data["evidence"][0]["name"]  # a photo has no file name: 照片<n>, as 查看佐证 names it
    assert photo.startswith("照片")
    assert (f"佐证材料（2件）：\n1. 照片　{photo}　—　未存局存档　2026年9月29日\n"  # Telegram's copy only: no hash
            "2. 文件　低保审批记录.pdf　152 KB　SHA-256 9f86d081884c7d65　2026年9月29日") in lines
    assert form_problems(5, data, lines) == []
    assert_print_ready(render_docx(5, data, tmp_path / "f5.docx"))

    unhappy = closed_12345(desk)  # dissatisfied at the district's follow-up, reported without more evidence
    desk.ok("王芳", RecordPlatformReply(unhappy))
    desk.ok("王芳", RecordFollowUp(unhappy, "district", "dissatisfied"))
    desk.ok("李强", SubmitProblemReport(unhappy, "市民希望当场办理", "电话两次说明申请流程", (KEPT,)))
    services = Services(db, rules, calendar, clock, files_dir=tmp_path / "forms")
    report = Document(services.documents.summary_file(services.documents.problem_rows()))
    table = report.tables[0]
    column = [cell.text for cell in table.columns[5].cells]
    assert column[0] == "佐证"
    by_number = {row.cells[0].text: row.cells[5].text for row in table.rows[1:]}
    assert by_number == {desk.ticket(repeat).internal_no: "2件", desk.ticket(unhappy).internal_no: "1件"}
    # a report queued before the count was kept prints no count rather than a wrong one
    old = [{k: v for k, v in row.items() if k != "evidence"} for row in services.documents.problem_rows()]
    assert Document(services.documents.summary_file(old)).tables[0].rows[1].cells[5].text == ""


@pytest.mark.parametrize("date", ["2026年1月5日", "2026年9月29日", "2026年12月31日"])
def test_the_bureau_signs_centred_over_the_date_four_characters_from_the_right(db, workflow, org, tmp_path, date):
    """GB/T 9704-2012 7.3.5.1: 成文日期 右空四字, 发文机关署名 centred over it — on the petition's letters."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    def chars(text):  # in characters of 三号: Arabic digits half as wide, and 0.2 where they meet 年月日 (autospace,
        # LibreOffice's; Word's is about 0.25, which leaves the name off by less than a millimetre)
        changes = sum(1 for a, b in zip(text, text[1:], strict=False) if a.isascii() != b.isascii())
        return sum(0.5 if ch.isascii() else 1 for ch in text) + 0.2 * changes

    desk = Desk(db, workflow, org)
    data = data_of(desk, replied(desk, "petition", letter=PETITION_LETTER))
    for number, key in ((2, "today"), (6, "notice_date")):
        document = Document(render_docx(number, {**data, key: date}, tmp_path / f"{number}.docx"))
        name, day = [p for p in document.paragraphs if p.text.strip()][-2:]
        assert (name.text, day.text) == ("上海市松江区民政局", date)
        assert name.alignment == day.alignment == WD_ALIGN_PARAGRAPH.RIGHT
        em = document.styles["Normal"].font.size.pt  # 三号, 16 pt
        assert day.paragraph_format.right_indent.pt == 4 * em  # 右空四字
        centre = {p.text: p.paragraph_format.right_indent.pt / em + chars(p.text) / 2 for p in (name, day)}
        assert centre[name.text] == pytest.approx(centre[date]), number
        assert document_lines(number, {**data, key: date})[-2:] == ["上海市松江区民政局", date]
