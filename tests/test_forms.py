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

from bot.forms import FORMS, document_lines, form_data, form_problems, render_docx, render_text, style_notes
from bot.workflow import Accept, ApproveReply, ApproveSignoff, PassReview, SaveReply, SubmitApprovalForm
from storage import queries
from tests.helpers.desk import Desk

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


def test_a_changed_sentence_in_the_office_template_shows(db, workflow, org, tmp_path):
    desk = Desk(db, workflow, org)
    t = replied(desk, "petition", letter=PETITION_LETTER)
    override = tmp_path / "templates"
    override.mkdir()
    with resources.as_file(resources.files("templates").joinpath("forms/form2.docx")) as shipped:
        shutil.copy(shipped, override / "form2.docx")
    document = Document(override / "form2.docx")
    for para in document.paragraphs:
        for run in para.runs:
            run.text = run.text.replace("经研究，现答复如下：", "经我局研究，现将处理意见答复如下：")
    document.save(override / "form2.docx")
    data = data_of(desk, t)
    assert "经我局研究，现将处理意见答复如下：" in render_text(2, data, override)
    assert "经我局研究" not in render_text(2, data)  # the shipped template is untouched
    printed = Document(render_docx(2, data, tmp_path / "out.docx", override))
    assert any("经我局研究" in p.text for p in printed.paragraphs)


def test_masked_form_for_a_group(db, workflow, org):
    desk = Desk(db, workflow, org)
    t = closed_12345(desk)
    text = render_text(4, data_of(desk, t, private=False))
    assert "13812345678" not in text and "138****5678" in text and "张*" in text
