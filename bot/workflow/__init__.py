"""The workflow (SPEC §4, §5): every action of the three channels, one module per track.

- `intake`        register, first contact, dispatch, accept
- `returns`       退单 by the office or asked by the department
- `reply`         the department's reply, its leader's approval
- `closing`       the office's review and the closing per channel
- `problems`      problem reports and repeat links
- `supervision`   督办件
- `emergencies`   应急件, 重大扬言, sensitive daily reports, visits
- `extensions`    延期
- `follow_up`     回访
- `collaboration` 协同件 and hand-back; 协办 departments of the bureau
- `reassign`      改派 to another department of the bureau
- `urge`          催办
- `immediate`     即办件: answered at once by the office

Each action is declared once (`registry.declare`) with its command, who may do it
from which status to which, its guard, its effect, the messages it queues and the
messages it settles; `engine.Workflow` runs any of them by the command's type.
"""

from bot.workflow.closing import (
    SENT_BACK,
    ApproveSignoff,
    FailReview,
    PassReview,
    RecordCitySystem,
    RecordMail,
    RecordPlatformReply,
    RejectSignoff,
    RejectSignoffRedo,
    SendAcceptanceNotice,
    SubmitApprovalForm,
    SubmitFinalReply,
)
from bot.workflow.collaboration import AddAssist, AddAssistPart, HandBack, RecordCollaboration
from bot.workflow.core import (
    AFTER_ACCEPTANCE,
    OPEN_WITH_DEPARTMENT,
    WITH_DEPARTMENT,
    Actor,
    EvidenceIn,
    Message,
    Outcome,
    Refused,
    clean,
    jsonable,
)
from bot.workflow.emergencies import (
    AcknowledgeEmergency,
    MarkEmergency,
    RecordCalmingCall,
    RecordDailyReport,
    RecordVisit,
    ScheduleVisit,
)
from bot.workflow.engine import Workflow
from bot.workflow.extensions import (
    ApplyHotlineExtension,
    ApproveExtension,
    GrantHotlineExtension,
    RefuseHotlineExtension,
    RejectExtension,
    RequestExtension,
)
from bot.workflow.follow_up import RecordFollowUp
from bot.workflow.immediate import (
    AnswerAtOnce,
    ApproveImmediateAnswer,
    DraftImmediateAnswer,
    RejectImmediateAnswer,
)
from bot.workflow.intake import Accept, CreateTicket, Dispatch, RecordFirstContact
from bot.workflow.problems import (
    LinkTickets,
    RequestRepeatClosure,
    ReturnProblemReport,
    SignProblemReport,
    SubmitProblemReport,
    UnlinkTickets,
    VerifyProblemReport,
)
from bot.workflow.reassign import Reassign, ReassignOnReturn
from bot.workflow.registry import BY_NAME, PRESSES, REGISTRY, Action, Press, make_command
from bot.workflow.reply import (
    CHOICE_FIELDS,
    CONFORMITY_ITEMS,
    REPLY_FIELDS,
    REPLY_REQUIRED,
    ApproveReply,
    RecordDeptContact,
    RejectReply,
    SaveReply,
    SubmitReply,
    conformity_missing,
    default_template,
)
from bot.workflow.returns import ApproveReturn, AskReturn, CompleteReturn, OfficeReturn, RejectReturn
from bot.workflow.supervision import (
    CreateSupervision,
    DismissSupervision,
    ProposeSupervision,
    ReplySupervision,
)
from bot.workflow.urge import Urge

__all__ = [
    "AddAssist", "AddAssistPart", "DismissSupervision", "Reassign", "ReassignOnReturn", "Urge",
    "AFTER_ACCEPTANCE", "AnswerAtOnce", "ApproveImmediateAnswer", "BY_NAME", "CHOICE_FIELDS", "CONFORMITY_ITEMS", "OPEN_WITH_DEPARTMENT", "PRESSES",
    "REGISTRY", "REPLY_FIELDS", "REPLY_REQUIRED", "SENT_BACK", "WITH_DEPARTMENT", "Accept", "AcknowledgeEmergency", "Action",
    "Actor", "ApplyHotlineExtension", "ApproveExtension", "ApproveReply", "ApproveReturn", "ApproveSignoff",
    "AskReturn", "CompleteReturn", "CreateSupervision", "CreateTicket", "Dispatch", "DraftImmediateAnswer",
    "EvidenceIn", "FailReview", "GrantHotlineExtension", "HandBack", "LinkTickets",
    "MarkEmergency", "Message", "OfficeReturn", "Outcome", "PassReview", "Press", "ProposeSupervision",
    "RecordCalmingCall", "RecordCollaboration", "RecordDailyReport", "RecordDeptContact", "RecordFirstContact",
    "RecordCitySystem", "RecordFollowUp", "RecordMail", "RecordPlatformReply", "RecordVisit", "RefuseHotlineExtension", "Refused",
    "RejectExtension", "RejectImmediateAnswer", "RejectReply",
    "RejectReturn", "RejectSignoff", "RejectSignoffRedo", "ReplySupervision", "RequestExtension", "RequestRepeatClosure",
    "ReturnProblemReport", "SaveReply", "ScheduleVisit", "SendAcceptanceNotice", "SignProblemReport",
    "SubmitApprovalForm", "SubmitFinalReply", "SubmitProblemReport", "SubmitReply", "UnlinkTickets",
    "VerifyProblemReport", "Workflow", "clean", "conformity_missing", "default_template", "jsonable", "make_command",
]
