"""Departments, members and their roles, bound chats, join requests and chat-form drafts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from storage.models import (
    ChatBinding,
    Department,
    FormDraft,
    JoinRequest,
    Member,
    MemberRole,
)


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


def _role_row(session: Session, member_id: int, role: str, department_id: int | None) -> MemberRole | None:
    return session.scalar(
        select(MemberRole).where(
            MemberRole.member_id == member_id,
            MemberRole.role == role,
            MemberRole.department_id.is_(None) if department_id is None else MemberRole.department_id == department_id,
        )
    )


def add_role(session: Session, member_id: int, role: str, department_id: int | None) -> MemberRole:
    existing = _role_row(session, member_id, role, department_id)
    if existing:
        return existing
    row = MemberRole(member_id=member_id, role=role, department_id=department_id)
    session.add(row)
    session.flush()
    return row


def remove_role(session: Session, member_id: int, role: str, department_id: int | None) -> bool:
    """Take a role away; False when the member did not hold it."""
    row = _role_row(session, member_id, role, department_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def members(session: Session, source: str | None = None) -> list[Member]:
    """Every member (active or not), of one source or all, in the order they were added."""
    query = select(Member).order_by(Member.id)
    if source is not None:
        query = query.where(Member.source == source)
    return list(session.scalars(query))


def config_member_named(session: Session, name: str) -> Member | None:
    """A member of the organisation file listed without a Telegram id, found by name."""
    return session.scalar(select(Member).where(Member.name == name, Member.source == "config",
                                               Member.telegram_user_id.is_(None)).order_by(Member.id).limit(1))


def chats_of_department(session: Session, department_id: int) -> list[ChatBinding]:
    return list(session.scalars(select(ChatBinding).where(ChatBinding.department_id == department_id)))


def departments(session: Session, include_office: bool = False) -> list[Department]:
    query = select(Department).where(Department.active.is_(True)).order_by(Department.id)
    if not include_office:
        query = query.where(Department.is_office.is_(False))
    return list(session.scalars(query))


def office_department(session: Session) -> Department | None:
    return session.scalar(select(Department).where(Department.is_office.is_(True)).order_by(Department.id).limit(1))


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


def pending_join_request(session: Session, telegram_user_id: int) -> JoinRequest | None:
    return session.scalar(select(JoinRequest).where(JoinRequest.telegram_user_id == telegram_user_id,
                                                    JoinRequest.status == "pending"))
