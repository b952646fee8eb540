"""Who is who: the actor behind a Telegram account, /whoami, group bindings, join requests, the audit log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.configfile import ConfigError
from bot.domain import DEPARTMENT_ROLES, Audience, Role
from bot.organisation import Organisation as OrganisationFile
from bot.organisation import sync
from bot.services.base import Service
from bot.workflow import Actor
from storage import queries
from storage.models import Department, JoinRequest, Member


@dataclass(frozen=True)
class Whoami:
    member: str | None
    active: bool = False
    roles: list[tuple[str, str | None]] = field(default_factory=list)  # (role, department name)


@dataclass(frozen=True)
class MemberView:
    """A member as /members shows them to an admin."""

    id: int
    name: str
    active: bool
    source: str  # "config" (the organisation file decides) or "bot" (joined through the bot)
    roles: list[tuple[str, int | None, str | None]]  # (role, department id, department name)


@dataclass(frozen=True)
class Reload:
    """What a reload of the organisation file did: an error sentence, or the number of changes."""

    error: str | None = None
    changes: int = 0


class Organisation(Service):
    # Reads the organisation file again (set by `hotline-bot run` when HOTLINE_CONFIG is given).
    read_file: Callable[[], OrganisationFile] | None = None

    def reload(self, actor: Actor | None, by: str) -> Reload | None:
        """Apply the organisation file again, now; None when `actor` is not an admin (a signal passes None
        with by="signal")."""
        if by != "signal" and (actor is None or not actor.has_role(Role.ADMIN)):
            with self.db.session() as session:
                self._audit(session, actor, "refused", command="reload", reason="not_admin")
            return None
        if self.read_file is None:
            return Reload(error="no_file")
        try:
            config = self.read_file()
        except ConfigError as exc:
            with self.db.session() as session:
                self._audit(session, actor, "reload_failed", by=by, problem=str(exc))
            return Reload(error=str(exc))
        with self.db.session() as session:
            _, changes = sync(session, config, self.now(), by, actor.member_id if actor else None)
            return Reload(changes=changes)

    def members(self, actor: Actor | None) -> list[MemberView] | None:
        """Every member, for an admin; None (refused and audited) for anyone else."""
        with self.db.session() as session:
            if actor is None or not actor.has_role(Role.ADMIN):
                self._audit(session, actor, "refused", command="members", reason="not_admin")
                return None
            return [self._view(session, m) for m in queries.members(session)]

    def member(self, actor: Actor | None, member_id: int) -> MemberView | None:
        if actor is None or not actor.has_role(Role.ADMIN):
            return None
        with self.db.session() as session:
            member = session.get(Member, member_id)
            return self._view(session, member) if member is not None else None

    def change_member(self, actor: Actor | None, member_id: int, change: str, role: str | None = None,
                      department_id: int | None = None) -> str:
        """An admin's change of a member who joined through the bot: "deactivate", "activate", "add_role" or
        "drop_role". Returns "done", "not_admin", "unknown", "from_file" (the file decides for its members)
        or "unchanged"; every change is audited, every refusal too."""
        with self.db.session() as session:
            member = session.get(Member, member_id)
            outcome = self._change(session, actor, member, change, role, department_id)
            if outcome != "done":
                self._audit(session, actor, "refused", command="members", change=change, member_id=member_id,
                            reason=outcome)
            return outcome

    def _change(self, session, actor, member, change, role, department_id) -> str:
        if actor is None or not actor.has_role(Role.ADMIN):
            return "not_admin"
        if member is None:
            return "unknown"
        if member.source == "config":
            return "from_file"
        if role is not None and role in DEPARTMENT_ROLES and session.get(Department, department_id or 0) is None:
            return "unknown"
        department_id = department_id if role in DEPARTMENT_ROLES else None
        if change in ("deactivate", "activate"):
            if member.active == (change == "activate"):
                return "unchanged"
            member.active = change == "activate"
        elif change == "add_role" and role is not None:
            if (role, department_id) in set(queries.member_roles(session, member.id)):
                return "unchanged"
            queries.add_role(session, member.id, role, department_id)
        elif change == "drop_role" and role is not None:
            if not queries.remove_role(session, member.id, role, department_id):
                return "unchanged"
        else:
            return "unknown"
        self._audit(session, actor, "member_changed", by="admin", member_id=member.id, name=member.name,
                    change=change, role=role, department_id=department_id)
        return "done"

    @staticmethod
    def _view(session, member: Member) -> MemberView:
        roles = []
        for role, department_id in sorted(queries.member_roles(session, member.id), key=lambda r: (r[0], r[1] or 0)):
            department = session.get(Department, department_id) if department_id else None
            roles.append((role, department_id, department.name if department else None))
        return MemberView(member.id, member.name, member.active, member.source, roles)

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
                member = Member(name=request.name, telegram_user_id=request.telegram_user_id, created_at=self.now(),
                                source="bot")
                session.add(member)
                session.flush()
            elif not member.active:  # someone the file or an admin removed, let back in by an admin
                member.active, member.source = True, "bot"
            queries.add_role(session, member.id, role, department_id if role in DEPARTMENT_ROLES else None)
            self._queue(session, event, Audience.MEMBER, "join_approved", {"role": role}, member_id=member.id)
            return "approved"
