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
"""

from __future__ import annotations

from sqlmodel import Session

from bot.domain import DEPARTMENT_ROLES, Role
from bot.rules import RulesError
from storage import queries
from storage.models import Department, Member


def apply_config(session: Session, config: dict) -> dict[str, int]:
    """Create or update departments, members and roles; returns name -> member id."""
    for raw in config.get("departments", []):
        code, name = raw.get("code"), raw.get("name")
        if not code or not name:
            raise RulesError("departments: every department needs code and name")
        department = queries.department_by_code(session, code)
        if department is None:
            department = Department(code=code, name=name)
            session.add(department)
        department.name = name
        department.is_office = bool(raw.get("office", False))
        department.active = bool(raw.get("active", True))
        department.categories = list(raw.get("categories", []))
    session.flush()

    members: dict[str, int] = {}
    for raw in config.get("members", []):
        name = raw.get("name")
        if not name:
            raise RulesError("members: every member needs a name")
        telegram_id = raw.get("telegram_id")
        member = queries.member_by_telegram_id(session, telegram_id) if telegram_id else None
        if member is None:
            member = Member(name=name, telegram_user_id=telegram_id)
            session.add(member)
            session.flush()
        member.name = name
        member.active = bool(raw.get("active", True))
        for spec in raw.get("roles", []):
            role, _, dept_code = spec.partition(":")
            if role not in Role.__members__.values():
                raise RulesError(f"members.{name}: unknown role {role!r}")
            dept_code = dept_code or raw.get("department")
            department_id = None
            if role in DEPARTMENT_ROLES:
                department = queries.department_by_code(session, dept_code or "")
                if department is None:
                    raise RulesError(f"members.{name}: role {role} needs a known department")
                department_id = department.id
            queries.add_role(session, member.id, role, department_id)
        members[name] = member.id
    session.flush()
    return members
