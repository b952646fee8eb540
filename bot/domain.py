"""Codes of the domain (SPEC §1-§5). Their Chinese labels live in templates/labels.toml."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    PETITION = "petition"
    HOTLINE_12345 = "12345"
    HOTLINE_962200 = "962200"


class Kind(StrEnum):
    """12345 ticket kinds (规程 二(二)3)."""

    ORDINARY = "ordinary"
    TAGGED = "tagged"
    REVIEW = "review"
    CONSULTATION = "consultation"
    THREAT = "threat"
    SUISHENPAI = "suishenpai"
    URGENT = "urgent"
    EPIDEMIC = "epidemic"


class ServiceCategory(StrEnum):
    """962200 service content (办法 第十三条)."""

    CONSULTATION = "consultation"
    COMMUNITY_LIFE = "community_life"
    COMPLAINT = "complaint"
    OTHER = "other"


class HandlingClass(StrEnum):
    """962200 handling class (办法 第十四至十九条)."""

    IMMEDIATE = "immediate"  # 即办件
    TRANSFER = "transfer"  # 流转件
    SUPERVISION = "supervision"  # 督办件
    EMERGENCY = "emergency"  # 应急件
    COLLABORATION = "collaboration"  # 协同件


class Role(StrEnum):
    OFFICE = "office"
    HANDLER = "handler"
    BUSINESS_LEADER = "business_leader"
    PETITION_LEADER = "petition_leader"
    MAIN_LEADER = "main_leader"
    ADMIN = "admin"


# Roles that belong to one department.
DEPARTMENT_ROLES = frozenset({Role.HANDLER, Role.BUSINESS_LEADER})


class Status(StrEnum):
    RECEIVED = "received"
    DISPATCHED = "dispatched"
    RETURN_REQUESTED = "return_requested"
    RETURN_APPROVED = "return_approved"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    REPLY_DRAFTED = "reply_drafted"
    DEPT_REPLIED = "dept_replied"
    APPROVAL_FORM = "approval_form"
    FINAL_REPLY = "final_reply"
    LEADER_SIGNOFF = "leader_signoff"
    AWAITING_MAIL = "awaiting_mail"
    PLATFORM_REPLY = "platform_reply"
    CLOSED = "closed"


TERMINAL_STATUSES = frozenset({Status.RETURNED, Status.CLOSED})

# What each role waits for, by the ticket's status (/todo, the morning digest).
WAITING_FOR = {
    Role.OFFICE: (Status.RECEIVED, Status.DEPT_REPLIED, Status.APPROVAL_FORM, Status.FINAL_REPLY,
                  Status.AWAITING_MAIL, Status.PLATFORM_REPLY, Status.RETURN_APPROVED),
    Role.HANDLER: (Status.DISPATCHED, Status.ACCEPTED),
    Role.BUSINESS_LEADER: (Status.REPLY_DRAFTED, Status.RETURN_REQUESTED),
    Role.PETITION_LEADER: (Status.LEADER_SIGNOFF,),
}


# The ticket's yes/no flags (SPEC §2), in the order forms and imports show them.
TICKET_FLAGS = ("city_urged", "sensitive", "major_threat", "repeat", "review", "emergency")

# The leaders an emergency alert goes to (办法 第十七条), most senior first.
LEADER_ROLES = (Role.MAIN_LEADER, Role.PETITION_LEADER, Role.BUSINESS_LEADER)


class Stage(StrEnum):
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"
    ACCEPTANCE_NOTICE = "acceptance_notice"
    REPLY = "reply"
    DEPT_FIRST_CONTACT = "dept_first_contact"
    FINAL_REPLY = "final_reply"
    OVERALL = "overall"
    SUPERVISION_CREATE = "supervision_create"
    SUPERVISION_REPLY = "supervision_reply"
    PROBLEM_REPORT = "problem_report"
    CALMING_CALL = "calming_call"  # 扬言: the department calls the caller at once (规程 二(二)3(2))
    RETURN_DECISION = "return_decision"  # the business leader decides a return request (规程 三(一))
    RETURN_PATH = "return_path"  # the whole 退单流程, from the request to the return (规程 三(一))


# Who owns each stage: the office or the ticket's department.
STAGE_OWNER = {
    Stage.DISPATCH: "office",
    Stage.ACCEPT: "department",
    Stage.RETURN: "office",
    Stage.ACCEPTANCE_NOTICE: "office",
    Stage.REPLY: "department",
    Stage.DEPT_FIRST_CONTACT: "department",
    Stage.FINAL_REPLY: "office",
    Stage.OVERALL: "department",
    Stage.SUPERVISION_CREATE: "office",
    Stage.SUPERVISION_REPLY: "department",
    Stage.PROBLEM_REPORT: "department",
    Stage.CALMING_CALL: "department",
    Stage.RETURN_DECISION: "department",
    Stage.RETURN_PATH: "office",
}


class ContactStatus(StrEnum):
    CONTACTED = "contacted"  # 已联
    NOT_CONTACTED = "not_contacted"  # 未联


class NotContactedReason(StrEnum):
    SWITCHED_OFF = "switched_off"  # 始终关机
    NO_ANSWER = "no_answer"  # 始终未接
    OTHER = "other"  # 其他


class ContactManner(StrEnum):
    PHONE = "phone"
    MEETING = "meeting"
    WRITTEN = "written"


class FactFinding(StrEnum):
    TRUE = "true"  # 属实
    PARTLY_TRUE = "partly_true"  # 部分属实
    NOT_TRUE = "not_true"  # 不属实
    POLICY_INFO = "policy_info"  # 有政策信息
    NO_POLICY_INFO = "no_policy_info"  # 无政策信息
    POLICY_NOT_ACCEPTED = "policy_not_accepted"  # 对政策解释不接受
    ADOPTED = "adopted"  # 采纳
    NOT_ADOPTED = "not_adopted"  # 不予采纳
    PARTLY_ADOPTED = "partly_adopted"  # 部分采纳
    FOR_REFERENCE = "for_reference"  # 留作参考


class DemandAssessment(StrEnum):
    REASONABLE = "reasonable"  # 诉求合理
    NO_POLICY_BASIS = "no_policy_basis"  # 无政策依据
    TOO_HIGH = "too_high"  # 诉求过高
    OTHER = "other"  # 其他


class Result(StrEnum):
    SOLVED = "solved"  # 实际解决
    EXPLAINED = "explained"  # 解释说明
    FILED = "filed"  # 参考备案
    NOT_TRUE = "not_true"  # 不属实
    TOO_HIGH = "too_high"  # 诉求过高
    RETURNED = "returned"  # 退单
    OTHER = "other"  # 其他


class Acceptance(StrEnum):
    ACCEPTS = "accepts"  # 接受
    REJECTS = "rejects"  # 不接受


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"  # 满意
    DISSATISFIED = "dissatisfied"  # 不满意
    ACKNOWLEDGED = "acknowledged"  # 认可
    NOT_RATED = "not_rated"  # 未评价


class ReplyTemplate(StrEnum):
    """Which reply the department writes (附件2 / 附件3 一 / 附件3 二)."""

    PETITION = "petition"
    HELP_COMPLAINT = "help_complaint"
    CONSULT_SUGGESTION = "consult_suggestion"


class ReplyStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"  # by the business leader
    SENT_BACK = "sent_back"  # by the office review (重办)


class ReturnInitiator(StrEnum):
    OFFICE = "office"
    DEPARTMENT = "department"


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    VOICE = "voice"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Audience(StrEnum):
    """Where an outbox message goes; resolved to a chat at delivery."""

    OFFICE_GROUP = "office_group"
    DEPARTMENT_GROUP = "department_group"
    MEMBER = "member"  # private chat


class SupervisionTrigger(StrEnum):
    LEADER_INSTRUCTION = "leader_instruction"
    OVERDUE = "overdue"
    UNSATISFIED = "unsatisfied"


class FollowUpLevel(StrEnum):
    CITY = "city"
    DISTRICT = "district"


class ProblemKind(StrEnum):
    DISSATISFIED = "dissatisfied"  # 规程 三(三)1、4: 不满意 / 回访不满意
    REPEAT_NOT_FACTUAL = "repeat_not_factual"  # 规程 三(三)5: 重复件不属实, 申请结单


class ProblemStatus(StrEnum):
    REQUESTED = "requested"  # the department is to report
    SUBMITTED = "submitted"  # waiting for the business leader's signature
    SIGNED = "signed"  # waiting for the office's verification
    VERIFIED = "verified"  # the office checked it (dissatisfied) / applied to close (repeat)
