"""Statistics against a hand-built data set; the workbook says what the chat says."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook

from bot import stats as st
from bot.cli import main
from bot.workflow import (
    Accept,
    ApproveExtension,
    ApproveReply,
    ApproveReturn,
    AskReturn,
    EvidenceIn,
    FailReview,
    OfficeReturn,
    RequestExtension,
    SaveReply,
    SubmitReply,
)
from tests.helpers.desk import FULL_REPLY, Desk


@pytest.fixture
def data(db, workflow, org, clock):
    """Week of 2026-09-28: six tickets with known fates."""
    desk = Desk(db, workflow, org)
    clock.set("2026-09-28T09:00")
    a = desk.new("12345", "ordinary", external_no="A", received="2026-09-28T08:00", business_category="社会救助",
                 content="低保申请迟迟没有审批")
    b = desk.new("12345", "consultation", external_no="B", received="2026-09-28T08:30", business_category="养老服务",
                 content="咨询养老服务补贴申请条件")
    c = desk.new("petition", external_no="C", received="2026-09-29T08:00", business_category="社会救助",
                 content="低保待遇被停发要求恢复")
    d = desk.new("962200", external_no="D", received="2026-09-29T09:00", emergency=True, content="独居老人家中漏水")
    e = desk.new("12345", "ordinary", external_no="E", received="2026-09-30T09:00", content="低保审批材料反复退回")
    desk.new("12345", "ordinary", external_no="OUT", received="2026-10-08T09:00", content="不在本周")
    desk.to_department(a)            # 09-28 09:00: accept due 09-29
    desk.ok("李强", Accept(a))        # on time
    desk.ok("李强", SaveReply(a, {**FULL_REPLY, "contact_time": desk.now()}))
    desk.ok("李强", SubmitReply(a))
    desk.ok("陈刚", ApproveReply(a))   # reply on time
    desk.ok("王芳", FailReview(a, ("依据不全",)))  # one redo
    desk.to_department(b, "yanglao")
    clock.set("2026-09-30T10:00")
    desk.ok("周丽", Accept(b))         # accept due 09-29: late
    desk.ok("周丽", RequestExtension(b, 2, "需调取档案"))
    desk.ok("吴军", ApproveExtension(b))  # one extension for 养老服务科
    desk.to_department(c)
    desk.ok("李强", AskReturn(c, "不属本科", (EvidenceIn("photo", "X"),)))
    desk.ok("陈刚", ApproveReturn(c))  # a department return
    desk.ok("王芳", OfficeReturn(e, "属房管局", "区房管局"))  # an office return
    desk.to_department(d, contact=False)
    clock.set("2026-10-09T10:00")      # d's accept (due 09-30) is now late and still open
    return desk, (a, b, c, d, e)


def test_numbers_of_a_hand_built_week(data):
    desk, _ = data
    with desk.db.session() as session:
        result = st.compute(session, desk.workflow.calc, date(2026, 9, 28), date(2026, 10, 4), desk.workflow.now())
    assert result.total == 5
    assert result.by_channel == {"12345": 3, "petition": 1, "962200": 1}
    assert result.by_class == {"transfer": 3, "emergency": 1, "immediate": 1}  # e was returned before dispatch
    assert result.by_category == {"社会救助": 2, "养老服务": 1, "-": 2}
    names = {v: k for k, v in result.departments.items()}
    assert result.by_department == {names["社会救助科"]: 3, names["养老服务科"]: 1}
    assert result.by_status == {"accepted": 2, "return_approved": 2, "dispatched": 1}
    # accept: a on time; b late; d late (open, past due); c's stage closed by the return request, on time
    assert result.rate("accept") == pytest.approx(2 / 4)
    assert result.rate("accept", names["社会救助科"]) == pytest.approx(2 / 3)
    assert result.rate("accept", names["养老服务科"]) == 0
    assert result.rate("reply", names["社会救助科"]) is None  # a's redo reopened its reply stage, due 10-13
    assert result.returns == {"department": 1, "office": 1}
    assert result.redo == 1 and result.redo_by_department == {names["社会救助科"]: 1}
    assert result.satisfaction_rate is None  # nothing closed with a rating yet
    assert result.extensions == {names["养老服务科"]: 1}
    yanglao = next(r for r in result.department_rows() if r["department"] == "养老服务科")
    assert (yanglao["extensions"], yanglao["overdue"]) == (1, 1)
    words = dict(result.topics)
    assert words["低保"] == 3 and "审批" in words


def test_workbook_matches_the_text(data, tmp_path):
    desk, _ = data
    with desk.db.session() as session:
        result = st.compute(session, desk.workflow.calc, date(2026, 9, 28), date(2026, 10, 4), desk.workflow.now())
    text = st.render_text(result)
    assert "共 5 件" in text and "按时受理率 50%" in text and "退单 2" in text and "重办 1" in text
    assert "社会救助科：3 / 67% / — / 1 / 1 / 1 / 0 / —" in text
    book = load_workbook(st.workbook(result, tmp_path / "r.xlsx"))
    summary = dict(book["概况"].iter_rows(values_only=True))
    assert summary["工单总数"] == 5 and summary["按时受理率"] == "50%" and summary["重办"] == 1
    rows = list(book["科室时效"].iter_rows(values_only=True))
    assert rows[1] == ("社会救助科", 3, "67%", 1, "—", 0, 1, 1, 0, "—")
    assert dict(list(book["渠道"].iter_rows(values_only=True))[1:]) == {"12345市民服务热线": 3, "信访": 1,
                                                                       "962200社区服务热线": 1}
    assert len(book.sheetnames) == 10
    png = st.chart_png(result)
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_report_command(tmp_path, monkeypatch, capsys):
    example = __import__("pathlib").Path(__file__).resolve().parent.parent / "examples" / "tickets.csv"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path}/r.db")
    assert main(["import", str(example)]) == 0
    out = tmp_path / "week.xlsx"
    assert main(["report", "--from", "2026-09-28", "--to", "2026-10-04", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "共 5 件" in printed and str(out) in printed
    book = load_workbook(out)
    assert dict(book["概况"].iter_rows(values_only=True))["工单总数"] == 5
    assert dict(list(book["渠道"].iter_rows(values_only=True))[1:]) == {"12345市民服务热线": 3, "信访": 1,
                                                                       "962200社区服务热线": 1}
    assert main(["report", "--from", "2026-10-04", "--to", "2026-09-28", "--out", str(out)]) == 2


def test_named_periods():
    today = date(2026, 10, 14)  # a Wednesday
    assert st.period("this_week", today) == (date(2026, 10, 12), date(2026, 10, 18))
    assert st.period("last_week", today) == (date(2026, 10, 5), date(2026, 10, 11))
    assert st.period("this_month", today) == (date(2026, 10, 1), date(2026, 10, 31))
    assert st.period("last_month", today) == (date(2026, 9, 1), date(2026, 9, 30))
