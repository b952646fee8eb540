"""即办件 (办法 第十四条): the office answers at once, or drafts the answer for the 主管负责人."""

from __future__ import annotations

from bot.workflow import (
    AnswerAtOnce,
    ApproveImmediateAnswer,
    ApproveSignoff,
    Dispatch,
    DraftImmediateAnswer,
    RejectImmediateAnswer,
)


def test_answered_at_once_closes_as_immediate(desk):
    t = desk.new("962200", external_no="N1", content="咨询高龄津贴申请")
    assert desk.do("王芳", AnswerAtOnce(t, "  ")).refusal.code == "missing"
    assert desk.do("李强", AnswerAtOnce(t, "可申请")).refusal.code == "role"
    desk.ok("王芳", AnswerAtOnce(t, "年满65周岁可向街道社区事务受理中心申请。"))
    ticket = desk.ticket(t)
    assert (ticket.status, ticket.handling_class, ticket.department_id) == ("closed", "immediate", None)
    assert ticket.platform_reply == "年满65周岁可向街道社区事务受理中心申请。"
    assert desk.open_stages(t) == set()  # nothing left to warn about


def test_a_12345_answer_goes_to_the_leader_first(desk):
    t = desk.new("12345", "consultation", external_no="H1")
    refused = desk.do("王芳", AnswerAtOnce(t, "可申请"))
    assert refused.refusal.code == "review" and "报审" in refused.refusal.message  # 规程 二(二)2
    desk.ok("王芳", DraftImmediateAnswer(t, "可申请"))
    assert desk.status(t) == "leader_signoff"
    to_leader = [r for r in desk.outbox(t) if r.template == "immediate_for_approval"]
    assert len(to_leader) == 1 and to_leader[0].audience == "member"
    # the 附件4 sign-off is not this one
    assert desk.do("孙伟", ApproveSignoff(t)).refusal.code == "invalid"
    desk.ok("孙伟", ApproveImmediateAnswer(t))
    assert (desk.status(t), desk.ticket(t).handling_class) == ("closed", "immediate")
    assert [r.context["approved"] for r in desk.outbox(t) if r.template == "immediate_decided"] == [True]


def test_a_sent_back_answer_is_received_again(desk, org):
    t = desk.new("962200", external_no="N2")
    desk.ok("王芳", DraftImmediateAnswer(t, "可申请"))
    assert desk.do("孙伟", RejectImmediateAnswer(t, " ")).refusal.code == "missing"
    desk.ok("孙伟", RejectImmediateAnswer(t, "请引用政策依据"))
    ticket = desk.ticket(t)
    assert (ticket.status, ticket.handling_class, ticket.platform_reply) == ("received", None, None)
    desk.ok("王芳", Dispatch(t, org["departments"]["jiuzhu"]))  # or handed to a department after all


def test_petitions_are_never_answered_at_once(desk):
    t = desk.new("petition", external_no="P1")
    assert desk.do("王芳", AnswerAtOnce(t, "已答复")).refusal.code == "channel"
    assert desk.do("王芳", DraftImmediateAnswer(t, "已答复")).refusal.code == "channel"
