"""Every message the workflow queues renders, and none shows personal data in a group."""

from __future__ import annotations

from importlib import resources

from bot.views import render_outbox
from bot.workflow import (
    Accept,
    AcknowledgeEmergency,
    AddAssist,
    AddAssistPart,
    ApplyHotlineExtension,
    ApproveExtension,
    ApproveImmediateAnswer,
    ApproveReply,
    ApproveReturn,
    ApproveSignoff,
    AskReturn,
    CompleteReturn,
    CreateSupervision,
    DismissSupervision,
    DraftImmediateAnswer,
    EvidenceIn,
    FailReview,
    GrantHotlineExtension,
    PassReview,
    ProposeSupervision,
    Reassign,
    ReassignOnReturn,
    RecordCitySystem,
    RecordFollowUp,
    RecordMail,
    RecordPlatformReply,
    RejectImmediateAnswer,
    RejectReply,
    RejectReturn,
    RejectSignoff,
    RejectSignoffRedo,
    ReplySupervision,
    RequestExtension,
    RequestRepeatClosure,
    ReturnProblemReport,
    ScheduleVisit,
    SendAcceptanceNotice,
    SignProblemReport,
    SubmitApprovalForm,
    SubmitFinalReply,
    SubmitProblemReport,
    SubmitReply,
    Urge,
    VerifyProblemReport,
)
from storage import queries
from tests.helpers.desk import Desk

PHONE, HOUSE, NAME = "13900001111", "涞寅路88号6室", "欧阳明月"


def every_path(desk: Desk) -> None:
    person = {"citizen_name": NAME, "phone": PHONE, "address": "九亭镇" + HOUSE,
              "content": f"来电人{NAME}（{PHONE}）反映低保问题<script>alert(1)</script>"}
    p = desk.new("petition", **person, external_no="P1")
    at_once = desk.new("962200", **person, external_no="N-AT-ONCE")  # 即办件, reviewed (办法 第十四条)
    desk.ok("王芳", DraftImmediateAnswer(at_once, f"已向{NAME}说明申请条件"))
    desk.ok("孙伟", RejectImmediateAnswer(at_once, "补充政策依据"))
    desk.ok("王芳", DraftImmediateAnswer(at_once, "依据《上海市社会救助办法》已说明申请条件"))
    desk.ok("孙伟", ApproveImmediateAnswer(at_once))
    desk.to_department(p)
    desk.accepted_with_reply(p)
    desk.ok("陈刚", RejectReply(p, "补充依据"))
    desk.ok("李强", SubmitReply(p))
    desk.ok("陈刚", ApproveReply(p))
    desk.ok("王芳", FailReview(p, ("缺少满意度",)))
    desk.ok("李强", SubmitReply(p))
    desk.ok("陈刚", ApproveReply(p))
    desk.ok("王芳", PassReview(p))
    desk.ok("王芳", SubmitFinalReply(p))
    desk.ok("孙伟", RejectSignoff(p, "格式"))
    desk.ok("王芳", SubmitFinalReply(p))
    desk.ok("孙伟", RejectSignoffRedo(p, "事实不清"))
    desk.ok("李强", SubmitReply(p))
    desk.ok("陈刚", ApproveReply(p))
    desk.ok("王芳", PassReview(p))
    desk.ok("王芳", SubmitFinalReply(p, {"letter.findings": "经查属实"}))
    desk.ok("孙伟", ApproveSignoff(p))
    desk.ok("王芳", SendAcceptanceNotice(p, "in_person"))
    desk.ok("王芳", RecordCitySystem(p, "SH-1"))
    desk.ok("王芳", RecordMail(p, "XA1"))
    h = desk.new("12345", "threat", **person, external_no="H1", city_urged=True)
    desk.to_department(h)
    desk.accepted_with_reply(h)
    desk.ok("陈刚", ApproveReply(h))
    desk.ok("王芳", PassReview(h))
    desk.ok("王芳", SubmitApprovalForm(h))
    desk.ok("孙伟", ApproveSignoff(h))
    desk.ok("王芳", RecordPlatformReply(h))
    n = desk.new("962200", **person, external_no="N1", emergency=True)
    desk.to_department(n, contact=False)
    desk.ok("李强", AskReturn(n, "不属本科", (EvidenceIn("document", "BQAD"),)))
    desk.ok("陈刚", RejectReturn(n, "请办理"))
    desk.ok("李强", AskReturn(n, "不属本科", (EvidenceIn("document", "BQAD"),)))
    desk.ok("陈刚", ApproveReturn(n))
    desk.ok("王芳", CompleteReturn(n))
    desk.ok("郑华", AcknowledgeEmergency(n))
    x = desk.new("12345", "ordinary", **person, external_no="X1")
    desk.to_department(x)
    desk.ok("李强", Accept(x))
    desk.ok("李强", RequestExtension(x, 2, "需核查"))
    desk.ok("陈刚", ApproveExtension(x))  # past the 办结时效: the office applies to the 区热线办
    desk.ok("王芳", ApplyHotlineExtension(x))
    desk.ok("王芳", GrantHotlineExtension(x))
    desk.ok("王芳", ScheduleVisit(x, "明天 14:00", "王芳、李强"))
    photo = (EvidenceIn("photo", "AgAC"),)
    desk.ok("王芳", RecordFollowUp(p, "city", "dissatisfied"))
    desk.ok("李强", SubmitProblemReport(p, "市民要求超出政策", "已三次上门解释", photo))
    desk.ok("陈刚", ReturnProblemReport(p, "请补充会议纪要"))
    desk.ok("李强", SubmitProblemReport(p, "市民要求超出政策", "已三次上门解释并附会议纪要", photo))
    desk.ok("陈刚", SignProblemReport(p))
    desk.ok("王芳", VerifyProblemReport(p, "属实，科室已履职"))
    desk.ok("王芳", CreateSupervision(p))
    desk.ok("李强", ReplySupervision(p, "已再次上门沟通"))
    desk.ok("王芳", RequestRepeatClosure(x))
    desk.ok("李强", SubmitProblemReport(x, "反映事项不属实", "已核查台账", photo))
    desk.ok("陈刚", SignProblemReport(x))
    desk.ok("王芳", VerifyProblemReport(x))
    q = desk.new("12345", "ordinary", **person, external_no="Q1")
    desk.to_department(q, "quhua")
    desk.accepted_with_reply(q, handler="冯涛")
    # inside the bureau: 协办, 催办, 改派 (by the office and on a return request), a dismissed 督办建议
    r = desk.new("12345", "ordinary", **person, external_no="R1")
    desk.to_department(r)
    desk.ok("王芳", AddAssist(r, desk.departments["yanglao"]))
    desk.ok("李强", Accept(r))
    desk.ok("周丽", AddAssistPart(r, f"{NAME}的养老补贴已核实"))
    desk.ok("郑华", Urge(r))
    desk.ok("王芳", Reassign(r, desk.departments["quhua"]))
    desk.ok("冯涛", AskReturn(r, "不属本科", (EvidenceIn("document", "BQAD"),)))
    desk.ok("王芳", ProposeSupervision(r, "请说明"))
    desk.ok("王芳", DismissSupervision(r, "已批准延期"))
    s2 = desk.new("12345", "ordinary", **person, external_no="R2")
    desk.to_department(s2)
    desk.ok("李强", AskReturn(s2, "不属本科", (EvidenceIn("document", "BQAD"),)))
    desk.ok("陈刚", ReassignOnReturn(s2, desk.departments["yanglao"]))


def test_every_template_renders_and_groups_never_see_personal_data(desk):
    every_path(desk)
    used = set()
    with desk.db.session() as session:
        rows = queries.outbox_of(session)
        assert rows
        for row in rows:
            used.add(row.template)
            text = render_outbox(session, row, desk.workflow.calc)
            assert text.strip(), row.template
            assert "<script>" not in text  # every citizen-supplied text is escaped
            if row.audience != "member":
                assert PHONE not in text and HOUSE not in text and NAME not in text, (row.template, text)
            elif "{% include" in (resources.files("templates") / "messages" / f"{row.template}.j2").read_text():
                assert PHONE in text and NAME in text  # leaders see full details in private chat
    shipped = {p.name[:-3] for p in (resources.files("templates") / "messages").iterdir()
               if p.name.endswith(".j2") and not p.name.startswith("_")}
    chat_only = {"ticket_detail", "listing", "join_request", "join_approved", "delivery_failed", "stats",
                 "weekly_stats", "scoreboard", "spot_check", "deadline_warnings", "digest", "sensitive_ask", "sensitive_remind",
                 "sensitive_daily", "visit_reminder", "visit_recorded", "burst", "kb_results", "problem_summary", "visit_due",
                     "history"}
    assert used == shipped - chat_only  # every workflow message has a template, and no template is dead


def test_ticket_card_shows_flags_first_and_deadlines_with_weekday(desk):
    t = desk.new("12345", "threat", city_urged=True, received="2026-09-29T09:00")
    desk.to_department(t)
    with desk.db.session() as session:
        card = next(r for r in queries.outbox_of(session, t) if r.template == "ticket_card")
        text = render_outbox(session, card, desk.workflow.calc)
    lines = text.splitlines()
    assert "即接即电话安抚" in lines[1] and "市级催办" in lines[2]
    assert "受理/退单：9月30日（周三）" in text
    assert "来电/来访：9月29日（周二）09:00" in text
    assert "138****5678" in text and "张*" in text
