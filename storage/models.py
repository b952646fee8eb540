"""The tables. Codes are the strings of bot/domain.py; times are aware UTC datetimes."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime

from sqlalchemy import JSON, BigInteger, Index, UniqueConstraint, event
from sqlalchemy import text as sql
from sqlmodel import Field, SQLModel

from storage import fulltext
from storage.types import UTCDateTime


def address_key(address: str | None) -> str | None:
    """An address as matching compares it: full-width digits and letters as ASCII (NFKC), lower case,
    without spaces and punctuation; at most 255 characters."""
    if not address:
        return None
    key = re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", address)).lower()[:255]
    return key or None


def utcnow() -> datetime:
    return datetime.now(UTC)


def _when(index: bool = False):
    return Field(default=None, sa_type=UTCDateTime, index=index)


def _json(default_factory=dict):
    return Field(default_factory=default_factory, sa_type=JSON)


def _fk(target: str, nullable: bool = True, index: bool = False):
    return Field(default=None, foreign_key=target, nullable=nullable, index=index)


# --- organisation -----------------------------------------------------------


class Department(SQLModel, table=True):
    __tablename__ = "department"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=64)
    is_office: bool = False
    active: bool = True
    categories: list = _json(list)  # business categories it usually handles (for the dispatch suggestion)


class Member(SQLModel, table=True):
    __tablename__ = "member"
    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int | None = Field(default=None, sa_type=BigInteger, unique=True)
    name: str = Field(max_length=64)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # "config": listed in the organisation file, which is the truth for them; "bot": joined through the bot
    source: str = Field(default="config", max_length=8, sa_column_kwargs={"server_default": "config"})


class MemberRole(SQLModel, table=True):
    __tablename__ = "member_role"
    __table_args__ = (UniqueConstraint("member_id", "role", "department_id", name="uq_member_role"),)
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    role: str = Field(max_length=32)
    department_id: int | None = _fk("department.id", index=True)


class JoinRequest(SQLModel, table=True):
    __tablename__ = "join_request"
    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_type=BigInteger, index=True)
    name: str = Field(max_length=128)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: str = Field(default="pending", max_length=16)
    decided_by_id: int | None = _fk("member.id")
    decided_at: datetime | None = _when()


class ChatBinding(SQLModel, table=True):
    """A Telegram group bound to a department, or to the office."""

    __tablename__ = "chat_binding"
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, unique=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    title: str | None = Field(default=None, max_length=255)
    bound_by_id: int | None = _fk("member.id")
    bound_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- tickets ----------------------------------------------------------------


class TicketCounter(SQLModel, table=True):
    """Last internal number per year (SJMZ-2026-000123)."""

    __tablename__ = "ticket_counter"
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = 0


class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("channel", "external_no", name="uq_ticket_channel_external_no"),
        Index("ix_ticket_department_status", "department_id", "status"),
        # statistics of a period: every column they group or sum, so a year is read from the index alone
        Index("ix_ticket_figures", "received_at", "channel", "kind", "service_category", "business_category",
              "department_id", "status", "emergency", "handling_class", "satisfaction", "redo_count",
              "overall_due_at", "closed_at"),
        Index("ix_ticket_channel_received", "channel", "received_at"),
        Index("ix_ticket_status_received", "status", "received_at"),
        # repeat matching: a citizen's latest tickets by phone, by name, by address (normalised)
        Index("ix_ticket_phone_received", "phone", "received_at"),
        Index("ix_ticket_name_received", "citizen_name", "received_at"),
        Index("ix_ticket_address_key_received", "address_key", "received_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    internal_no: str = Field(max_length=32, unique=True)
    channel: str = Field(max_length=16)
    external_no: str = Field(max_length=64)
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)  # the bureau's receipt: deadlines start here
    called_at: datetime | None = _when()  # 来电/来访时间, printed on 附件1 (SPEC §9.1); received_at when not given
    source: str | None = Field(default=None, max_length=64)
    citizen_name: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=255)
    address_key: str | None = Field(default=None, max_length=255)  # address_key(address): for matching
    id_number: str | None = Field(default=None, max_length=32)
    content: str = ""
    kind: str | None = Field(default=None, max_length=16)
    tags: list = _json(list)
    city_urged: bool = False
    sensitive: bool = False
    repeat: bool = False
    review: bool = False
    major_threat: bool = False
    emergency: bool = False
    service_category: str | None = Field(default=None, max_length=32)
    handling_class: str | None = Field(default=None, max_length=32)
    business_category: str | None = Field(default=None, max_length=32, index=True)
    department_id: int | None = _fk("department.id")
    handler_id: int | None = _fk("member.id", index=True)
    status: str = Field(max_length=24)
    version: int = 1
    overall_due_at: datetime | None = _when()
    calendar_fallback: bool = False
    # first contact by the office (先行联系)
    contact_status: str | None = Field(default=None, max_length=16)
    not_contacted_reason: str | None = Field(default=None, max_length=16)
    contact_note: str | None = None
    contacted_by_id: int | None = _fk("member.id")
    contacted_at: datetime | None = _when()
    dept_contacted_at: datetime | None = _when()
    calmed_at: datetime | None = _when()  # 扬言: the department's calming call (即接即电话安抚)
    calmed_by_id: int | None = None  # ... and the member who made it (no foreign key: SQLite adds it in place)
    redo_count: int = 0
    acceptance_notice_sent_at: datetime | None = _when()
    acceptance_notice_by_id: int | None = None  # the office member who sent it (规程 二(一)1)
    acceptance_notice_manner: str | None = Field(default=None, max_length=16)  # labels.notice_manner
    city_system_entered_at: datetime | None = _when()
    city_system_ref: str | None = Field(default=None, max_length=64)  # 录入上海分系统: its reference number
    letter_no: str | None = Field(default=None, max_length=64)
    platform_reply: str | None = None
    satisfaction: str | None = Field(default=None, max_length=16)
    created_by_id: int | None = _fk("member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = _when(index=True)


class TicketEvent(SQLModel, table=True):
    """Append-only audit log: every change and every view of full details."""

    __tablename__ = "ticket_event"
    __table_args__ = (Index("ix_ticket_event_ticket_at", "ticket_id", "at"),
                      Index("ix_ticket_event_action_at", "action", "at"))  # one action in a period
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = _fk("ticket.id")
    actor_id: int | None = _fk("member.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    action: str = Field(max_length=48)
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str | None = Field(default=None, max_length=24)
    payload: dict = _json()


class Attachment(SQLModel, table=True):
    """A file sent in chat: its Telegram file id, and the bureau's own copy (stored_path in the evidence store)."""

    __tablename__ = "attachment"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    purpose: str = Field(max_length=32)  # reply_evidence, return_evidence, problem_evidence, ...
    owner_id: int | None = None  # the reply, return or report it belongs to
    kind: str = Field(max_length=16)
    file_id: str = Field(max_length=255)
    file_unique_id: str | None = Field(default=None, max_length=64)
    file_name: str | None = Field(default=None, max_length=255)
    mime_type: str | None = Field(default=None, max_length=128)
    caption: str | None = None
    file_size: int | None = Field(default=None, sa_type=BigInteger)
    sha256: str | None = Field(default=None, max_length=64)
    stored_path: str | None = Field(default=None, max_length=255)  # relative to the evidence store; None: not kept
    uploaded_by_id: int | None = _fk("member.id")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StageDeadline(SQLModel, table=True):
    """One deadline of one stage of one ticket; `open` until completed or cancelled."""

    __tablename__ = "stage_deadline"
    __table_args__ = (
        Index("ix_stage_deadline_open_due", "open", "due_at"),
        Index("ix_stage_deadline_ticket_stage", "ticket_id", "stage"),
        # the stages of one kind started in a period (按时签收率, 按时答复率, 平均答复工作日)
        Index("ix_stage_deadline_stage_started", "stage", "started_at", "department_id", "completed_at", "due_at",
              "cancelled_at"),
        # the scan reads only the open stages whose next warning is due (or not yet worked out)
        Index("ix_stage_deadline_next_warning", "next_warning_at", sqlite_where=sql("open IS 1"),
              postgresql_where=sql("open IS true")),
        Index("ix_stage_deadline_unplanned", "id", sqlite_where=sql("open IS 1 AND next_warning_at IS NULL"),
              postgresql_where=sql("open IS true AND next_warning_at IS NULL")),  # next warning not worked out
        # overdue replies not yet looked at for supervision: once looked at, never walked past again
        Index("ix_stage_deadline_to_escalate", "stage", "due_at",
              sqlite_where=sql("open IS 1 AND escalated_at IS NULL"),
              postgresql_where=sql("open IS true AND escalated_at IS NULL")),
    )
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    stage: str = Field(max_length=32)
    department_id: int | None = _fk("department.id")  # None: the office's stage
    started_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    original_due_at: datetime | None = _when()  # before an extension
    rule: str = Field(max_length=32)
    capped: bool = False  # its own rule fell after the ticket's 办结时效: due with it instead
    calendar_fallback: bool = False
    urgent: bool = False
    open: bool = True
    completed_at: datetime | None = _when()
    cancelled_at: datetime | None = _when()
    supervision_id: int | None = _fk("supervision.id")
    next_warning_at: datetime | None = _when()  # when the scan looks again; None: not worked out yet
    escalated_at: datetime | None = _when()  # when the scan proposed supervision for it overdue (or found one)


class WarningSent(SQLModel, table=True):
    """A warning already queued for a stage: due_soon, overdue, overdue again (seq = working day)."""

    __tablename__ = "warning_sent"
    __table_args__ = (UniqueConstraint("stage_deadline_id", "level", "seq", name="uq_warning_once"),)
    id: int | None = Field(default=None, primary_key=True)
    stage_deadline_id: int = Field(foreign_key="stage_deadline.id")
    level: str = Field(max_length=16)
    seq: int = 0
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class JobRun(SQLModel, table=True):
    """A scheduled duty done for one period (a digest for a day, a daily ask for a ticket and day, ...)."""

    __tablename__ = "job_run"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128, unique=True)
    ran_at: datetime = Field(sa_type=UTCDateTime)


class Outbox(SQLModel, table=True):
    """A message to send, written in the same transaction as the change that causes it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_chat_sent", "chat_id", "sent_at"),  # a group's pace: what went to it this minute
        Index("ix_outbox_chat_message", "chat_id", "telegram_message_id"),  # the message a button was pressed on
        Index("ix_outbox_sent", "sent_at"),  # the overall pace: what went out this second
        Index("ix_outbox_chat_status_claim", "chat_id", "status", "claimed_until"),  # being sent now, per chat
    )
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ticket_id: int | None = _fk("ticket.id", index=True)
    event_id: int | None = _fk("ticket_event.id")
    audience: str = Field(max_length=24)
    department_id: int | None = _fk("department.id")
    member_id: int | None = _fk("member.id")
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    template: str = Field(max_length=64)
    context: dict = _json()
    urgent: bool = False
    dedupe_key: str | None = Field(default=None, max_length=128, unique=True)
    status: str = Field(default="pending", max_length=16)
    buttons_open: bool = False  # sent with buttons that no decision has closed yet
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = _when()
    telegram_message_id: int | None = Field(default=None, sa_type=BigInteger)
    error: str | None = None
    # A process that is sending it holds it until claimed_until; past that (the process died) another takes it.
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = _when()
    messages: int = 0  # the Telegram messages it becomes (forms, evidence, parts): planned when claimed, then sent
    parts_sent: int = 0  # of those, delivered already: a retry goes on from there


class Lease(SQLModel, table=True):
    """A duty one process at a time does (polling, the scheduler): held until `until`, renewed by its holder,
    taken over by another once it has run out."""

    __tablename__ = "lease"
    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=64)
    until: datetime = Field(sa_type=UTCDateTime)


class InboxUpdate(SQLModel, table=True):
    """An update from Telegram, stored before Telegram is told it arrived; done once processed."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_pending", "done_at", "update_id"),)
    update_id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    payload: dict = _json()
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    attempts: int = 0
    done_at: datetime | None = _when()
    error: str | None = None


# --- the department's work --------------------------------------------------


class Reply(SQLModel, table=True):
    """The department's handling form and reply (附件1 + 附件2/3); one per round (redo adds one)."""

    __tablename__ = "reply"
    __table_args__ = (UniqueConstraint("ticket_id", "round", name="uq_reply_round"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    round: int = 1
    status: str = Field(default="draft", max_length=16)
    template: str | None = Field(default=None, max_length=32)
    author_id: int | None = _fk("member.id")
    department_id: int | None = _fk("department.id")
    contact_time: datetime | None = _when()
    contact_manner: str | None = Field(default=None, max_length=16)
    verified_by: str | None = Field(default=None, max_length=128)
    site_visit: str | None = Field(default=None, max_length=16)
    fact_finding: str | None = Field(default=None, max_length=32)
    fact_note: str | None = None
    demand_assessment: str | None = Field(default=None, max_length=32)
    demand_note: str | None = None
    basis: str | None = None
    points: list = _json(list)
    summary: str | None = None
    letter: dict = _json()  # 附件2 sections: facts, reasons, requests, findings, review_body
    result: str | None = Field(default=None, max_length=16)
    result_other: str | None = None
    note: str | None = None  # 附件1 备注
    acceptance: str | None = Field(default=None, max_length=16)
    satisfaction: str | None = Field(default=None, max_length=16)
    knowledge_ref: str | None = Field(default=None, max_length=64)
    submitted_at: datetime | None = _when()
    leader_id: int | None = _fk("member.id")
    leader_decided_at: datetime | None = _when()
    leader_comment: str | None = None
    reviewed_by_id: int | None = _fk("member.id")
    reviewed_at: datetime | None = _when()
    review_reasons: list = _json(list)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TicketReturn(SQLModel, table=True):
    """A return (退单), by the office or asked by the department."""

    __tablename__ = "ticket_return"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    initiator: str = Field(max_length=16)
    reason: str
    belongs_to: str | None = Field(default=None, max_length=128)
    requested_by_id: int | None = _fk("member.id")
    requested_at: datetime = Field(sa_type=UTCDateTime)
    leader_id: int | None = _fk("member.id")
    decision: str | None = Field(default=None, max_length=16)
    decided_at: datetime | None = _when()
    leader_comment: str | None = None
    completed_by_id: int | None = _fk("member.id")
    completed_at: datetime | None = _when()
    channel_note: str | None = None


class FormRecord(SQLModel, table=True):
    """A filled form (附件1-4) as it was produced and signed."""

    __tablename__ = "form_record"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    form: int
    data: dict = _json()
    created_by_id: int | None = _fk("member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    signed_by_id: int | None = _fk("member.id")
    signed_at: datetime | None = _when()


class FormDraft(SQLModel, table=True):
    """An unfinished chat form; survives restarts."""

    __tablename__ = "form_draft"
    __table_args__ = (UniqueConstraint("member_id", "flow", "ticket_id", name="uq_form_draft"),)
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    flow: str = Field(max_length=32)
    ticket_id: int | None = _fk("ticket.id")
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    step: str | None = Field(default=None, max_length=32)
    data: dict = _json()
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- problem tickets (SPEC §5) ----------------------------------------------


class TicketLink(SQLModel, table=True):
    """A repeat link between a ticket and an earlier one of the same citizen."""

    __tablename__ = "ticket_link"
    __table_args__ = (UniqueConstraint("ticket_id", "related_ticket_id", name="uq_ticket_link"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    related_ticket_id: int = Field(foreign_key="ticket.id", index=True)
    matched_on: list = _json(list)  # phone, name, address, content
    created_by_id: int | None = _fk("member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    unlinked_at: datetime | None = _when()
    unlinked_by_id: int | None = _fk("member.id")


class ProblemReport(SQLModel, table=True):
    """Dissatisfaction / not factual / too high / repeat report with the leader's signature."""

    __tablename__ = "problem_report"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = Field(max_length=24)
    reasons: str = ""
    work_done: str = ""
    status: str = Field(default="draft", max_length=16)
    author_id: int | None = _fk("member.id")
    submitted_at: datetime | None = _when()
    leader_id: int | None = _fk("member.id")
    signed_at: datetime | None = _when()
    verified_by_id: int | None = _fk("member.id")
    verified_at: datetime | None = _when()
    verification: str | None = None
    close_applied_at: datetime | None = _when()


class FollowUp(SQLModel, table=True):
    """A city or district follow-up result (回访)."""

    __tablename__ = "follow_up"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    level: str = Field(max_length=16)
    result: str = Field(max_length=16)
    note: str | None = None
    recorded_by_id: int | None = _fk("member.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Supervision(SQLModel, table=True):
    """A supervision ticket (督办件)."""

    __tablename__ = "supervision"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    trigger: str = Field(max_length=24)
    instruction: str | None = None
    status: str = Field(default="proposed", max_length=16)
    proposed_at: datetime = Field(sa_type=UTCDateTime)
    created_by_id: int | None = _fk("member.id")
    created_at: datetime | None = _when()
    department_id: int | None = _fk("department.id")
    reply: str | None = None
    replied_at: datetime | None = _when()
    dismissed_by_id: int | None = _fk("member.id")
    dismissed_at: datetime | None = _when()
    dismiss_reason: str | None = None  # 办法 第十六条: not a 督办件 for this reason


class Extension(SQLModel, table=True):
    """A request for more time on a stage (延期)."""

    __tablename__ = "extension"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    stage_deadline_id: int = Field(foreign_key="stage_deadline.id")
    reason: str
    working_days: int
    requested_by_id: int | None = _fk("member.id")
    requested_at: datetime = Field(sa_type=UTCDateTime)
    old_due_at: datetime = Field(sa_type=UTCDateTime)
    new_due_at: datetime | None = _when()
    leader_id: int | None = _fk("member.id")
    decision: str | None = Field(default=None, max_length=16)
    decided_at: datetime | None = _when()
    comment: str | None = None


class HotlineExtension(SQLModel, table=True):
    """An application to the district hotline office (区热线办) to extend a 12345 ticket's 办结时效:
    needed when an approved 延期 would pass it, applied for by the office, granted or refused."""

    __tablename__ = "hotline_extension"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    extension_id: int | None = _fk("extension.id")  # the department's 延期 that passed the 办结时效
    old_due_at: datetime = Field(sa_type=UTCDateTime)  # the 办结时效 before
    wanted_due_at: datetime = Field(sa_type=UTCDateTime)
    needed_at: datetime = Field(sa_type=UTCDateTime)
    applied_at: datetime | None = _when()
    applied_by_id: int | None = _fk("member.id")
    decision: str | None = Field(default=None, max_length=16)  # granted | refused
    granted_due_at: datetime | None = _when()
    decided_at: datetime | None = _when()
    recorded_by_id: int | None = _fk("member.id")
    comment: str | None = None


class DailyReport(SQLModel, table=True):
    """A department's progress report on a sensitive ticket, one per day."""

    __tablename__ = "daily_report"
    __table_args__ = (UniqueConstraint("ticket_id", "report_date", name="uq_daily_report"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    report_date: date = Field(index=True)
    department_id: int | None = _fk("department.id")
    author_id: int | None = _fk("member.id")
    text: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Visit(SQLModel, table=True):
    """The visit to calm a major threat (上门疏导)."""

    __tablename__ = "visit"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    scheduled_for: datetime | None = _when()
    visited_at: datetime | None = _when()
    visitors: str | None = None
    note: str | None = None
    recorded_by_id: int | None = _fk("member.id")


class Collaboration(SQLModel, table=True):
    """A ticket handed to another body, or back to 12345 (协同件)."""

    __tablename__ = "collaboration"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    body: str | None = Field(default=None, max_length=128)
    method: str | None = Field(default=None, max_length=64)
    handed_back: bool = False
    reason: str | None = None
    recorded_by_id: int | None = _fk("member.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Assist(SQLModel, table=True):
    """An assisting department (协办) of a ticket, and the part it added for the lead department's reply."""

    __tablename__ = "assist"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    added_by_id: int | None = _fk("member.id")
    added_at: datetime = Field(sa_type=UTCDateTime)
    part: str | None = None
    part_by_id: int | None = _fk("member.id")
    part_at: datetime | None = _when()


class EmergencyAlert(SQLModel, table=True):
    """An emergency (应急件) or major-threat alert and its acknowledgement."""

    __tablename__ = "emergency_alert"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    raised_at: datetime = Field(sa_type=UTCDateTime)
    raised_by_id: int | None = _fk("member.id")
    acknowledged_by_id: int | None = _fk("member.id")
    acknowledged_at: datetime | None = _when()
    reminders_sent: int = 0


# --- the knowledge base (SPEC §6, 办法 第十八条) ------------------------------


class KnowledgeEntry(SQLModel, table=True):
    """A policy, interpretation, FAQ, guide or service institution; an update adds a version."""

    __tablename__ = "knowledge_entry"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_knowledge_version"),
                      Index("ix_knowledge_current", "current", "category"))
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160)  # the same entry across versions: source + title
    version: int = 1
    current: bool = True
    kind: str = Field(default="policy", max_length=16)  # policy, faq, guide, institution
    title: str = Field(max_length=200)
    source: str | None = Field(default=None, max_length=200)
    published: date | None = None
    category: str | None = Field(default=None, max_length=32)
    body: str = ""
    tokens: str = ""  # the words of title and body, for ranking
    created_by_id: int | None = _fk("member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# the full-text indexes come with their tables (storage/fulltext.py)
event.listen(Ticket.__table__, "after_create", lambda _table, conn, **_kw: fulltext.create_ticket_index(conn))
event.listen(KnowledgeEntry.__table__, "after_create",
             lambda _table, conn, **_kw: fulltext.create_knowledge_index(conn))
