"""Every transition and refusal of the workflow (SPEC §4), for the three channels."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot.workflow import (
    REGISTRY,
    Accept,
    ApproveReply,
    ApproveReturn,
    ApproveSignoff,
    AskReturn,
    CompleteReturn,
    CreateTicket,
    Dispatch,
    EvidenceIn,
    FailReview,
    OfficeReturn,
    PassReview,
    RecordCitySystem,
    RecordDeptContact,
    RecordFirstContact,
    RecordMail,
    RecordPlatformReply,
    RejectReply,
    RejectReturn,
    RejectSignoff,
    SaveReply,
    SendAcceptanceNotice,
    SubmitApprovalForm,
    SubmitFinalReply,
    SubmitReply,
)
from storage import queries
from tests.helpers.clock import local

PHOTO = EvidenceIn(kind="photo", file_id="AgACAgUAAxkBAAIB", file_unique_id="AQADx")


def statuses(desk, ticket_id):
    return [(e.action, e.from_status, e.to_status) for e in desk.events(ticket_id) if e.action != "refused"]


# --- whole paths ------------------------------------------------------------


def test_petition_from_intake_to_mailing(desk, clock):
    t = desk.new("petition", received="2026-09-29T09:00")
    assert desk.status(t) == "received"
    assert desk.due(t, "dispatch") == "2026-09-30T23:59:59+08:00"
    assert desk.ticket(t).internal_no == "SJMZ-2026-000001"

    clock.set("2026-09-29T11:00")
    desk.to_department(t)
    assert desk.status(t) == "dispatched"
    assert desk.due(t, "accept") == "2026-09-30T23:59:59+08:00"
    assert desk.due(t, "reply") == "2026-10-19T23:59:59+08:00"  # 10 working days from dispatch
    assert desk.stages(t)["dispatch"].completed_at is not None

    clock.set("2026-09-30T09:00")
    desk.ok("李强", Accept(t))
    assert desk.status(t) == "accepted" and desk.ticket(t).handler_id == desk.actors["李强"].member_id
    assert desk.due(t, "acceptance_notice") == "2026-10-08T23:59:59+08:00"  # over the National Day holiday
    desk.ok("王芳", SendAcceptanceNotice(t))
    assert "acceptance_notice" not in desk.open_stages(t)

    desk.ok("李强", SaveReply(t, {"contact_manner": "meeting", "fact_finding": "partly_true"}))
    desk.ok("李强", SaveReply(t, {"contact_time": desk.now(), "result": "explained", "basis": "《信访工作条例》",
                                 "satisfaction": "acknowledged",
                                 "letter": {"facts": "反映低保问题", "requests": "要求重新核定",
                                            "judgement": "对您重新核定的请求不予支持"}},
                                 evidence=(PHOTO,)))
    desk.ok("李强", SubmitReply(t))
    assert desk.status(t) == "reply_drafted"

    clock.set("2026-10-09T10:00")
    desk.ok("陈刚", ApproveReply(t))
    assert desk.status(t) == "dept_replied"
    assert desk.due(t, "final_reply") == "2026-10-10T23:59:59+08:00"  # the make-up Saturday
    assert "reply" not in desk.open_stages(t)

    desk.ok("王芳", PassReview(t))
    assert desk.status(t) == "final_reply"
    desk.ok("王芳", SubmitFinalReply(t, {"letter.findings": "您家庭收入已超过低保标准"}))
    assert desk.status(t) == "leader_signoff"
    assert "final_reply" not in desk.open_stages(t)
    desk.ok("孙伟", ApproveSignoff(t))
    assert desk.status(t) == "awaiting_mail"
    desk.ok("王芳", RecordCitySystem(t, "SH-XF-2026-88812"))  # 规程 二(一)3: 录入上海分系统, then mailed
    desk.ok("王芳", RecordMail(t, "XA123456789CN"))
    ticket = desk.ticket(t)
    assert ticket.city_system_ref == "SH-XF-2026-88812" and ticket.acceptance_notice_manner == "mail"
    assert ticket.status == "closed" and ticket.letter_no == "XA123456789CN" and ticket.closed_at is not None
    assert desk.open_stages(t) == set()
    assert [s for _, _, s in statuses(desk, t)] == [
        "received", "received", "dispatched", "accepted", "accepted", "accepted", "accepted", "reply_drafted",
        "dept_replied", "final_reply", "leader_signoff", "awaiting_mail", "awaiting_mail", "closed",
    ]


def test_12345_ordinary_from_intake_to_platform(desk, clock):
    t = desk.new("12345", "ordinary", received="2026-09-29T09:00", city_urged=True)
    assert desk.due(t, "overall") == "2026-10-14T23:59:59+08:00"
    clock.set("2026-09-29T15:00")
    desk.to_department(t, "yanglao")
    assert desk.due(t, "reply") == "2026-10-13T23:59:59+08:00"  # 6 working days from dispatch
    desk.accepted_with_reply(t, "周丽")
    desk.ok("吴军", ApproveReply(t))
    desk.ok("王芳", PassReview(t))
    assert desk.status(t) == "approval_form"
    desk.ok("王芳", SubmitApprovalForm(t, {"dispatch_opinion": "请养老服务科核实后答复"}))
    assert desk.status(t) == "leader_signoff"
    desk.ok("孙伟", ApproveSignoff(t))
    assert desk.status(t) == "platform_reply"
    desk.ok("王芳", RecordPlatformReply(t, "已报区热线办"))
    assert desk.status(t) == "closed"
    assert desk.open_stages(t) == set()
    assert desk.stages(t)["overall"].completed_at is not None
    with desk.db.session() as session:
        form = queries.latest_form(session, t)
        assert form.form == 4 and form.signed_by_id == desk.actors["孙伟"].member_id


@pytest.mark.parametrize(
    ("kind", "received", "overall_due"),
    [
        ("tagged", "2026-09-29T10:00", "2026-10-09T23:59:59+08:00"),
        ("review", "2026-09-29T10:00", "2026-10-09T23:59:59+08:00"),
        ("consultation", "2026-09-29T10:00", "2026-10-09T23:59:59+08:00"),
        ("threat", "2026-09-29T10:00", "2026-10-09T23:59:59+08:00"),
        ("suishenpai", "2026-10-03T10:00", "2026-10-06T23:59:59+08:00"),
        ("urgent", "2026-06-15T16:30", "2026-06-16T23:59:59+08:00"),
        ("epidemic", "2026-06-15T10:00", "2026-06-15T23:59:59+08:00"),
    ],
)
def test_12345_other_kinds_reply_by_the_overall_deadline(desk, clock, kind, received, overall_due):
    t = desk.new("12345", kind, received=received)
    clock.set(received)
    clock.advance(minutes=30)
    desk.to_department(t)
    assert desk.due(t, "overall") == overall_due
    assert desk.due(t, "reply") == overall_due
    ticket = desk.ticket(t)
    assert ticket.sensitive is (kind == "threat")
    assert desk.stages(t)["reply"].urgent is (kind in ("urgent", "epidemic"))


def test_threat_ticket_tells_the_department_to_calm_the_caller(desk):
    t = desk.new("12345", "threat")
    desk.to_department(t)
    desk.ok("李强", Accept(t))
    templates = [m.template for m in desk.outbox(t)]
    assert "calm_caller_now" in templates


def test_962200_from_intake_to_platform_reply(desk, clock):
    t = desk.new("962200", received="2026-09-29T09:00", service_category="community_life")
    clock.set("2026-09-29T10:00")
    desk.to_department(t, contact=False)  # 962200 is handed over without the office's first contact
    assert desk.due(t, "reply") == "2026-10-10T23:59:59+08:00"  # 4 working days
    assert desk.due(t, "dept_first_contact") == "2026-10-09T23:59:59+08:00"  # 3 working days
    desk.ok("李强", Accept(t))
    desk.ok("李强", RecordDeptContact(t))
    assert "dept_first_contact" not in desk.open_stages(t)
    desk.ok("李强", SaveReply(t, {**_full(desk)}))
    desk.ok("李强", SubmitReply(t))
    desk.ok("陈刚", ApproveReply(t))
    desk.ok("王芳", PassReview(t))
    assert desk.status(t) == "platform_reply"
    desk.ok("王芳", RecordPlatformReply(t, "平台已答复"))
    assert desk.status(t) == "closed"


def _full(desk):
    from tests.helpers.desk import FULL_REPLY

    return {**FULL_REPLY, "contact_time": desk.now()}


# --- returns ----------------------------------------------------------------


def test_office_returns_a_ticket_that_is_not_the_bureaus(desk, clock):
    t = desk.new("12345", "ordinary")
    clock.set("2026-09-29T14:00")
    refused = desk.do("王芳", OfficeReturn(t, reason="属区房管局职责", belongs_to=""))
    assert not refused.ok and refused.refusal.code == "missing" and "归属单位" in refused.refusal.message
    desk.ok("王芳", OfficeReturn(t, reason="属区房管局职责", belongs_to="区房管局"))
    assert desk.status(t) == "return_approved"
    assert desk.due(t, "return") == "2026-09-30T23:59:59+08:00"
    desk.ok("王芳", CompleteReturn(t, "已从12345平台退回"))
    assert desk.status(t) == "returned"
    assert desk.open_stages(t) == set()


def test_department_asks_to_return_and_the_leader_approves(desk, clock):
    t = desk.new("petition")
    desk.to_department(t)
    refused = desk.do("李强", AskReturn(t, reason="属法院诉讼程序"))
    assert refused.refusal.code == "missing" and "退单证明材料" in refused.refusal.message
    assert desk.status(t) == "dispatched"
    desk.ok("李强", AskReturn(t, reason="属法院诉讼程序，依法不予受理", evidence=(PHOTO,)))
    assert desk.status(t) == "return_requested"
    to_leaders = {m.member_id for m in desk.outbox(t) if m.template == "return_request"}
    assert to_leaders == {desk.actors["陈刚"].member_id, desk.actors["钱进"].member_id}
    refused = desk.do("吴军", ApproveReturn(t))  # the leader of another department
    assert refused.refusal.code == "department"
    clock.advance(hours=1)
    desk.ok("陈刚", ApproveReturn(t))
    assert desk.status(t) == "return_approved"
    # 规程 三(一): the office's return is due by the end of the whole path, timed from the request
    assert desk.open_stages(t) == {"return_path"}
    desk.ok("王芳", CompleteReturn(t))
    assert desk.status(t) == "returned"
    with desk.db.session() as session:
        assert queries.open_return(session, t) is None  # completed


def test_leader_rejects_the_return_request(desk):
    t = desk.new("12345", "ordinary")
    desk.to_department(t)
    desk.ok("李强", AskReturn(t, reason="不属我科", evidence=(PHOTO,)))
    refused = desk.do("陈刚", RejectReturn(t, comment=""))
    assert refused.refusal.code == "missing"
    desk.ok("陈刚", RejectReturn(t, comment="属我科职责，请受理办理"))
    assert desk.status(t) == "accepted"
    assert desk.ticket(t).handler_id == desk.actors["李强"].member_id
    assert "reply" in desk.open_stages(t)


# --- the redo loop and rejections --------------------------------------------


def test_redo_loop(desk):
    t = desk.new("12345", "ordinary")
    desk.to_department(t)
    desk.accepted_with_reply(t, satisfaction=None)
    desk.ok("陈刚", ApproveReply(t))
    reply_card = [m for m in desk.outbox(t) if m.template == "reply_for_review"][-1]
    assert reply_card.context["missing"] == ["satisfaction"]
    refused = desk.do("王芳", PassReview(t))
    assert refused.refusal.code == "missing" and "市民是否满意" in refused.refusal.message
    assert desk.do("王芳", FailReview(t, reasons=("  ",))).refusal.code == "missing"
    desk.ok("王芳", FailReview(t, reasons=("未写明市民是否满意",)))
    ticket = desk.ticket(t)
    assert ticket.status == "accepted" and ticket.redo_count == 1
    assert "reply" in desk.open_stages(t)
    with desk.db.session() as session:
        reply = queries.current_reply(session, t)
        assert reply.round == 2 and reply.status == "draft" and reply.basis == "《上海市社会救助办法》"
    desk.ok("李强", SaveReply(t, {"satisfaction": "satisfied"}))
    desk.ok("李强", SubmitReply(t))
    desk.ok("陈刚", ApproveReply(t))
    desk.ok("王芳", PassReview(t))
    assert desk.status(t) == "approval_form"


def test_business_leader_sends_the_reply_back(desk):
    t = desk.new("962200")
    desk.to_department(t, contact=False)
    desk.accepted_with_reply(t)
    assert desk.do("陈刚", RejectReply(t, comment=" ")).refusal.code == "missing"
    desk.ok("陈刚", RejectReply(t, comment="请补充政策依据"))
    assert desk.status(t) == "accepted"
    rejected = [m for m in desk.outbox(t) if m.template == "reply_rejected"]
    assert {m.audience for m in rejected} == {"department_group", "member"}
    desk.ok("李强", SubmitReply(t))
    assert desk.status(t) == "reply_drafted"


def test_petition_leader_sends_the_final_reply_back(desk):
    t = desk.new("petition")
    desk.to_department(t)
    desk.accepted_with_reply(t)
    desk.ok("陈刚", ApproveReply(t))
    desk.ok("王芳", PassReview(t))
    desk.ok("王芳", SubmitFinalReply(t))
    desk.ok("孙伟", RejectSignoff(t, comment="请修改答复格式"))
    assert desk.status(t) == "final_reply"
    desk.ok("王芳", SubmitFinalReply(t))
    desk.ok("孙伟", ApproveSignoff(t))
    assert desk.status(t) == "awaiting_mail"


# --- refusals ---------------------------------------------------------------


def test_refusals_by_role_department_status_and_channel(desk):
    t = desk.new("12345", "ordinary")
    assert desk.do("李强", Dispatch(t, desk.departments["jiuzhu"])).refusal.code == "role"
    missing = desk.do("王芳", Dispatch(t, desk.departments["jiuzhu"]))
    assert missing.refusal.code == "missing" and "先行联系记录" in missing.refusal.message
    assert desk.do("王芳", Dispatch(t, desk.departments["office"])).refusal.code == "invalid"
    desk.to_department(t)
    assert desk.do("王芳", Accept(t)).refusal.code == "role"
    assert desk.do("周丽", Accept(t)).refusal.code == "department"
    assert desk.do("郑华", Accept(t)).refusal.code == "role"
    assert desk.do(None, Accept(t)).refusal.code == "not_member"
    desk.ok("李强", Accept(t))
    double = desk.do("李强", Accept(t))
    assert double.refusal.code == "stale" and "办理中" in double.refusal.message
    assert desk.do("王芳", SendAcceptanceNotice(t)).refusal.code == "channel"
    assert desk.do("王芳", RecordMail(t, "X1")).refusal.code == "channel"
    assert desk.do("李强", SubmitReply(t)).refusal.code == "missing"
    desk.ok("李强", SaveReply(t, {"contact_manner": "phone"}))
    incomplete = desk.do("李强", SubmitReply(t))
    assert incomplete.refusal.code == "missing"
    assert incomplete.refusal.detail["missing"] == ["contact_time", "fact_finding", "result"]
    assert desk.do("李强", SaveReply(t, {"result": "perfect"})).refusal.code == "invalid"
    assert desk.do("李强", SaveReply(t, {"phone": "1"})).refusal.code == "invalid"
    assert desk.do("孙伟", ApproveReply(t)).refusal.code == "role"
    assert desk.do("王芳", Accept(999999)).refusal.code == "not_found"


def test_refusals_are_audited_and_change_nothing(desk):
    t = desk.new("12345", "ordinary")
    desk.to_department(t)
    before = desk.ticket(t)
    desk.do("周丽", Accept(t))
    after = desk.ticket(t)
    assert (after.status, after.version) == (before.status, before.version)
    refused = [e for e in desk.events(t) if e.action == "refused"]
    assert len(refused) == 1
    assert refused[0].payload["command"] == "accept" and refused[0].payload["code"] == "department"
    assert refused[0].actor_id == desk.actors["周丽"].member_id


def test_an_error_halfway_leaves_no_trace(desk, monkeypatch):
    t = desk.new("12345", "ordinary")
    desk.to_department(t)
    events, outbox = len(desk.events(t)), len(desk.outbox(t))

    def boom(*args, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setitem(REGISTRY, Accept, dataclasses.replace(REGISTRY[Accept], effect=boom))
    with pytest.raises(RuntimeError):
        desk.do("李强", Accept(t))
    assert desk.status(t) == "dispatched"
    assert len(desk.events(t)) == events and len(desk.outbox(t)) == outbox
    assert "accept" in desk.open_stages(t)


def test_compare_and_set_refuses_a_ticket_changed_since_it_was_read(desk):
    t = desk.new("12345", "ordinary")
    desk.to_department(t)
    stale = desk.ticket(t)  # read before the other press
    desk.ok("李强", Accept(t))
    with desk.db.session() as session:
        assert not queries.compare_and_set_status(session, stale, "accepted", desk.now())
    assert desk.ticket(t).version == stale.version + 1


def test_first_contact_not_reached(desk):
    t = desk.new("petition")
    missing = desk.do("王芳", RecordFirstContact(t, "not_contacted"))
    assert missing.refusal.code == "missing" and "未联原因" in missing.refusal.message
    assert desk.do("王芳", RecordFirstContact(t, "not_contacted", "other")).refusal.code == "missing"
    desk.ok("王芳", RecordFirstContact(t, "not_contacted", "switched_off"))
    ticket = desk.ticket(t)
    assert (ticket.contact_status, ticket.not_contacted_reason) == ("not_contacted", "switched_off")
    desk.ok("王芳", Dispatch(t, desk.departments["jiuzhu"]))


def test_department_without_a_leader_tells_the_office(desk):
    t = desk.new("12345", "ordinary")
    desk.to_department(t, "quhua")
    desk.ok("冯涛", AskReturn(t, reason="属区划调整事项，依法另行处理", evidence=(PHOTO,)))
    notices = [m for m in desk.outbox(t) if m.template == "no_recipient"]
    assert len(notices) == 1 and notices[0].audience == "office_group"
    assert notices[0].context["role"] == "business_leader"


# --- intake -----------------------------------------------------------------


def test_create_refusals_and_numbers(desk, clock):
    def create(**kw):
        values = {"channel": "12345", "external_no": "X1", "received_at": local("2026-09-29T09:00"),
                  "content": "内容", "kind": "ordinary"}
        values.update(kw)
        return desk.do("王芳", CreateTicket(**values))

    assert create(kind=None).refusal.code == "missing"
    assert create(kind="weekly").refusal.code == "missing"
    assert create(channel="petition", kind="ordinary").refusal.code == "invalid"
    assert create(external_no=" ").refusal.code == "missing"
    assert create(content="").refusal.code == "missing"
    assert desk.do("李强", CreateTicket("12345", "X1", local("2026-09-29T09:00"), "内容", "ordinary")).refusal.code == "role"
    first = create()
    assert first.ok and first.internal_no == "SJMZ-2026-000001"
    again = create()
    assert again.refusal.code == "duplicate" and "SJMZ-2026-000001" in again.refusal.message
    # the same external number in another channel is another ticket
    assert create(channel="962200", kind=None).internal_no == "SJMZ-2026-000002"
    clock.set("2027-01-04T09:00")
    assert create(external_no="X2").internal_no == "SJMZ-2027-000001"


def test_fallback_is_carried_to_the_ticket(desk, clock):
    clock.set("2026-12-28T10:00")
    t = desk.new("12345", "ordinary", received="2026-12-28T09:00")
    ticket = desk.ticket(t)
    assert ticket.calendar_fallback is True
    assert desk.stages(t)["overall"].calendar_fallback is True
    assert desk.stages(t)["dispatch"].calendar_fallback is False  # due 12-29


def test_emergency_at_intake_alerts_the_office(desk):
    t = desk.new("962200", emergency=True)
    alerts = [m for m in desk.outbox(t) if m.template == "emergency_alert"]
    assert [m.audience for m in alerts].count("office_group") == 1 and all(m.urgent for m in alerts)
    assert len([m for m in alerts if m.audience == "member"]) == 5  # every leader


# --- privacy ----------------------------------------------------------------


def test_no_personal_data_in_any_queued_message(desk):
    t = desk.new("12345", "ordinary", citizen_name="李四", phone="13900001111", address="九亭镇涞寅路88号")
    desk.to_department(t)
    desk.accepted_with_reply(t)
    desk.ok("陈刚", ApproveReply(t))
    rows = desk.outbox(t)
    assert rows
    for row in rows:
        blob = json.dumps(row.context, ensure_ascii=False)
        assert "13900001111" not in blob and "涞寅路88号" not in blob and "李四" not in blob


def test_not_factual_needs_the_work_done_and_evidence(desk):
    t = desk.new("12345", "ordinary")
    desk.to_department(t)
    desk.ok("李强", Accept(t))
    desk.ok("李强", SaveReply(t, {**_full(desk), "result": "not_true", "summary": ""}))
    refused = desk.do("李强", SubmitReply(t))
    assert refused.refusal.code == "missing"
    assert refused.refusal.detail["missing"] == ["work_done", "evidence"]
    desk.ok("李强", SaveReply(t, {"summary": "经实地核查，所反映情况不属实"}, evidence=(PHOTO,)))
    desk.ok("李强", SubmitReply(t))
    desk.ok("陈刚", ApproveReply(t))
    assert desk.status(t) == "dept_replied"


def test_too_high_demand_cannot_be_approved_without_evidence(desk, db):
    t = desk.new("12345", "ordinary")
    desk.to_department(t)
    desk.ok("李强", Accept(t))
    desk.ok("李强", SaveReply(t, {**_full(desk), "result": "too_high", "summary": "已多次解释政策"}, evidence=(PHOTO,)))
    desk.ok("李强", SubmitReply(t))
    with db.session() as session:  # the evidence was withdrawn after submission
        for attachment in queries.attachments_of(session, t):
            session.delete(attachment)
    refused = desk.do("陈刚", ApproveReply(t))
    assert refused.refusal.code == "missing" and "佐证材料" in refused.refusal.message


def test_extension_asked_approved_and_followed(desk, clock):
    from bot.workflow import ApproveExtension, RejectExtension, RequestExtension

    t = desk.new("petition", received="2026-09-29T09:00")  # no 办结时效: the bureau's own 延期 moves the reply
    clock.set("2026-09-29T10:00")
    desk.to_department(t)
    desk.ok("李强", Accept(t))
    assert desk.due(t, "reply") == "2026-10-19T23:59:59+08:00"
    assert desk.do("李强", RequestExtension(t, 0, "x")).refusal.code == "invalid"
    assert desk.do("李强", RequestExtension(t, 11, "x")).refusal.code == "invalid"
    assert desk.do("李强", RequestExtension(t, 3, " ")).refusal.code == "missing"
    assert desk.do("周丽", RequestExtension(t, 3, "需街道配合核查")).refusal.code == "department"
    desk.ok("李强", RequestExtension(t, 3, "需街道配合核查"))
    assert desk.do("李强", RequestExtension(t, 2, "再延")).refusal.code == "invalid"  # one at a time
    assert [m.member_id for m in desk.outbox(t) if m.template == "extension_request"] == [
        desk.actors["陈刚"].member_id, desk.actors["钱进"].member_id]
    assert desk.do("李强", ApproveExtension(t)).refusal.code == "role"
    desk.ok("陈刚", ApproveExtension(t))
    assert desk.due(t, "reply") == "2026-10-22T23:59:59+08:00"  # three more working days
    assert desk.do("钱进", ApproveExtension(t)).refusal.code == "stale"  # decided already
    assert desk.stages(t)["reply"].original_due_at is not None
    # a second request, refused
    desk.ok("李强", RequestExtension(t, 2, "还需时间"))
    assert desk.do("陈刚", RejectExtension(t, " ")).refusal.code == "missing"
    desk.ok("陈刚", RejectExtension(t, "请按期办结"))
    assert desk.due(t, "reply") == "2026-10-22T23:59:59+08:00"


def test_an_extension_past_the_12345_deadline_goes_to_the_district_hotline_office(desk, clock):
    """SPEC §9.2: the reply never passes the 办结时效; the application to the 区热线办 and its answer are
    recorded, and only a grant moves the 办结时效 (and the reply with it)."""
    from bot.workflow import (
        ApplyHotlineExtension,
        ApproveExtension,
        GrantHotlineExtension,
        RefuseHotlineExtension,
        RequestExtension,
    )

    t = desk.new("12345", "ordinary", received="2026-09-29T09:00")
    clock.set("2026-09-29T10:00")
    desk.to_department(t)
    desk.ok("李强", Accept(t))
    assert desk.due(t, "reply") == "2026-10-13T23:59:59+08:00" and desk.due(t, "overall") == "2026-10-14T23:59:59+08:00"
    outcome = desk.ok("李强", RequestExtension(t, 3, "需街道配合核查"))
    assert outcome.messages[0].context["over_overall"] is True
    desk.ok("陈刚", ApproveExtension(t))
    reply = desk.stages(t)["reply"]
    assert desk.due(t, "reply") == "2026-10-14T23:59:59+08:00" and reply.capped  # as far as the 办结时效, no further
    assert desk.due(t, "overall") == "2026-10-14T23:59:59+08:00"
    needed = [m for m in desk.outbox(t) if m.template == "hotline_extension_needed"]
    assert len(needed) == 1 and needed[0].audience == "office_group"
    # nothing more from the bureau while the 区热线办 has not answered
    assert desk.do("李强", RequestExtension(t, 1, "再延")).refusal.code == "hotline_pending"
    assert desk.do("王芳", GrantHotlineExtension(t)).refusal.code == "stale"  # not applied for yet
    assert desk.do("李强", ApplyHotlineExtension(t)).refusal.code == "role"
    desk.ok("王芳", ApplyHotlineExtension(t))
    assert desk.do("王芳", GrantHotlineExtension(t, "10月14日")).refusal.code == "invalid"  # not later
    assert desk.do("王芳", GrantHotlineExtension(t, "下周")).refusal.code == "invalid"
    desk.ok("王芳", GrantHotlineExtension(t, "10月15日"))  # it granted one day of the three
    assert desk.due(t, "overall") == "2026-10-15T23:59:59+08:00"
    assert desk.due(t, "reply") == "2026-10-15T23:59:59+08:00"
    assert desk.ticket(t).overall_due_at == desk.stages(t)["overall"].due_at
    assert desk.stages(t)["overall"].original_due_at is not None
    # again past the new 办结时效, refused this time: the dates stay
    desk.ok("李强", RequestExtension(t, 2, "仍需核查"))
    desk.ok("陈刚", ApproveExtension(t))
    desk.ok("王芳", ApplyHotlineExtension(t))
    assert desk.do("王芳", RefuseHotlineExtension(t, " ")).refusal.code == "missing"
    desk.ok("王芳", RefuseHotlineExtension(t, "不符合延期条件"))
    assert desk.due(t, "overall") == "2026-10-15T23:59:59+08:00" and desk.due(t, "reply") == "2026-10-15T23:59:59+08:00"
    decided = [m for m in desk.outbox(t) if m.template == "hotline_extension_decided"]
    assert [m.context["granted"] for m in decided] == [True, True, False, False]  # department and office


def test_an_extension_within_the_12345_deadline_needs_no_application(desk, clock):
    from bot.workflow import ApproveExtension, RequestExtension

    t = desk.new("12345", "ordinary", received="2026-09-29T09:00")
    clock.set("2026-09-29T10:00")
    desk.to_department(t)
    desk.ok("李强", Accept(t))
    desk.ok("李强", RequestExtension(t, 1, "需街道配合核查"))
    desk.ok("陈刚", ApproveExtension(t))
    assert desk.due(t, "reply") == "2026-10-14T23:59:59+08:00" and not desk.stages(t)["reply"].capped
    assert "hotline_extension_needed" not in [m.template for m in desk.outbox(t)]


def test_no_extension_once_the_deadline_passed(desk, clock):
    from bot.workflow import RequestExtension

    t = desk.new("962200", received="2026-09-29T09:00")
    clock.set("2026-09-29T10:00")
    desk.to_department(t, contact=False)
    desk.ok("李强", Accept(t))
    clock.set("2026-10-12T09:00")  # reply was due 10-10
    refused = desk.do("李强", RequestExtension(t, 2, "来不及"))
    assert refused.refusal.code == "too_late" and "期限已过" in refused.refusal.message
