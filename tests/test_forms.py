"""附件1-4 from a ticket: chat text and a .docx that keeps the table layout."""

from __future__ import annotations

import pytest
from docx import Document

from bot.forms import form_data, render_docx, render_text
from bot.workflow import Accept, ApproveReply, ApproveSignoff, PassReview, SaveReply, SubmitApprovalForm
from storage import queries
from tests.helpers.desk import Desk


@pytest.fixture
def closed_12345(db, workflow, org):
    desk = Desk(db, workflow, org)
    t = desk.new("12345", "ordinary", external_no="2026092900123", source="市民热线")
    desk.to_department(t)
    desk.accepted_with_reply(t)
    desk.ok("陈刚", ApproveReply(t))
    desk.ok("王芳", PassReview(t))
    desk.ok("王芳", SubmitApprovalForm(t))
    desk.ok("孙伟", ApproveSignoff(t))
    return desk, t


def data_of(desk, t, private=True):
    with desk.db.session() as session:
        return form_data(session, queries.ticket(session, t), desk.workflow.calc, private, desk.now())


def test_form4_docx_keeps_the_table(closed_12345, tmp_path):
    desk, t = closed_12345
    data = data_of(desk, t)
    path = render_docx(4, data, tmp_path / "form4.docx")
    document = Document(path)
    table = document.tables[0]
    assert len(table.rows) == 21 and len(table.columns) == 4
    assert table.cell(0, 0).text == "工单编号" and table.cell(0, 1).text == "2026092900123"
    assert table.cell(3, 3).text == "13812345678"
    assert "☑已联" in table.cell(8, 1).text
    assert "☑属实" in table.cell(11, 1).text
    assert "签字：孙伟" in table.cell(20, 1).text
    assert table.cell(4, 1).text == table.cell(4, 3).text  # merged address cell
    assert "签批表" in document.paragraphs[1].text


def test_form1_and_form3_text(closed_12345):
    desk, t = closed_12345
    data = data_of(desk, t)
    text1 = render_text(1, data)
    assert "处理结果：☑实际解决 ☐解释说明" in text1 and "分管领导签字：陈刚" in text1
    text3 = render_text(3, data)
    assert "求助类或投诉类办结报告" in text3
    assert "社会救助科工作人员与来电人张三进行了电话" in text3
    assert "1. 已说明低保申请条件；2. 已协调街道上门核查；" in text3
    assert "来电人张三表示接受" in text3


def test_masked_form_for_a_group(closed_12345):
    desk, t = closed_12345
    text = render_text(4, data_of(desk, t, private=False))
    assert "13812345678" not in text and "138****5678" in text and "张*" in text


def test_form2_petition_letter(db, workflow, org, tmp_path):
    desk = Desk(db, workflow, org)
    t = desk.new("petition")
    desk.to_department(t)
    desk.accepted_with_reply(t)
    desk.ok("陈刚", ApproveReply(t))
    desk.ok("王芳", PassReview(t))
    data = data_of(desk, t)
    text = render_text(2, data)
    assert text.splitlines()[1] == "张三："
    assert "30 日内向上一级行政机关提出复查申请" in text
    assert text.splitlines()[-1] == "2026年09月29日"  # the letter is dated by the bot's clock, not the machine's
    document = Document(render_docx(2, data, tmp_path / "f2.docx"))
    assert any(p.text == "上海市松江区民政局" for p in document.paragraphs)


def test_letter_sections_are_used(db, workflow, org):
    desk = Desk(db, workflow, org)
    t = desk.new("petition")
    desk.to_department(t)
    desk.ok("李强", Accept(t))
    desk.ok("李强", SaveReply(t, {"letter": {"facts": "其父优抚待遇未按时发放", "requests": "补发待遇",
                                             "review_body": "松江区人民政府"}}))
    text = render_text(2, data_of(desk, t))
    assert "您反映其父优抚待遇未按时发放。您要求补发待遇。" in text
    assert "向松江区人民政府提出复查申请" in text
