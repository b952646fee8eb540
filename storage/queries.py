"""Every query the core needs; the core itself holds no SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from storage.models import (
    Attachment,
    ChatBinding,
    DailyReport,
    Department,
    FormDraft,
    FormRecord,
    JoinRequest,
    Member,
    MemberRole,
    Outbox,
    Reply,
    StageDeadline,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketReturn,
    Visit,
)

# --- organisation -----------------------------------------------------------


def member_roles(session: Session, member_id: int) -> list[tuple[str, int | None]]:
    rows = session.execute(select(MemberRole.role, MemberRole.department_id).where(MemberRole.member_id == member_id))
    return [(r, d) for r, d in rows]


def member_by_telegram_id(session: Session, telegram_user_id: int) -> Member | None:
    return session.scalar(select(Member).where(Member.telegram_user_id == telegram_user_id))


def members_with_role(session: Session, role: str, department_id: int | None = None) -> list[Member]:
    query = (
        select(Member)
        .join(MemberRole, MemberRole.member_id == Member.id)
        .where(MemberRole.role == role, Member.active.is_(True))
        .order_by(Member.id)
    )
    if department_id is not None:
        query = query.where(MemberRole.department_id == department_id)
    return list(session.scalars(query).unique())


def members_with_any_role(session: Session, roles: Sequence[str]) -> list[int]:
    """Ids of the active members holding any of the roles, each once, in the roles' order."""
    ids: list[int] = []
    for role in roles:
        ids += [m.id for m in members_with_role(session, role) if m.id not in ids]
    return ids


def department_by_code(session: Session, code: str) -> Department | None:
    return session.scalar(select(Department).where(Department.code == code))


def add_role(session: Session, member_id: int, role: str, department_id: int | None) -> MemberRole:
    existing = session.scalar(
        select(MemberRole).where(
            MemberRole.member_id == member_id,
            MemberRole.role == role,
            MemberRole.department_id.is_(None) if department_id is None else MemberRole.department_id == department_id,
        )
    )
    if existing:
        return existing
    row = MemberRole(member_id=member_id, role=role, department_id=department_id)
    session.add(row)
    session.flush()
    return row


def chats_of_department(session: Session, department_id: int) -> list[ChatBinding]:
    return list(session.scalars(select(ChatBinding).where(ChatBinding.department_id == department_id)))


# --- tickets ----------------------------------------------------------------


def ticket(session: Session, ticket_id: int) -> Ticket | None:
    return session.get(Ticket, ticket_id, populate_existing=True)


def ticket_by_number(session: Session, number: str) -> Ticket | None:
    """By internal number, or by external number in any channel."""
    number = number.strip()
    found = session.scalar(select(Ticket).where(Ticket.internal_no == number))
    return found or session.scalar(select(Ticket).where(Ticket.external_no == number).order_by(Ticket.id))


def ticket_by_external(session: Session, channel: str, external_no: str) -> Ticket | None:
    return session.scalar(select(Ticket).where(Ticket.channel == channel, Ticket.external_no == external_no))


def tickets_by_external(session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Ticket]:
    keys = list(keys)
    out: dict[tuple[str, str], Ticket] = {}
    for channel in {c for c, _ in keys}:
        numbers = [n for c, n in keys if c == channel]
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            for t in session.scalars(select(Ticket).where(Ticket.channel == channel, Ticket.external_no.in_(chunk))):
                out[(t.channel, t.external_no)] = t
    return out


def compare_and_set_status(session: Session, ticket: Ticket, to_status: str, now: datetime, **values) -> bool:
    """Move the ticket to to_status only if nobody changed it since it was read."""
    result = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status == ticket.status, Ticket.version == ticket.version)
        .values(status=to_status, version=Ticket.version + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    for key, value in {"status": to_status, "version": ticket.version + 1, "updated_at": now, **values}.items():
        set_committed_value(ticket, key, value)
    return True


def current_status(session: Session, ticket_id: int) -> str | None:
    return session.scalar(select(Ticket.status).where(Ticket.id == ticket_id).execution_options(populate_existing=True))


def next_internal_number(session: Session, year: int) -> int:
    """Increment the year's counter atomically; creates the year's row on first use."""
    stmt = (
        update(TicketCounter)
        .where(TicketCounter.year == year)
        .values(last=TicketCounter.last + 1)
        .returning(TicketCounter.last)
    )
    value = session.scalar(stmt)
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.add(TicketCounter(year=year, last=1))
        return 1
    except IntegrityError:
        return session.scalar(stmt)


# --- stages -----------------------------------------------------------------


def open_stages(session: Session, ticket_id: int, stages: Sequence[str] | None = None) -> list[StageDeadline]:
    query = select(StageDeadline).where(StageDeadline.ticket_id == ticket_id, StageDeadline.open.is_(True))
    if stages is not None:
        query = query.where(StageDeadline.stage.in_(list(stages)))
    return list(session.scalars(query.order_by(StageDeadline.id)))


def latest_stage(session: Session, ticket_id: int, stage: str) -> StageDeadline | None:
    return session.scalar(
        select(StageDeadline)
        .where(StageDeadline.ticket_id == ticket_id, StageDeadline.stage == stage)
        .order_by(StageDeadline.id.desc())
        .limit(1)
    )


def stages_of(session: Session, ticket_id: int) -> list[StageDeadline]:
    return list(session.scalars(select(StageDeadline).where(StageDeadline.ticket_id == ticket_id).order_by(StageDeadline.id)))


def open_deadlines_before(session: Session, moment: datetime, limit: int = 1000) -> list[StageDeadline]:
    """Open stages due before `moment`, soonest first (served by ix_stage_deadline_open_due)."""
    return list(
        session.scalars(
            select(StageDeadline)
            .where(StageDeadline.open.is_(True), StageDeadline.due_at <= moment)
            .order_by(StageDeadline.due_at)
            .limit(limit)
        )
    )


# --- replies, returns, events, outbox ---------------------------------------


def current_reply(session: Session, ticket_id: int) -> Reply | None:
    return session.scalar(select(Reply).where(Reply.ticket_id == ticket_id).order_by(Reply.round.desc()).limit(1))


def latest_form(session: Session, ticket_id: int) -> FormRecord | None:
    return session.scalar(
        select(FormRecord).where(FormRecord.ticket_id == ticket_id).order_by(FormRecord.id.desc()).limit(1)
    )


def open_return(session: Session, ticket_id: int) -> TicketReturn | None:
    return session.scalar(
        select(TicketReturn)
        .where(TicketReturn.ticket_id == ticket_id, TicketReturn.completed_at.is_(None))
        .order_by(TicketReturn.id.desc())
        .limit(1)
    )


def events_of(session: Session, ticket_id: int) -> list[TicketEvent]:
    return list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)))


def outbox_of(session: Session, ticket_id: int | None = None) -> list[Outbox]:
    query = select(Outbox).order_by(Outbox.id)
    if ticket_id is not None:
        query = query.where(Outbox.ticket_id == ticket_id)
    return list(session.scalars(query))


def count(session: Session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- look-ups for the chat --------------------------------------------------


def departments(session: Session, include_office: bool = False) -> list[Department]:
    query = select(Department).where(Department.active.is_(True)).order_by(Department.id)
    if not include_office:
        query = query.where(Department.is_office.is_(False))
    return list(session.scalars(query))


def office_department(session: Session) -> Department | None:
    return session.scalar(select(Department).where(Department.is_office.is_(True)).order_by(Department.id).limit(1))


def dispatch_history(session: Session, phone: str | None, category: str | None, since: datetime) -> dict:
    """Where earlier tickets of the same citizen, and of the same category, went: department id -> counts."""
    out: dict[int, dict[str, int]] = {}
    if phone:
        rows = session.execute(
            select(Ticket.department_id, func.count())
            .where(Ticket.phone == phone, Ticket.department_id.is_not(None))
            .group_by(Ticket.department_id)
        )
        for department_id, n in rows:
            out.setdefault(department_id, {})["citizen"] = n
    if category:
        rows = session.execute(
            select(Ticket.department_id, func.count())
            .where(Ticket.business_category == category, Ticket.department_id.is_not(None),
                   Ticket.received_at >= since)
            .group_by(Ticket.department_id)
        )
        for department_id, n in rows:
            out.setdefault(department_id, {})["category"] = n
    return out


def binding_for_chat(session: Session, chat_id: int) -> ChatBinding | None:
    return session.scalar(select(ChatBinding).where(ChatBinding.chat_id == chat_id))


def bind_chat(session: Session, chat_id: int, department_id: int, title: str | None, member_id: int | None,
              now: datetime) -> ChatBinding:
    binding = binding_for_chat(session, chat_id)
    if binding is None:
        binding = ChatBinding(chat_id=chat_id, department_id=department_id)
        session.add(binding)
    binding.department_id, binding.title, binding.bound_by_id, binding.bound_at = department_id, title, member_id, now
    session.flush()
    return binding


def draft_for(session: Session, member_id: int, flow: str | None = None) -> FormDraft | None:
    """The member's most recent unfinished chat form (of a flow, or any)."""
    query = select(FormDraft).where(FormDraft.member_id == member_id)
    if flow is not None:
        query = query.where(FormDraft.flow == flow)
    return session.scalar(query.order_by(FormDraft.updated_at.desc(), FormDraft.id.desc()).limit(1))


def drop_drafts(session: Session, member_id: int, flow: str | None = None) -> None:
    query = select(FormDraft).where(FormDraft.member_id == member_id)
    if flow is not None:
        query = query.where(FormDraft.flow == flow)
    for draft in session.scalars(query):
        session.delete(draft)
    session.flush()


def pending_outbox(session: Session, now: datetime, limit: int = 50) -> list[Outbox]:
    return list(session.scalars(
        select(Outbox).where(Outbox.status == "pending", Outbox.next_attempt_at <= now)
        .order_by(Outbox.urgent.desc(), Outbox.id).limit(limit)
    ))


def open_buttons(session: Session, ticket_id: int) -> list[Outbox]:
    return list(session.scalars(
        select(Outbox).where(Outbox.ticket_id == ticket_id, Outbox.buttons_open.is_(True)).order_by(Outbox.id)
    ))


def outbox_by_message(session: Session, chat_id: int, message_id: int) -> Outbox | None:
    return session.scalar(select(Outbox).where(Outbox.chat_id == chat_id, Outbox.telegram_message_id == message_id))


def pending_join_request(session: Session, telegram_user_id: int) -> JoinRequest | None:
    return session.scalar(select(JoinRequest).where(JoinRequest.telegram_user_id == telegram_user_id,
                                                    JoinRequest.status == "pending"))


def tickets_where(session: Session, *, department_id: int | None = None, handler_id: int | None = None,
                  statuses: Sequence[str] | None = None, open_only: bool = True, limit: int = 30) -> list[Ticket]:
    query = select(Ticket)
    if department_id is not None:
        query = query.where(Ticket.department_id == department_id)
    if handler_id is not None:
        query = query.where(Ticket.handler_id == handler_id)
    if statuses is not None:
        query = query.where(Ticket.status.in_(list(statuses)))
    if open_only:
        query = query.where(Ticket.closed_at.is_(None))
    return list(session.scalars(query.order_by(Ticket.overall_due_at.is_(None), Ticket.overall_due_at,
                                               Ticket.received_at).limit(limit)))


def next_due(session: Session, ticket_ids: Sequence[int]) -> dict[int, datetime]:
    """The soonest open stage deadline of each ticket."""
    if not ticket_ids:
        return {}
    rows = session.execute(
        select(StageDeadline.ticket_id, func.min(StageDeadline.due_at))
        .where(StageDeadline.ticket_id.in_(list(ticket_ids)), StageDeadline.open.is_(True))
        .group_by(StageDeadline.ticket_id)
    )
    return {ticket_id: due for ticket_id, due in rows}


def search_tickets(session: Session, words: Sequence[str], limit: int = 20) -> list[Ticket]:
    query = select(Ticket)
    for word in words:
        pattern = f"%{word}%"
        query = query.where(
            Ticket.content.ilike(pattern) | Ticket.internal_no.ilike(pattern) | Ticket.external_no.ilike(pattern)
            | Ticket.citizen_name.ilike(pattern) | Ticket.phone.ilike(pattern) | Ticket.address.ilike(pattern)
        )
    return list(session.scalars(query.order_by(Ticket.received_at.desc()).limit(limit)))


def attachments_of(session: Session, ticket_id: int, purpose: str | None = None) -> list[Attachment]:
    query = select(Attachment).where(Attachment.ticket_id == ticket_id)
    if purpose:
        query = query.where(Attachment.purpose == purpose)
    return list(session.scalars(query.order_by(Attachment.id)))


def outbox_with_key(session: Session, key: str) -> Outbox | None:
    return session.scalar(select(Outbox).where(Outbox.dedupe_key == key))


# --- the scheduler ----------------------------------------------------------


def claim(session: Session, key: str, now: datetime) -> bool:
    """Record that a duty keyed `key` is done; False when it already was (by anyone, ever)."""
    from storage.models import JobRun

    if session.scalar(select(JobRun.id).where(JobRun.key == key)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(JobRun(key=key, ran_at=now))
    except IntegrityError:
        return False
    return True


def open_stages_due_before(session: Session, moment: datetime, after_id: int = 0, limit: int = 2000,
                           urgent_only: bool = False):
    """Open stages due before `moment` with their tickets, in id order for paging."""
    query = (
        select(StageDeadline, Ticket)
        .join(Ticket, Ticket.id == StageDeadline.ticket_id)
        .where(StageDeadline.open.is_(True), StageDeadline.due_at <= moment, StageDeadline.id > after_id)
    )
    if urgent_only:
        query = query.where(StageDeadline.urgent.is_(True) | (StageDeadline.rule == "immediate")
                            | Ticket.emergency.is_(True))
    return list(session.execute(query.order_by(StageDeadline.id).limit(limit)))


def warnings_of(session: Session, stage_ids: Sequence[int]) -> dict[int, set[tuple[str, int]]]:
    from storage.models import WarningSent

    out: dict[int, set[tuple[str, int]]] = {}
    for start in range(0, len(stage_ids), 500):
        rows = session.execute(select(WarningSent.stage_deadline_id, WarningSent.level, WarningSent.seq)
                               .where(WarningSent.stage_deadline_id.in_(list(stage_ids[start:start + 500]))))
        for stage_id, level, seq in rows:
            out.setdefault(stage_id, set()).add((level, seq))
    return out


def open_sensitive_tickets(session: Session) -> list[Ticket]:
    return list(session.scalars(
        select(Ticket).where(Ticket.closed_at.is_(None), Ticket.department_id.is_not(None),
                             (Ticket.sensitive.is_(True)) | (Ticket.major_threat.is_(True)))
        .order_by(Ticket.department_id, Ticket.id)
    ))


def daily_report(session: Session, ticket_id: int, day) -> DailyReport | None:
    return session.scalar(select(DailyReport).where(DailyReport.ticket_id == ticket_id,
                                                    DailyReport.report_date == day))


def visited(session: Session, ticket_id: int) -> bool:
    return session.scalar(select(Visit.id).where(Visit.ticket_id == ticket_id, Visit.visited_at.is_not(None))
                          .limit(1)) is not None


def open_tickets_in(session: Session, statuses: Sequence[str]) -> list[Ticket]:
    return list(session.scalars(select(Ticket).where(Ticket.status.in_(list(statuses))).order_by(Ticket.id)))


def open_fallback_years(session: Session) -> bool:
    return session.scalar(select(StageDeadline.id).where(StageDeadline.open.is_(True),
                                                         StageDeadline.calendar_fallback.is_(True)).limit(1)) is not None


# --- statistics -------------------------------------------------------------


def tickets_received_between(session: Session, start: datetime, end: datetime):
    """Rows (id, channel, kind, business_category, department_id, status, handling_class, emergency,
    satisfaction, redo_count) of tickets received in [start, end)."""
    return list(session.execute(
        select(Ticket.id, Ticket.channel, Ticket.kind, Ticket.business_category, Ticket.department_id,
               Ticket.status, Ticket.handling_class, Ticket.emergency, Ticket.satisfaction, Ticket.redo_count)
        .where(Ticket.received_at >= start, Ticket.received_at < end)
    ))


def contents_received_between(session: Session, start: datetime, end: datetime, limit: int = 20000) -> list[str]:
    return list(session.scalars(
        select(Ticket.content).where(Ticket.received_at >= start, Ticket.received_at < end).limit(limit)
    ))


def stage_timeliness(session: Session, stage: str, start: datetime, end: datetime, now: datetime):
    """Per department: (on time, late, still open and not yet due) for a stage started in [start, end)."""
    rows = session.execute(
        select(StageDeadline.department_id, StageDeadline.due_at, StageDeadline.completed_at,
               StageDeadline.cancelled_at)
        .where(StageDeadline.stage == stage, StageDeadline.started_at >= start, StageDeadline.started_at < end)
    )
    out: dict[int | None, list[int]] = {}
    for department_id, due_at, completed_at, cancelled_at in rows:
        if cancelled_at is not None:
            continue
        counts = out.setdefault(department_id, [0, 0, 0])
        if completed_at is not None:
            counts[0 if completed_at <= due_at else 1] += 1
        elif due_at < now:
            counts[1] += 1
        else:
            counts[2] += 1
    return out


def returns_between(session: Session, start: datetime, end: datetime) -> list[tuple[str, int | None]]:
    """(initiator, department id) of returns asked or decided in [start, end) and carried out or approved."""
    return list(session.execute(
        select(TicketReturn.initiator, Ticket.department_id)
        .join(Ticket, Ticket.id == TicketReturn.ticket_id)
        .where(TicketReturn.requested_at >= start, TicketReturn.requested_at < end,
               TicketReturn.decision == "approved")
    ))


def events_between(session: Session, action: str, start: datetime, end: datetime) -> list[tuple[int, int | None]]:
    """(ticket id, department id) of the events of one action in [start, end)."""
    return list(session.execute(
        select(TicketEvent.ticket_id, Ticket.department_id)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.action == action, TicketEvent.at >= start, TicketEvent.at < end)
    ))


def sent_to_chat_since(session: Session, chat_id: int, since: datetime) -> list[datetime]:
    """When messages went to a chat since a moment, oldest first (for the per-group rate)."""
    return list(session.scalars(select(Outbox.sent_at).where(Outbox.chat_id == chat_id, Outbox.sent_at >= since)
                                .order_by(Outbox.sent_at)))


def pending_for_groups(session: Session, now: datetime) -> list[Outbox]:
    return list(session.scalars(select(Outbox).where(
        Outbox.status == "pending", Outbox.next_attempt_at <= now,
        Outbox.audience.in_(["office_group", "department_group"])).order_by(Outbox.id)))


def pending_extension(session: Session, ticket_id: int):
    from storage.models import Extension

    return session.scalar(select(Extension).where(Extension.ticket_id == ticket_id, Extension.decision.is_(None))
                          .order_by(Extension.id.desc()).limit(1))


def extensions_between(session: Session, start: datetime, end: datetime) -> list[tuple[int | None, str | None]]:
    """(department id, decision) of extension requests made in [start, end)."""
    from storage.models import Extension

    return list(session.execute(
        select(Ticket.department_id, Extension.decision).join(Ticket, Ticket.id == Extension.ticket_id)
        .where(Extension.requested_at >= start, Extension.requested_at < end)))


def open_alert(session: Session, ticket_id: int):
    from storage.models import EmergencyAlert

    return session.scalar(select(EmergencyAlert).where(EmergencyAlert.ticket_id == ticket_id,
                                                       EmergencyAlert.acknowledged_at.is_(None))
                          .order_by(EmergencyAlert.id.desc()).limit(1))


def unacknowledged_alerts(session: Session):
    from storage.models import EmergencyAlert

    return list(session.execute(
        select(EmergencyAlert, Ticket).join(Ticket, Ticket.id == EmergencyAlert.ticket_id)
        .where(EmergencyAlert.acknowledged_at.is_(None)).order_by(EmergencyAlert.id)))


def bump_reminder(session: Session, alert_id: int, seen: int) -> bool:
    """Count one more reminder, only if nobody else did since it was read."""
    from storage.models import EmergencyAlert

    result = session.execute(update(EmergencyAlert)
                             .where(EmergencyAlert.id == alert_id, EmergencyAlert.reminders_sent == seen,
                                    EmergencyAlert.acknowledged_at.is_(None))
                             .values(reminders_sent=seen + 1).execution_options(synchronize_session=False))
    return result.rowcount == 1


# --- the knowledge base -----------------------------------------------------


def knowledge_current(session: Session, category: str | None = None):
    from storage.models import KnowledgeEntry

    query = select(KnowledgeEntry).where(KnowledgeEntry.current.is_(True))
    if category:
        query = query.where(KnowledgeEntry.category == category)
    return list(session.scalars(query.order_by(KnowledgeEntry.id)))


def knowledge_current_by_key(session: Session, key: str):
    from storage.models import KnowledgeEntry

    return session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.key == key, KnowledgeEntry.current.is_(True)))


def knowledge_versions(session: Session, key: str):
    from storage.models import KnowledgeEntry

    return list(session.scalars(select(KnowledgeEntry).where(KnowledgeEntry.key == key)
                                .order_by(KnowledgeEntry.version)))


# --- problem tickets --------------------------------------------------------


def open_problem(session: Session, ticket_id: int):
    from storage.models import ProblemReport

    return session.scalar(select(ProblemReport).where(ProblemReport.ticket_id == ticket_id,
                                                      ProblemReport.status != "verified")
                          .order_by(ProblemReport.id.desc()).limit(1))


def problems(session: Session, statuses: Sequence[str] | None = None):
    """(report, ticket) of problem reports, oldest first."""
    from storage.models import ProblemReport

    query = select(ProblemReport, Ticket).join(Ticket, Ticket.id == ProblemReport.ticket_id)
    if statuses is not None:
        query = query.where(ProblemReport.status.in_(list(statuses)))
    return list(session.execute(query.order_by(ProblemReport.id)))


def repeat_candidates(session: Session, ticket: Ticket, since: datetime, limit: int = 50) -> list[Ticket]:
    """Earlier tickets sharing the phone, the name or the address."""
    conditions = []
    if ticket.phone:
        conditions.append(Ticket.phone == ticket.phone)
    if ticket.citizen_name:
        conditions.append(Ticket.citizen_name == ticket.citizen_name)
    if ticket.address:
        conditions.append(Ticket.address == ticket.address)
    if not conditions:
        return []
    condition = conditions[0]
    for other in conditions[1:]:
        condition = condition | other
    return list(session.scalars(select(Ticket).where(condition, Ticket.id != ticket.id, Ticket.received_at >= since)
                                .order_by(Ticket.received_at.desc()).limit(limit)))


def links_of(session: Session, ticket_id: int, active: bool = True):
    from storage.models import TicketLink

    query = select(TicketLink).where((TicketLink.ticket_id == ticket_id) | (TicketLink.related_ticket_id == ticket_id))
    if active:
        query = query.where(TicketLink.unlinked_at.is_(None))
    return list(session.scalars(query.order_by(TicketLink.id)))


def link_between(session: Session, a: int, b: int):
    from storage.models import TicketLink

    return session.scalar(select(TicketLink).where(
        ((TicketLink.ticket_id == a) & (TicketLink.related_ticket_id == b))
        | ((TicketLink.ticket_id == b) & (TicketLink.related_ticket_id == a))))


def open_supervision(session: Session, ticket_id: int):
    from storage.models import Supervision

    return session.scalar(select(Supervision).where(Supervision.ticket_id == ticket_id,
                                                    Supervision.status.in_(["proposed", "created"]))
                          .order_by(Supervision.id.desc()).limit(1))


def overdue_replies_without_supervision(session: Session, now: datetime, limit: int = 100) -> list[Ticket]:
    """Tickets whose department reply is overdue (no approved extension keeps it open) and not yet supervised."""
    from storage.models import Supervision

    supervised = select(Supervision.ticket_id)
    return list(session.scalars(
        select(Ticket).join(StageDeadline, StageDeadline.ticket_id == Ticket.id)
        .where(StageDeadline.open.is_(True), StageDeadline.stage == "reply", StageDeadline.due_at < now,
               Ticket.id.not_in(supervised))
        .order_by(Ticket.id).limit(limit)))


def recent_dispatched(session: Session, before: datetime, since: datetime, limit: int = 500):
    """(department id, content) of the latest dispatched tickets, for 'where similar tickets went'."""
    return list(session.execute(
        select(Ticket.department_id, Ticket.content)
        .where(Ticket.department_id.is_not(None), Ticket.received_at >= since, Ticket.received_at <= before)
        .order_by(Ticket.received_at.desc()).limit(limit)))


def planned_visit(session: Session, ticket_id: int) -> Visit | None:
    return session.scalar(select(Visit).where(Visit.ticket_id == ticket_id, Visit.visited_at.is_(None),
                                              Visit.scheduled_for.is_not(None)).order_by(Visit.id).limit(1))


def visits_due(session: Session, now: datetime):
    """(visit, ticket) of planned visits whose time has come and that are not recorded as done."""
    return list(session.execute(select(Visit, Ticket).join(Ticket, Ticket.id == Visit.ticket_id)
                                .where(Visit.visited_at.is_(None), Visit.scheduled_for <= now,
                                       Ticket.closed_at.is_(None))
                                .order_by(Visit.id)))


def supervisions_in(session: Session, status: str) -> list[Ticket]:
    from storage.models import Supervision

    return list(session.scalars(select(Ticket).join(Supervision, Supervision.ticket_id == Ticket.id)
                                .where(Supervision.status == status).order_by(Ticket.id)))


# --- the latest record of each side machine of a ticket ------------------------


def _latest(session: Session, model, ticket_id: int, *where):
    return session.scalar(select(model).where(model.ticket_id == ticket_id, *where)
                          .order_by(model.id.desc()).limit(1))


def latest_return(session: Session, ticket_id: int) -> TicketReturn | None:
    return _latest(session, TicketReturn, ticket_id)


def latest_extension(session: Session, ticket_id: int):
    from storage.models import Extension

    return _latest(session, Extension, ticket_id)


def latest_alert(session: Session, ticket_id: int):
    from storage.models import EmergencyAlert

    return _latest(session, EmergencyAlert, ticket_id)


def latest_visit(session: Session, ticket_id: int) -> Visit | None:
    return _latest(session, Visit, ticket_id)


def latest_supervision(session: Session, ticket_id: int):
    from storage.models import Supervision

    return _latest(session, Supervision, ticket_id)


def latest_problem(session: Session, ticket_id: int):
    from storage.models import ProblemReport

    return _latest(session, ProblemReport, ticket_id)
