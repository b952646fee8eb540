"""Departments, members and roles from the administrator's configuration.

    [[departments]]
    code = "office"
    name = "局办公室"
    office = true

    [[departments]]
    code = "jiuzhu"
    name = "社会救助科"
    categories = ["社会救助"]          # suggested first for these business categories

    [[members]]
    name = "李强"
    telegram_id = 2001
    department = "jiuzhu"
    roles = ["handler", "business_leader:yanglao"]   # "role" or "role:department"

The same file may carry `[rules]` (any key of bot/rules.toml) and `[holidays]`
(as examples/holidays.toml); bot/config.py reads those.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator
from sqlmodel import Session

from bot.configfile import Strict, check, problem
from bot.domain import DEPARTMENT_ROLES, Role
from storage import queries
from storage.models import Department, Member, TicketEvent

Text = Annotated[str, Field(min_length=1)]


def _role(value: str) -> str:
    """"role" or "role:department"."""
    role = value.partition(":")[0]
    if role not in Role.__members__.values():
        raise problem("config_unknown_role", role=role, choices="、".join(Role))
    return value


class DepartmentEntry(Strict):
    code: Text
    name: Text
    office: bool = False
    active: bool = True
    categories: list[str] = []


class MemberEntry(Strict):
    name: Text
    telegram_id: int | None = Field(default=None, gt=0)
    department: str | None = None
    roles: list[Annotated[str, AfterValidator(_role)]] = []
    active: bool = True

    def role_departments(self) -> list[tuple[Role, str | None]]:
        """Each role with the code of its department (None for a role of the whole bureau)."""
        out = []
        for spec in self.roles:
            role, _, code = spec.partition(":")
            out.append((Role(role), (code or self.department) if role in DEPARTMENT_ROLES else None))
        return out

    @model_validator(mode="after")
    def _department_roles_name_one(self) -> MemberEntry:
        for role, code in self.role_departments():
            if role in DEPARTMENT_ROLES and not code:
                raise problem("config_role_needs_department", at="roles", role=role.value)
        return self


class Organisation(Strict):
    """The administrator's configuration file (HOTLINE_CONFIG)."""

    departments: list[DepartmentEntry] = []
    members: list[MemberEntry] = []
    rules: dict[str, Any] = {}  # merged over bot/rules.toml, validated there
    holidays: dict[str, Any] = {}  # validated by bot/calendar.py

    @model_validator(mode="after")
    def _references_hold(self) -> Organisation:
        codes = [d.code for d in self.departments]
        for i, code in enumerate(codes):
            if code in codes[:i]:
                raise problem("config_duplicate", at=f"departments[{i + 1}].code", value=code)
        ids: set[int] = set()
        for i, member in enumerate(self.members, 1):
            if member.telegram_id is not None and member.telegram_id in ids:
                raise problem("config_duplicate", at=f"members[{i}].telegram_id", value=member.telegram_id)
            ids.add(member.telegram_id)
            for _, code in member.role_departments():
                if code is not None and code not in codes:
                    raise problem("config_unknown_department", at=f"members[{i}].roles", code=code)
        return self


def read_organisation(raw: dict, where=None) -> Organisation:
    return check(Organisation, raw, where)


def apply_config(session: Session, config: Organisation | dict, now: datetime | None = None,
                 by: str = "config", actor_id: int | None = None) -> dict[str, int]:
    """Make the database say what the file says (`sync`); returns name -> member id."""
    return sync(session, config, now, by, actor_id)[0]


def sync(session: Session, config: Organisation | dict, now: datetime | None = None, by: str = "config",
         actor_id: int | None = None) -> tuple[dict[str, int], int]:
    """Make the database say what the file says; returns name -> member id and the number of changes.

    The file is the truth for the members it lists (SPEC §7: only registered members act; 办法 第二十三条: no
    citizen's details to anyone unrelated to the hotline's work, and whom the file dropped is unrelated now):
    their name, whether they are active and exactly their roles. A member the file once listed and no
    longer does is deactivated and loses every role; nobody is deleted, so the history keeps their name.
    Members who joined through the bot and are not in the file are left as they are. Each change is one
    audit event `member_changed` saying what changed and `by` what (the file at a start, a reload, a signal).
    """
    if not isinstance(config, Organisation):
        config = read_organisation(config)
    at = now or datetime.now(UTC)
    for entry in config.departments:
        department = queries.department_by_code(session, entry.code)
        if department is None:
            department = Department(code=entry.code, name=entry.name)
            session.add(department)
        department.name = entry.name
        department.is_office = entry.office
        department.active = entry.active
        department.categories = list(entry.categories)
    session.flush()

    changes = []

    def changed(member: Member, change: str, **detail) -> None:
        changes.append(change)
        session.add(TicketEvent(actor_id=actor_id, at=at, action="member_changed",
                                payload={"by": by, "member_id": member.id, "name": member.name, "change": change,
                                         **detail}))

    members: dict[str, int] = {}
    listed: set[int] = set()
    for entry in config.members:
        member = (queries.member_by_telegram_id(session, entry.telegram_id) if entry.telegram_id
                  else queries.config_member_named(session, entry.name))
        if member is None:
            member = Member(name=entry.name, telegram_user_id=entry.telegram_id, active=entry.active, created_at=at)
            session.add(member)
            session.flush()
            changed(member, "added", active=entry.active)
        elif member.source != "config":
            changed(member, "listed_in_file", was=member.source)
        if member.active != entry.active:
            changed(member, "activated" if entry.active else "deactivated")
        member.name, member.active, member.source = entry.name, entry.active, "config"
        wanted = {(role.value, queries.department_by_code(session, code).id if code else None)
                  for role, code in entry.role_departments()}
        _set_roles(session, member, wanted, changed)
        members[entry.name] = member.id
        listed.add(member.id)

    for member in queries.members(session, source="config"):
        if member.id in listed:
            continue
        _set_roles(session, member, set(), changed)
        if member.active:
            member.active = False
            changed(member, "deactivated", reason="not_in_file")
    session.flush()
    return members, len(changes)


def _set_roles(session: Session, member: Member, wanted: set[tuple[str, int | None]], changed) -> None:
    held = set(queries.member_roles(session, member.id))
    for role, department_id in sorted(held - wanted, key=str):
        queries.remove_role(session, member.id, role, department_id)
        changed(member, "role_removed", role=role, department_id=department_id)
    for role, department_id in sorted(wanted - held, key=str):
        queries.add_role(session, member.id, role, department_id)
        changed(member, "role_added", role=role, department_id=department_id)
