"""Problem tickets (SPEC §5): follow-up, the dissatisfied and not-factual reports, repeats, supervision,
collaboration — transitions and refusals."""

from __future__ import annotations

from bot.workflow import (
    Accept,
    ApproveReply,
    CreateSupervision,
    EvidenceIn,
    HandBack,
    LinkTickets,
    PassReview,
    ProposeSupervision,
    RecordCollaboration,
    RecordFollowUp,
    RecordPlatformReply,
    ReplySupervision,
    RequestRepeatClosure,
    ReturnProblemReport,
    SignProblemReport,
    SubmitProblemReport,
    UnlinkTickets,
    VerifyProblemReport,
)
from storage import queries
from tests.helpers.scheduler import tick

PHOTO = (EvidenceIn("photo", "AgAC"),)


def closed_962200(desk, **kw):
    t = desk.new("962200", **kw)
    desk.to_department(t, contact=False)
    desk.accepted_with_reply(t)
    desk.ok("陈刚", ApproveReply(t))
    desk.ok("王芳", PassReview(t))
    desk.ok("王芳", RecordPlatformReply(t))
    return t


def test_dissatisfied_follow_up_opens_the_problem_track(desk):
    t = closed_962200(desk)
    assert desk.do("王芳", RecordFollowUp(t, "town", "dissatisfied")).refusal.code == "invalid"
    open_ticket = desk.new("12345", "ordinary", external_no="OPEN")
    assert desk.do("王芳", RecordFollowUp(open_ticket, "city", "dissatisfied")).refusal.code == "stale"
    desk.ok("王芳", RecordFollowUp(t, "city", "dissatisfied"))
    assert desk.ticket(t).satisfaction == "dissatisfied"
    assert "problem_report" in desk.open_stages(t) and "supervision_create" in desk.open_stages(t)
    templates = [m.template for m in desk.outbox(t)]
    assert templates.count("problem_request") == 2 and "supervision_proposed" in templates
    assert desk.do("王芳", RecordFollowUp(t, "district", "dissatisfied")).refusal.code == "invalid"  # one at a time

    missing = desk.do("李强", SubmitProblemReport(t, "要求超出政策", "三次上门", ()))
    assert missing.refusal.code == "missing" and missing.refusal.detail["missing"] == ["problem_evidence"]
    assert desk.do("周丽", SubmitProblemReport(t, "x", "y", PHOTO)).refusal.code == "department"
    assert desk.do("陈刚", SignProblemReport(t)).refusal.code == "stale"  # nothing submitted yet
    desk.ok("李强", SubmitProblemReport(t, "要求超出政策", "三次上门解释", PHOTO))
    assert "problem_report" not in desk.open_stages(t)
    assert desk.do("王芳", VerifyProblemReport(t)).refusal.code == "stale"  # not signed yet
    desk.ok("陈刚", ReturnProblemReport(t, "请附会议纪要"))
    assert "problem_report" in desk.open_stages(t)
    desk.ok("李强", SubmitProblemReport(t, "要求超出政策", "三次上门解释，附会议纪要", PHOTO))
    desk.ok("钱进", SignProblemReport(t))
    desk.ok("王芳", VerifyProblemReport(t, "科室已履职到位"))
    with desk.db.session() as session:
        (report, _), = queries.problems(session)
        assert (report.status, report.verification) == ("verified", "科室已履职到位")
        assert len(queries.attachments_of(session, t, "problem_evidence")) == 2


def test_repeats_are_found_across_channels_and_can_be_unlinked(desk):
    first = desk.new("petition", external_no="P1", citizen_name="赵六", phone="13600003333", address="中山中路1号",
                     content="反映父亲优抚待遇未按时发放")
    second = desk.new("12345", "ordinary", external_no="H1", citizen_name="赵六", phone="13900000000",
                      address="别处", content="再次反映父亲的优抚待遇没有按时发放")
    third = desk.new("962200", external_no="N1", citizen_name="钱七", phone="13600003333", content="咨询殡葬补贴")
    other = desk.new("12345", "ordinary", external_no="H2", citizen_name="孙八", phone="13700000000",
                     content="婚姻登记预约")
    assert not desk.ticket(first).repeat and not desk.ticket(other).repeat
    assert desk.ticket(second).repeat  # same name, similar content
    assert desk.ticket(third).repeat  # same phone
    with desk.db.session() as session:
        links = {(link.ticket_id, link.related_ticket_id): link.matched_on for link in queries.links_of(session, first)}
    assert links == {(second, first): ["citizen_name", "content"], (third, first): ["phone"]}
    assert [m.context["earlier"] for m in desk.outbox(third) if m.template == "repeat_found"] == [["SJMZ-2026-000001"]]
    desk.ok("王芳", UnlinkTickets(third, first))
    assert not desk.ticket(third).repeat
    assert desk.do("王芳", UnlinkTickets(third, first)).refusal.code == "invalid"
    desk.ok("王芳", LinkTickets(other, first))
    assert desk.ticket(other).repeat
    assert desk.do("李强", LinkTickets(other, second)).refusal.code == "role"


def test_a_not_factual_repeat_is_applied_to_close(desk):
    desk.new("12345", "ordinary", external_no="E1")
    t = desk.new("12345", "ordinary", external_no="E2")  # the same citizen (the desk's default phone)
    assert desk.ticket(t).repeat
    desk.to_department(t)
    assert desk.do("王芳", RequestRepeatClosure(t)).refusal.code == "stale"  # not accepted yet
    desk.ok("李强", Accept(t))
    desk.ok("王芳", RequestRepeatClosure(t))
    desk.ok("李强", SubmitProblemReport(t, "经核查所反映事项不属实", "调取台账、走访居委", PHOTO))
    desk.ok("陈刚", SignProblemReport(t))
    desk.ok("王芳", VerifyProblemReport(t))
    assert [m.template for m in desk.outbox(t)][-1] == "close_application"


def test_supervision_by_instruction_and_for_an_overdue_reply(desk, clock):
    t = desk.new("12345", "ordinary", received="2026-09-28T09:00")
    clock.set("2026-09-28T10:00")
    desk.to_department(t)
    assert desk.do("李强", ProposeSupervision(t, "请加快办理")).refusal.code == "role"
    assert desk.do("郑华", ProposeSupervision(t, " ")).refusal.code == "missing"
    desk.ok("郑华", ProposeSupervision(t, "请社会救助科三日内办结并报告"))
    assert desk.due(t, "supervision_create") == "2026-09-30T23:59:59+08:00"  # 2 working days
    assert desk.do("孙伟", ProposeSupervision(t, "再督")).refusal.code == "invalid"
    desk.ok("王芳", CreateSupervision(t))
    # 10 working days would be 10-16, after the ticket's 12345 办结时效 (10-13): capped at it (SPEC §9.2)
    assert desk.due(t, "supervision_reply") == "2026-10-13T23:59:59+08:00"
    assert desk.stages(t)["supervision_reply"].capped
    assert desk.do("周丽", ReplySupervision(t, "x")).refusal.code == "department"
    desk.ok("李强", ReplySupervision(t, "已办结并向市民答复"))
    assert "supervision_reply" not in desk.open_stages(t)
    assert [m.template for m in desk.outbox(t)][-1] == "supervision_replied"

    late = desk.new("12345", "ordinary", external_no="LATE", received="2026-09-28T09:00")
    clock.set("2026-09-28T10:00")
    desk.to_department(late)  # reply due 10-12 (6 working days), never answered
    assert not [d for d in tick(desk, clock, "2026-10-12T16:00").duties if d.startswith("supervise")]
    assert not [d for d in tick(desk, clock, "2026-10-13T07:00").duties if d.startswith("supervise")]  # not at night
    proposed = tick(desk, clock, "2026-10-13T09:00").duties
    assert f"supervise_overdue:{late}" in proposed
    assert not [d for d in tick(desk, clock, "2026-10-13T10:00").duties if d.startswith("supervise")]
    with desk.db.session() as session:
        assert queries.open_supervision(session, late).trigger == "overdue"


def test_collaboration_and_hand_back(desk):
    t = desk.new("12345", "ordinary", external_no="C1")
    assert desk.do("王芳", RecordCollaboration(t, " ")).refusal.code == "missing"
    desk.ok("王芳", RecordCollaboration(t, "区房管局", "电话协调，联系人王科长"))
    assert desk.ticket(t).handling_class == "collaboration" and desk.status(t) == "received"
    desk.ok("王芳", HandBack(t, "属住建部门职责，协调未果"))
    assert desk.status(t) == "returned" and desk.open_stages(t) == set()
    petition = desk.new("petition", external_no="C2")
    assert desk.do("王芳", HandBack(petition, "x")).refusal.code == "channel"
