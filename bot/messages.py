"""Every kind of message the bot queues, in one table: its template, where it may go, its buttons,
whether a burst may merge it, and the files that go with it.

A kind's template is `templates/messages/<name>.j2`. Buttons are data here: a button
presses an action (callback data `t:<action>:<ticket id>`, readable and still
meaningful after a restart), or opens the private chat (`?start=<link><ticket id>`),
or offers one button per choice of a labels group (`<prefix>:<ticket id>:<choice>`).
Which actions settle a kind's buttons is declared on the actions (bot/workflow).
Delivery renders from this table; nothing else lists buttons or files per message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.domain import Audience, Channel, Status

OFFICE, DEPARTMENT, MEMBER = Audience.OFFICE_GROUP, Audience.DEPARTMENT_GROUP, Audience.MEMBER
GROUPS = frozenset({OFFICE, DEPARTMENT})
ANYWHERE = frozenset({OFFICE, DEPARTMENT, MEMBER})


@dataclass(frozen=True)
class Button:
    label: str  # key of labels.button ("" for `each`: the choices' own labels)
    press: str | None = None  # an action's press name: t:<press>:<id>
    link: str | None = None  # a deep link into the private chat: ?start=<link><id>
    each: str | None = None  # one button per choice of this labels group: <data>:<id>:<choice>
    data: str | None = None  # the callback prefix of `each` and `value`
    value: str | None = None  # a fixed choice: <data>:<id>:<value>
    id_key: str = "ticket_id"  # the context key whose value is the <id>
    per_row: int = 0  # `each` in rows of this many (0: one row)
    items: str | None = None  # with `link`: one button per item of this context list, named by its internal_no
    when: Callable[[dict], bool] | None = None  # shown only when the message's context says so


@dataclass(frozen=True)
class MessageKind:
    name: str
    audiences: frozenset[str]
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows
    merge: bool = True  # may be merged into one list when a group has a burst waiting
    form_in_text: Callable[[str, dict], int] | None = None  # (channel, context) -> the form shown in the text
    files: Callable[[dict], list[int]] | None = None  # context -> forms sent as .docx before the text
    chart: bool = False  # the statistics chart goes with it
    summary: bool = False  # the problem-ticket summary .docx goes with it
    tags: frozenset[str] = field(default_factory=frozenset)
    # the evidence shown with it, in private chat only (whoever decides sees what they decide on):
    # context -> (attachment purpose, the id of the request, reply or report it belongs to)
    evidence: Callable[[dict], tuple[str, int | None]] | None = None
    outlives_status: bool = False  # its buttons stay when the ticket's status moves (only its action settles them)
    rounds: bool = False  # 前几轮意见: who sent the reply back before, and their words (bot/views.py earlier_rounds)


def _reply_form(channel: str, context: dict) -> int:
    """附件2 for a petition, 附件3 for the hotlines."""
    return 2 if channel == Channel.PETITION else 3


def _signed_form(channel: str, context: dict) -> int:
    return int(context["form"])


def row(*buttons: Button) -> tuple[Button, ...]:
    return buttons


WRITE_REPLY = Button("write_reply", link="r")

# Buttons shown without a queued message of their own: the group card once accepted (the department's
# next steps), the follow-up levels offered on /ticket of a closed ticket, the reply form's link.
BUTTON_SETS = {
    "after_accept": (row(WRITE_REPLY), row(Button("request_extension", "request_extension"),
                                           Button("ask_return", "ask_return")),
                     # 办法 第十五条: the 962200 department's contact within 3 working days; 规程 二(二)3(2) 扬言
                     row(Button("record_dept_contact", "record_dept_contact", when=lambda c: c.get("channel") == "962200"),
                         Button("record_calming_call", "record_calming_call", when=lambda c: bool(c.get("calming"))))),
    "follow_up": (row(Button("", each="follow_up_level", data="fu")),),
    "write_reply": (row(WRITE_REPLY),),
}

KINDS: dict[str, MessageKind] = {k.name: k for k in (
    # intake and dispatch
    MessageKind("ticket_card", frozenset({DEPARTMENT}),
                (row(Button("accept", "accept"), Button("ask_return", "ask_return")),)),
    MessageKind("repeat_found", frozenset({OFFICE})),
    MessageKind("accepted", frozenset({OFFICE}),
                (row(Button("acceptance_notice", "send_acceptance_notice", when=lambda c: bool(c.get("notice_due"))),
                     Button("hand_acceptance_notice", "hand_acceptance_notice",
                            when=lambda c: bool(c.get("notice_due")))),),
                files=lambda c: [6] if c.get("notice_due") else [],  # the 受理告知书 to print
                outlives_status=True),  # its buttons stay until the notice is recorded, whatever the reply does
    MessageKind("calm_caller_now", frozenset({DEPARTMENT}), (row(Button("record_calming_call", "record_calming_call")),),
                outlives_status=True),
    # returns
    MessageKind("return_request", frozenset({MEMBER}),
                (row(Button("approve_return", "approve_return"), Button("reject_return", "reject_return")),
                 row(Button("reassign_return", "reassign_return"))),
                evidence=lambda c: ("return_evidence", c.get("return_id"))),
    MessageKind("return_approved", frozenset({OFFICE}), (row(Button("complete_return", "complete_return")),)),
    MessageKind("return_decided", frozenset({DEPARTMENT}),
                (row(Button("write_reply", link="r", when=lambda c: not c.get("approved"))),)),
    MessageKind("returned", frozenset({DEPARTMENT})),
    # reply and approval
    MessageKind("reply_for_approval", frozenset({MEMBER}),
                (row(Button("approve", "approve_reply"), Button("reject", "reject_reply")),),
                form_in_text=_reply_form, files=lambda context: [1],
                # every round's: a redo starts from a copy of the reply, its evidence stays with the first
                evidence=lambda c: ("reply_evidence", None), rounds=True),
    MessageKind("reply_rejected", ANYWHERE, (row(WRITE_REPLY),)),
    MessageKind("reply_approved", frozenset({DEPARTMENT})),
    # review and closing
    MessageKind("reply_for_review", frozenset({OFFICE}),
                (row(Button("pass_review", "pass_review"), Button("fail_review", "fail_review")),
                 row(Button("fail_review_style", "fail_review_style", when=lambda c: bool(c.get("style"))))),
                form_in_text=_reply_form, rounds=True),
    MessageKind("redo", ANYWHERE, (row(WRITE_REPLY),)),
    MessageKind("approval_form_due", frozenset({OFFICE}),
                (row(Button("approval_form", "submit_approval_form")),)),
    MessageKind("final_reply_due", frozenset({OFFICE}), (row(Button("final_reply", "submit_final_reply")),)),
    MessageKind("signoff_request", frozenset({MEMBER}),
                (row(Button("approve", "approve_signoff"), Button("reject_format", "reject_signoff"),
                     Button("reject_redo", "reject_signoff_redo")),),
                form_in_text=_signed_form, files=lambda context: [int(context["form"])],
                evidence=lambda c: ("reply_evidence", None), rounds=True),
    MessageKind("signoff_rejected", frozenset({OFFICE})),
    MessageKind("mail_due", frozenset({OFFICE}), (row(Button("record_city_system", "record_city_system")),)),
    MessageKind("city_system_entered", frozenset({OFFICE}), (row(Button("record_mail", "record_mail")),)),
    MessageKind("platform_reply_due", frozenset({OFFICE}),
                (row(Button("platform_reply", "record_platform_reply")),)),
    MessageKind("closed", frozenset({DEPARTMENT})),
    # 即办件 (办法 第十四条): an answer the office drafted, for the 主管负责人
    MessageKind("immediate_for_approval", frozenset({MEMBER}),
                (row(Button("approve", "approve_immediate_answer"), Button("reject", "reject_immediate_answer")),)),
    MessageKind("immediate_decided", frozenset({OFFICE})),
    # problem tickets
    MessageKind("problem_request", ANYWHERE, (row(Button("submit_problem_report", "submit_problem_report")),), outlives_status=True),
    MessageKind("problem_returned", frozenset({DEPARTMENT}),
                (row(Button("submit_problem_report", "submit_problem_report")),), outlives_status=True),
    MessageKind("problem_for_signature", frozenset({MEMBER}),
                (row(Button("sign", "sign_problem_report"), Button("reject", "return_problem_report")),),
                evidence=lambda c: ("problem_evidence", c.get("problem_id")), outlives_status=True),
    MessageKind("problem_for_verification", frozenset({OFFICE}),
                (row(Button("verify", "verify_problem_report")),), outlives_status=True),
    MessageKind("close_application", frozenset({OFFICE}), files=lambda context: [5]),
    MessageKind("problem_summary", frozenset({MEMBER}), merge=False, summary=True),
    # supervision
    MessageKind("supervision_proposed", frozenset({OFFICE}),
                (row(Button("create_supervision", "create_supervision"),
                     Button("dismiss_supervision", "dismiss_supervision")),), outlives_status=True),
    MessageKind("supervision_card", frozenset({DEPARTMENT}),
                (row(Button("reply_supervision", "reply_supervision")),), outlives_status=True),
    MessageKind("supervision_replied", frozenset({OFFICE})),
    MessageKind("supervision_dismissed", frozenset({OFFICE})),
    # inside the bureau: 改派, 协办, 催办
    MessageKind("reassigned", GROUPS),
    MessageKind("assist_card", frozenset({DEPARTMENT}), (row(Button("add_assist_part", "add_assist_part")),),
                outlives_status=True),
    MessageKind("assist_added", frozenset({DEPARTMENT})),
    MessageKind("assist_part_added", frozenset({DEPARTMENT, MEMBER}),
                evidence=lambda c: ("assist_evidence", c.get("assist_id"))),
    MessageKind("urged", frozenset({DEPARTMENT, MEMBER})),
    # emergencies, sensitive tickets, visits
    MessageKind("emergency_alert", ANYWHERE, (row(Button("acknowledge", "acknowledge_emergency")),), merge=False, outlives_status=True),
    MessageKind("emergency_acknowledged", frozenset({OFFICE})),
    MessageKind("sensitive_ask", frozenset({DEPARTMENT}), (row(Button("daily_report", "record_daily_report")),), outlives_status=True),
    MessageKind("sensitive_remind", frozenset({DEPARTMENT}),
                (row(Button("daily_report", "record_daily_report")),), outlives_status=True),
    MessageKind("sensitive_daily", frozenset({OFFICE}), merge=False),
    MessageKind("visit_reminder", GROUPS,
                (row(Button("schedule_visit", "schedule_visit",
                            when=lambda c: bool(c.get("office")) and not c.get("planned")),
                     Button("record_visit", "record_visit", when=lambda c: bool(c.get("office")))),), outlives_status=True),
    MessageKind("visit_due", GROUPS, (row(Button("record_visit", "record_visit", when=lambda c: bool(c.get("office")))),), outlives_status=True),
    MessageKind("visit_scheduled", frozenset({DEPARTMENT})),
    MessageKind("visit_recorded", frozenset({DEPARTMENT})),
    # extensions
    MessageKind("extension_request", frozenset({MEMBER}),
                (row(Button("approve_extension", "approve_extension"),
                     Button("reject_extension", "reject_extension")),), outlives_status=True),
    MessageKind("extension_decided", GROUPS),
    MessageKind("hotline_extension_needed", frozenset({OFFICE}),
                (row(Button("apply_hotline_extension", "apply_hotline_extension")),), outlives_status=True),
    MessageKind("hotline_extension_applied", frozenset({OFFICE}),
                (row(Button("grant_hotline_extension", "grant_hotline_extension"),
                     Button("refuse_hotline_extension", "refuse_hotline_extension")),), outlives_status=True),
    MessageKind("hotline_extension_decided", GROUPS),
    # the clock's lists and reports
    MessageKind("deadline_warnings", ANYWHERE, (row(Button("urge", "urge", when=lambda c: bool(c.get("urge")))),),
                merge=False),
    MessageKind("digest", frozenset({OFFICE}), merge=False),
    MessageKind("weekly_stats", frozenset({OFFICE}), merge=False, chart=True),
    MessageKind("scoreboard", frozenset({DEPARTMENT, MEMBER}), merge=False),
    MessageKind("spot_check", frozenset({OFFICE}), merge=False),
    # the organisation and delivery itself
    MessageKind("join_request", frozenset({MEMBER}),
                (row(Button("", each="role", data="j", id_key="request_id", per_row=3)),
                 row(Button("refuse", data="j", value="-", id_key="request_id"))),
                merge=False),
    MessageKind("join_approved", frozenset({MEMBER})),
    MessageKind("no_recipient", frozenset({OFFICE})),
    # a list keeps a way to act: each ticket opens in private chat (/start t<id>) with the buttons of its step
    MessageKind("burst", GROUPS, (row(Button("", link="t", items="items", per_row=2)),), merge=False),
    MessageKind("delivery_failed", frozenset({OFFICE}), merge=False),
)}

# /ticket in private chat: by the ticket's status, the first next step the asker may take (an action) and the
# buttons that offer it (a message kind or a button set); then the further actions anyone allowed may press.
NEXT_ON_TICKET = {
    Status.RECEIVED: [("dispatch", "intake")],
    Status.DISPATCHED: [("accept", "ticket_card")],
    Status.ACCEPTED: [("save_reply", "write_reply"), ("send_acceptance_notice", "accepted")],
    Status.RETURN_REQUESTED: [("approve_return", "return_request")],
    Status.RETURN_APPROVED: [("complete_return", "return_approved")],
    Status.REPLY_DRAFTED: [("approve_reply", "reply_for_approval"), ("send_acceptance_notice", "accepted")],
    Status.DEPT_REPLIED: [("pass_review", "reply_for_review")],
    Status.APPROVAL_FORM: [("submit_approval_form", "approval_form_due")],
    Status.FINAL_REPLY: [("submit_final_reply", "final_reply_due")],
    Status.LEADER_SIGNOFF: [("approve_signoff", "signoff_request"), ("approve_immediate_answer", "immediate_for_approval")],
    # a petition is mailed only once its 受理告知书 is recorded (规程 二(一)1) and the city system entered
    Status.AWAITING_MAIL: [("send_acceptance_notice", "accepted"), ("record_city_system", "mail_due"),
                           ("record_mail", "city_system_entered")],
    Status.PLATFORM_REPLY: [("record_platform_reply", "platform_reply_due")],
    Status.CLOSED: [("record_follow_up", "follow_up")],
}
MORE_ON_TICKET = (  # the steps of the side machines first: whoever they wait for finds them here
                  "create_supervision", "dismiss_supervision", "reply_supervision", "approve_extension",
                  "reject_extension", "submit_problem_report", "sign_problem_report", "return_problem_report",
                  "verify_problem_report", "acknowledge_emergency",
                  "urge", "reassign", "add_assist",
                  "record_dept_contact", "record_calming_call", "apply_hotline_extension",
                  "grant_hotline_extension", "refuse_hotline_extension", "propose_supervision", "record_collaboration",
                  "hand_back", "request_repeat_closure", "mark_emergency", "mark_major_threat")

# Templates under templates/messages that are views, not queued messages.
VIEWS = frozenset({"_findings", "_rounds", "_ticket", "history", "kb_results", "listing", "stats", "ticket_detail"})


def kind(name: str) -> MessageKind:
    return KINDS[name]
