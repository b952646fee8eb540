"""Statistics of a hand-built month (办法 第十九条、第二十一条): every figure below is worked out by hand
from what happened to each ticket, written next to the assertion, never read back from the code."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook

from bot import stats as st
from bot.cli import main
from bot.scheduler import Planner
from bot.views import render_outbox
from bot.workflow import (
    Accept,
    AnswerAtOnce,
    ApproveImmediateAnswer,
    ApproveReply,
    ApproveSignoff,
    CompleteReturn,
    CreateSupervision,
    DraftImmediateAnswer,
    FailReview,
    OfficeReturn,
    PassReview,
    RecordCollaboration,
    RecordFollowUp,
    RecordPlatformReply,
    SaveReply,
    SubmitApprovalForm,
    SubmitReply,
)
from tests.helpers.desk import FULL_REPLY, Desk

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))  # no public holiday: every Monday-Friday is a working day


def _reply(desk: Desk, t: int, **values) -> None:
    desk.ok("李强", SaveReply(t, {**FULL_REPLY, "contact_time": desk.now(), **values}))
    desk.ok("李强", SubmitReply(t))
    desk.ok("陈刚", ApproveReply(t))


def _close_12345(desk: Desk, t: int) -> None:
    desk.ok("王芳", PassReview(t))
    desk.ok("王芳", SubmitApprovalForm(t))
    desk.ok("孙伟", ApproveSignoff(t))
    desk.ok("王芳", RecordPlatformReply(t, "已答复"))


@pytest.fixture
def month(db, workflow, org, clock):
    """November 2026, nine tickets (and one on each side of the month).

    A 12345 普通 社会救助科: dispatched and accepted 11-02, reply approved 11-03 (实际解决, 满意), closed 11-04.
    B 12345 普通 社会救助科: accepted 11-04 (due 11-03: late), reply approved 11-04, sent back 11-05, approved
      again 11-10 (解释说明, 认可), closed 11-12 (办结时效 11-11: late); 回访 11-13 不满意 → 督办件 created.
    C 962200 咨询类: answered at once by the office (即办件).
    D 12345 咨询: answer drafted, approved by the 主管负责人 (即办件), closed 11-03 (办结时效 11-06).
    E 962200 社区生活类 应急件: dispatched and accepted 11-09 by 养老服务科, still open.
    F 12345 普通: coordinated with 区房管局 (协同件), still received; 办结时效 11-19 passed.
    G 信访 社会救助科: dispatched and accepted 11-16, open.
    H 12345 普通: returned by the office before dispatch.
    I 12345 普通 养老服务科: dispatched 11-18, never accepted (due 11-19); 办结时效 11-27 passed.
    """
    desk = Desk(db, workflow, org)
    at = clock.set
    at("2026-10-30T09:00")
    desk.new("12345", "ordinary", external_no="BEFORE", received="2026-10-30T08:00", content="低保申请")
    at("2026-11-02T09:00")
    a = desk.new("12345", "ordinary", external_no="A", received="2026-11-02T08:00", business_category="社会救助",
                 content="低保申请迟迟没有审批")
    b = desk.new("12345", "ordinary", external_no="B", received="2026-11-02T08:30", business_category="社会救助",
                 content="低保待遇被停发")
    desk.to_department(a)
    desk.to_department(b)
    desk.ok("李强", Accept(a))
    at("2026-11-03T10:00")
    _reply(desk, a, result="solved", satisfaction="satisfied")
    c = desk.new("962200", external_no="C", received="2026-11-03T09:50", service_category="consultation",
                 business_category="养老服务", content="咨询养老补贴")
    desk.ok("王芳", AnswerAtOnce(c, "高龄津贴每月75元起，向街道社区事务受理中心申请。"))
    d = desk.new("12345", "consultation", external_no="D", received="2026-11-03T09:55", business_category="养老服务",
                 content="咨询养老补贴标准")
    desk.ok("王芳", DraftImmediateAnswer(d, "按《上海市养老服务补贴办法》，标准见附表。"))
    desk.ok("孙伟", ApproveImmediateAnswer(d))
    at("2026-11-04T10:00")
    _close_12345(desk, a)
    desk.ok("李强", Accept(b))
    _reply(desk, b, result="explained", satisfaction="acknowledged")
    at("2026-11-05T10:00")
    desk.ok("王芳", FailReview(b, ("答复依据不全",)))
    at("2026-11-09T09:00")
    e = desk.new("962200", external_no="E", received="2026-11-09T08:00", service_category="community_life",
                 emergency=True, content="独居老人家中漏水")
    desk.to_department(e, "yanglao", contact=False)
    desk.ok("周丽", Accept(e))
    at("2026-11-10T10:00")
    _reply(desk, b, result="explained", satisfaction="acknowledged")
    f = desk.new("12345", "ordinary", external_no="F", received="2026-11-10T09:00", content="小区停车位")
    desk.ok("王芳", RecordCollaboration(f, "区房管局", "电话"))
    at("2026-11-12T10:00")
    _close_12345(desk, b)
    at("2026-11-13T10:00")
    desk.ok("王芳", RecordFollowUp(b, "city", "dissatisfied"))
    desk.ok("王芳", CreateSupervision(b))
    at("2026-11-16T10:00")
    g = desk.new("petition", external_no="G", received="2026-11-16T09:00", business_category="社会救助",
                 content="低保复核")
    desk.to_department(g)
    desk.ok("李强", Accept(g))
    at("2026-11-17T10:00")
    h = desk.new("12345", "ordinary", external_no="H", received="2026-11-17T09:00", content="房屋维修")
    desk.ok("王芳", OfficeReturn(h, "属房管局", "区房管局"))
    desk.ok("王芳", CompleteReturn(h))
    at("2026-11-18T09:30")
    i = desk.new("12345", "ordinary", external_no="I", received="2026-11-18T09:00", business_category="养老服务",
                 content="养老院收费")
    desk.to_department(i, "yanglao")
    at("2026-12-01T09:00")
    desk.new("12345", "ordinary", external_no="AFTER", received="2026-12-01T08:00", content="低保")
    at("2026-11-30T18:00")
    return desk


def test_the_hand_built_month(month):
    desk = month
    with desk.db.session() as session:
        s = st.compute(session, desk.workflow.calc, *NOVEMBER, desk.workflow.now())
    names = {v: k for k, v in s.departments.items()}
    jiuzhu, yanglao = names["社会救助科"], names["养老服务科"]
    # counts (第十九条): each ticket once, by what happened to it
    assert s.total == 9
    assert s.by_class == {"transfer": 3,       # A, G, I (dispatched, nothing more)
                          "supervision": 1,    # B: a 督办件 was created after the dissatisfied 回访
                          "immediate": 2,      # C at once, D after the 主管负责人's review
                          "emergency": 1,      # E
                          "collaboration": 1,  # F
                          "unrouted": 1}       # H, returned by the office before dispatch
    assert s.by_channel == {"12345": 6, "962200": 2, "petition": 1}
    assert s.by_class_channel[("immediate", "962200")] == 1 and s.by_class_channel[("immediate", "12345")] == 1
    assert s.by_service == {"consultation": 1, "community_life": 1, "-": 7}
    assert s.by_category == {"社会救助": 3, "养老服务": 3, "-": 3}
    assert s.by_kind == {"ordinary": 5, "consultation": 1, "-": 3}
    assert s.by_status == {"closed": 4, "accepted": 2, "received": 1, "returned": 1, "dispatched": 1}
    assert s.by_department == {jiuzhu: 3, yanglao: 2}
    # 按时签收率: A on time, B late, G on time (社会救助科); E on time, I open past its due day (养老服务科)
    assert s.rate("accept", jiuzhu) == pytest.approx(2 / 3)
    assert s.rate("accept", yanglao) == pytest.approx(1 / 2)
    assert s.rate("accept") == pytest.approx(3 / 5)
    # 按时办结率 (办结时效, 12345 only): A closed 11-04 ≤ 11-11; B closed 11-12 > 11-11; I open past 11-27;
    # D closed 11-03 ≤ 11-06; F open past 11-19; H returned (not counted)
    assert s.closing_rate(jiuzhu) == pytest.approx(1 / 2)
    assert s.closing_rate(yanglao) == 0
    assert s.closing_rate() == pytest.approx(2 / 5)
    # 满意率 and 解决率 over the rated: A 满意 (实际解决), B 不满意 at 回访 (解释说明)
    assert s.satisfaction_rate(jiuzhu) == pytest.approx(1 / 2) and s.solved_rate(jiuzhu) == pytest.approx(1 / 2)
    assert s.satisfaction_rate(yanglao) is None and s.solved_rate(yanglao) is None
    # 返工率: A and B reviewed, B sent back once; 回访率: A and B closed, B followed up
    assert s.redo_rate(jiuzhu) == pytest.approx(1 / 2) and s.visit_rate(jiuzhu) == pytest.approx(1 / 2)
    assert s.redo_rate(yanglao) is None and s.visit_rate(yanglao) is None
    # 回访率 over all closed: A, B, C, D closed, B followed up
    assert s.visit_rate() == pytest.approx(1 / 4)
    # working days to the approved reply: A 11-02 → 11-03 = 1; B 11-02 → 11-10 = 6 (03, 04, 05, 06, 09, 10)
    assert s.average_reply_days(jiuzhu) == pytest.approx(3.5)
    assert s.average_reply_days(yanglao) is None
    assert s.returns == {"office": 1} and s.redo == 1 and s.redo_by_department == {jiuzhu: 1}
    # 热点: 低保 in A, B, G; 焦点: 低保 1 ticket in October's last days → 3; 难点: of the tickets that went
    # wrong (B late and redone, E's reply and contact stages past due, F and I past due, G's acceptance
    # notice past due, H returned) 低保 is in B and G
    assert dict(s.topics)["低保"] == 3
    assert ("低保", 3, 1) in s.rising
    assert dict(s.hard)["低保"] == 2


def test_text_chart_and_workbook_say_the_same(month, tmp_path):
    desk = month
    with desk.db.session() as session:
        s = st.compute(session, desk.workflow.calc, *NOVEMBER, desk.workflow.now())
        path = st.workbook(s, tmp_path / "m.xlsx", session, desk.workflow.calc)
    text = st.render_text(s)
    assert "共 9 件" in text
    assert "即办件 2，流转件 3，督办件 1，应急件 1，协同件 1，未流转 1" in text
    assert "按时签收率 60%，按时答复率" in text and "按时办结率 40%" in text and "回访率 25%" in text
    assert "社会救助科：3 / 67% / 50% / 50% / 50% / 50% / 50% / 3.5" in text
    assert "养老服务科：2 / 50% / 0% / — / — / — / — / —" in text
    book = load_workbook(path)
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(values_only=True)}
    assert summary["合计"] == 9 and summary["按时签收率"] == pytest.approx(0.6)
    assert book["概况"]["B3"].number_format == "0.0%" or summary["按时办结率"] == pytest.approx(0.4)
    assert summary["按时办结率"] == pytest.approx(0.4)
    score = {row[0]: row for row in book["科室考评"].iter_rows(values_only=True)}
    assert score["社会救助科"][:9] == ("社会救助科", 3, pytest.approx(2 / 3), 0.5, 0.5, 0.5, 0.5, 0.5, 3.5)
    tickets = list(book["工单明细"].iter_rows(values_only=True))
    assert len(tickets) == 1 + 9
    assert sorted(r[2] for r in tickets[1:]) == list("ABCDEFGHI")
    assert {r[2]: r[6] for r in tickets[1:]}["C"] == "即办件"
    assert not any("13812345678" in str(cell) for r in tickets for cell in r)  # no personal details
    png = st.chart_png(s)
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    (tmp_path / "chart.png").write_bytes(png)


async def test_report_command_and_stats_in_chat_say_the_same(month, chat, db, monkeypatch, tmp_path, capsys):
    """`hotline-bot report` on the hand-built month prints the figures worked out above; /stats the same."""
    await chat.say("王芳", "/stats 2026-11-01 2026-11-30")
    in_chat = chat.last_in("王芳").text
    url = db.engine.url
    if url.get_backend_name() == "postgresql":  # the tests' own schema
        with db.engine.connect() as conn:
            schema = conn.exec_driver_sql("SHOW search_path").scalar()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url.render_as_string(hide_password=False))
    out = tmp_path / "november.xlsx"
    assert main(["report", "--from", "2026-11-01", "--to", "2026-11-30", "--at", "2026-11-30T18:00",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for figure in ("共 9 件", "即办件 2，流转件 3，督办件 1，应急件 1，协同件 1，未流转 1", "按时签收率 60%",
                   "按时办结率 40%", "回访率 25%", "社会救助科：3 / 67% / 50% / 50% / 50% / 50% / 50% / 3.5",
                   "养老服务科：2 / 50% / 0% / — / — / — / — / —"):
        assert figure in printed and figure in in_chat, figure
    assert main(["report", "--from", "2026-11-01", "--to", "2026-11-30", "--at", "11月30日", "--out", str(out)]) == 2


def test_an_empty_period_says_so(db, workflow):
    with db.session() as session:
        s = st.compute(session, workflow.calc, date(2026, 1, 5), date(2026, 1, 11), workflow.now())
    assert s.empty and "本期没有收到工单" in st.render_text(s)
    png = st.chart_png(s)
    assert png.startswith(b"\x89PNG")


def test_report_command(tmp_path, monkeypatch, capsys):
    """Five imported tickets nobody touched yet: none is 即办件 (the old report said 「即办件 5」)."""
    example = __import__("pathlib").Path(__file__).resolve().parent.parent / "examples" / "tickets.csv"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path}/r.db")
    assert main(["import", str(example)]) == 0
    out = tmp_path / "week.xlsx"
    assert main(["report", "--from", "2026-09-28", "--to", "2026-10-04", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "共 5 件" in printed and str(out) in printed
    assert "即办件 0，流转件 0，督办件 0，应急件 0，协同件 0，未流转 5" in printed
    book = load_workbook(out)
    assert {r[0]: r[1] for r in book["概况"].iter_rows(values_only=True)}["合计"] == 5
    assert len(list(book["工单明细"].iter_rows())) == 1 + 5
    assert main(["report", "--from", "2026-10-04", "--to", "2026-09-28", "--out", str(out)]) == 2


def test_named_periods():
    today = date(2026, 10, 14)  # a Wednesday
    assert st.period("this_week", today) == (date(2026, 10, 12), date(2026, 10, 18))
    assert st.period("last_week", today) == (date(2026, 10, 5), date(2026, 10, 11))
    assert st.period("this_month", today) == (date(2026, 10, 1), date(2026, 10, 31))
    assert st.period("last_month", today) == (date(2026, 9, 1), date(2026, 9, 30))


def _tick(desk: Desk, clock, when: str):
    clock.set(when)
    with desk.db.session() as session:
        return Planner(desk.workflow.rules, desk.workflow.calc).tick(session, desk.workflow.now())


def _sent(desk: Desk, template: str) -> list[tuple]:
    with desk.db.session() as session:
        return [(row.audience, row.department_id, row.member_id, render_outbox(session, row, desk.workflow.calc))
                for row in desk.outbox() if row.template == template]


def test_the_weekly_bulletins_of_article_21(db, workflow, org, clock):
    """Week of 11-02: A closed by 社会救助科 in time, C answered at once, I never accepted by 养老服务科."""
    desk = Desk(db, workflow, org)
    clock.set("2026-11-02T09:00")
    a = desk.new("12345", "ordinary", external_no="A", received="2026-11-02T08:00")
    i = desk.new("12345", "ordinary", external_no="I", received="2026-11-02T08:30")
    desk.to_department(a)
    desk.to_department(i, "yanglao")
    desk.ok("李强", Accept(a))
    clock.set("2026-11-03T10:00")
    _reply(desk, a)
    c = desk.new("962200", external_no="C", received="2026-11-03T09:50", content="咨询养老补贴")
    desk.ok("王芳", AnswerAtOnce(c, "向街道社区事务受理中心申请。"))
    clock.set("2026-11-04T10:00")
    _close_12345(desk, a)
    assert not [d for d in _tick(desk, clock, "2026-11-09T08:00").duties if "W46" in d]  # not before 08:30
    duties = _tick(desk, clock, "2026-11-09T08:30").duties
    assert {"scoreboard:2026-W46", "spot_check:2026-W46", "verification:2026-W46"} <= set(duties)
    assert not [d for d in _tick(desk, clock, "2026-11-09T09:00").duties if "W46" in d]  # once a week
    boards = _sent(desk, "scoreboard")
    assert len([b for b in boards if b[0] == "department_group"]) == 3  # every department group
    assert len([b for b in boards if b[0] == "member"]) == 3  # every business leader: 陈刚, 钱进, 吴军
    text = boards[0][3]
    # 社会救助科: A accepted on time, closed 11-04 by its 办结时效 11-11, 满意 and 实际解决, not sent back,
    # no 回访, reply approved one working day after dispatch, nothing overdue
    assert "社会救助科：1 / 100% / 100% / 100% / 100% / 0% / 0% / 1.0 / 0" in text
    # 养老服务科: I's acceptance due 11-03 still open (late); its 办结时效 11-11 not reached yet
    assert "养老服务科：1 / 0% / — / — / — / — / — / — / 1" in text
    assert "全局：3 件，按时签收率 50%，按时办结率 100%" in text  # A and C closed in time; I not yet due
    (spot,) = _sent(desk, "spot_check")
    assert spot[0] == "office_group" and "随机抽取 2 件" in spot[3]  # only A and C were closed that week
    assert "13812345678" not in spot[3] and "张三" not in spot[3]
    leaders = _sent(desk, "problem_summary")
    assert len(leaders) == 2 and "暂无" in leaders[0][3]  # 孙伟 and 郑华; nothing dissatisfied or unreplied yet


def test_the_verification_report_lists_unreplied_tickets(month, clock):
    """At 11-30 18:00 (a Monday): B is 不满意 at 回访 and its report, due 11-17, not yet made; 未回复工单:
    E's reply (due 11-13), I's (due 11-26) and B's 督办 reply (created 11-13, 10 working days: 11-27);
    G's reply is due tonight, not yet late."""
    desk = month
    _tick(desk, clock, "2026-11-30T18:00")
    (_, _, _, text), _ = _sent(desk, "problem_summary")
    assert "（4 件）" in text
    assert text.count("未回复工单 · 答复已逾期") == 3
    assert "社会救助科 · 不满意 · 待科室报告 · <b>逾期未回复</b>" in text
