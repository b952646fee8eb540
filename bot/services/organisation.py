"""Who is who: the actor behind a Telegram account, /whoami, group bindings, join requests, the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain import DEPARTMENT_ROLES, Audience, Role
from bot.services.base import Service
from bot.workflow import Actor
from storage import queries
from storage.models import Department, JoinRequest, Member


@dataclass(frozen=True)
class Whoami:
    member: str | None
    active: bool = False
    roles: list[tuple[str, str | None]] = field(default_factory=list)  # (role, department name)


class Organisation(Service):
    def actor(self, telegram_user_id: int) -> Actor | None:
        with self.db.session() as session:
            member = queries.member_by_telegram_id(session, telegram_user_id)
            return Actor.load(session, member.id) if member else None

    def whoami(self, telegram_user_id: int) -> Whoami:
        with self.db.session() as session:
            member = queries.member_by_telegram_id(session, telegram_user_id)
            if member is None:
                return Whoami(None)
            roles = []
            for role, department_id in queries.member_roles(session, member.id):
                department = session.get(Department, department_id) if department_id else None
                roles.append((role, department.name if department else None))
            return Whoami(member.name, member.active, roles)

    def departments(self, include_office: bool = False) -> list[tuple[int, str]]:
        with self.db.session() as session:
            return [(d.id, d.name) for d in queries.departments(session, include_office)]

    def audit(self, actor: Actor | None, action: str, ticket_id: int | None = None, **payload) -> None:
        """An event that changes nothing: a search, a forged button, a stranger's press."""
        with self.db.session() as session:
            if ticket_id is not None and queries.ticket(session, ticket_id) is None:
                ticket_id = None
            self._audit(session, actor, action, ticket_id, **payload)

    def bind(self, actor: Actor | None, chat_id: int, title: str | None,
             department_id: int) -> tuple[str, str | None]:
        """Bind a group to a department or the office: ("bound", name), ("not_admin", None) or
        ("unknown_department", None)."""
        if actor is None or not actor.has_role(Role.ADMIN):
            return "not_admin", None
        with self.db.session() as session:
            department = session.get(Department, department_id)
            if department is None:
                return "unknown_department", None
            queries.bind_chat(session, chat_id, department.id, title, actor.member_id, self.now())
            self._audit(session, actor, "bind_chat", chat_id=chat_id, department_id=department.id, title=title)
            return "bound", department.name

    def ask_join(self, telegram_user_id: int, name: str) -> bool:
        """File a join request and tell the admins; False when one is already pending."""
        with self.db.session() as session:
            if queries.pending_join_request(session, telegram_user_id):
                return False
            request = JoinRequest(telegram_user_id=telegram_user_id, name=name[:128], requested_at=self.now())
            session.add(request)
            session.flush()
            event = self._audit(session, None, "join_request", request_id=request.id, user_id=telegram_user_id)
            for admin in queries.members_with_role(session, Role.ADMIN.value):
                self._queue(session, event, Audience.MEMBER, "join_request",
                            {"request_id": request.id, "name": request.name, "user_id": telegram_user_id},
                            member_id=admin.id)
            return True

    def decide_join(self, actor: Actor | None, request_id: int, role: str | None,
                    department_id: int | None) -> str:
        """Approve (with a role) or refuse (role None) a join request; returns an outcome code."""
        if actor is None or not actor.has_role(Role.ADMIN):
            return "not_admin"
        with self.db.session() as session:
            request = session.get(JoinRequest, request_id)
            if request is None or request.status != "pending":
                return "stale"
            if role is not None and role in DEPARTMENT_ROLES and session.get(Department, department_id or 0) is None:
                return "need_department"
            request.status = "approved" if role else "refused"
            request.decided_by_id, request.decided_at = actor.member_id, self.now()
            event = self._audit(session, actor, "join_decided", request_id=request.id, role=role,
                                department_id=department_id)
            if role is None:
                return "refused"
            member = queries.member_by_telegram_id(session, request.telegram_user_id)
            if member is None:
                member = Member(name=request.name, telegram_user_id=request.telegram_user_id, created_at=self.now())
                session.add(member)
                session.flush()
            queries.add_role(session, member.id, role, department_id if role in DEPARTMENT_ROLES else None)
            self._queue(session, event, Audience.MEMBER, "join_approved", {"role": role}, member_id=member.id)
            return "approved"
