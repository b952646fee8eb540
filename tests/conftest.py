"""Fixtures: a database on every backend, a controllable clock, the organisation of a bureau."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text as sql
from sqlmodel import SQLModel

from bot.calendar import WorkCalendar
from bot.deadlines import DeadlineCalculator
from bot.organisation import apply_config
from bot.rules import load_rules
from bot.workflow import Actor, Workflow
from storage.db import Database, make_engine

SHANGHAI = ZoneInfo("Asia/Shanghai")
PG_URL = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])

ORGANISATION = {
    "departments": [
        {"code": "office", "name": "局办公室", "office": True},
        {"code": "jiuzhu", "name": "社会救助科", "categories": ["社会救助"]},
        {"code": "yanglao", "name": "养老服务科", "categories": ["养老服务"]},
        {"code": "quhua", "name": "区划地名科", "categories": ["区划地名"]},
    ],
    "members": [
        {"name": "王芳", "telegram_id": 1001, "roles": ["office"]},
        {"name": "赵敏", "telegram_id": 1002, "roles": ["office"]},
        {"name": "李强", "telegram_id": 2001, "department": "jiuzhu", "roles": ["handler"]},
        {"name": "陈刚", "telegram_id": 2002, "department": "jiuzhu", "roles": ["business_leader"]},
        {"name": "钱进", "telegram_id": 2003, "department": "jiuzhu", "roles": ["business_leader"]},
        {"name": "周丽", "telegram_id": 3001, "department": "yanglao", "roles": ["handler"]},
        {"name": "吴军", "telegram_id": 3002, "department": "yanglao", "roles": ["business_leader"]},
        {"name": "冯涛", "telegram_id": 5001, "department": "quhua", "roles": ["handler"]},
        {"name": "孙伟", "telegram_id": 4001, "roles": ["petition_leader"]},
        {"name": "郑华", "telegram_id": 4002, "roles": ["main_leader"]},
        {"name": "管理员", "telegram_id": 9001, "roles": ["admin"]},
    ],
}

# the group chats of the bureau: (name in the transcript, chat id, department code)
GROUPS = [("局办公室群", -1001, "office"), ("社会救助科群", -1002, "jiuzhu"), ("养老服务科群", -1003, "yanglao"),
          ("区划地名科群", -1004, "quhua")]


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def actor_of(db, telegram_id: int):
    """The workflow actor of the member with this Telegram id."""
    from bot.workflow import Actor
    from storage import queries

    with db.session() as session:
        return Actor.load(session, queries.member_by_telegram_id(session, telegram_id).id)


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, start: datetime):
        self.moment = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.moment

    def set(self, text: str) -> None:
        self.moment = local(text).astimezone(UTC)

    def advance(self, **kw) -> None:
        self.moment += timedelta(**kw)


@pytest.fixture(scope="session")
def pg_engine():
    if not PG_URL:
        yield None
        return
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sql(f"CREATE SCHEMA {schema}"))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(sql(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path, pg_engine):
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path}/hotline.db")
        SQLModel.metadata.create_all(database.engine)
    else:
        tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
        with pg_engine.begin() as conn:
            conn.execute(sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        database = Database(PG_URL, engine=pg_engine)
    yield database
    if request.param == "sqlite":
        database.dispose()


@pytest.fixture
def rules():
    return load_rules()


@pytest.fixture
def calendar():
    return WorkCalendar()


@pytest.fixture
def calc(rules, calendar):
    return DeadlineCalculator(rules, calendar)


@pytest.fixture
def clock():
    return Clock(local("2026-09-29T10:00"))


@pytest.fixture
def workflow(rules, calc, clock):
    return Workflow(rules, calc, clock)


@pytest.fixture
def org(db):
    """name -> Actor, plus department ids under their codes."""
    with db.session() as session:
        ids = apply_config(session, ORGANISATION)
        actors = {name: Actor.load(session, member_id) for name, member_id in ids.items()}
        from storage import queries

        departments = {d["code"]: queries.department_by_code(session, d["code"]).id for d in ORGANISATION["departments"]}
    return {"actors": actors, "departments": departments}


@pytest.fixture
async def chat(db, org, clock, rules, calendar, tmp_path):
    """The real bot against the local Bot API server, with the bureau's groups bound."""
    from bot.app import build_application
    from bot.sandbox.localapi import LocalBotApi
    from bot.sandbox.transcript import Chat
    from bot.service import Hotline
    from storage import queries

    api = LocalBotApi().start()
    hotline = Hotline(db, rules, calendar, clock, files_dir=tmp_path / "forms")
    with db.session() as session:
        for _, chat_id, code in GROUPS:
            queries.bind_chat(session, chat_id, org["departments"][code], code, None, clock())
    app = build_application(hotline, api.token, api.base_url, api.base_file_url, group_rate=0, jobs=False)
    await app.initialize()
    people = {m["name"]: m["telegram_id"] for m in ORGANISATION["members"]}
    driver = Chat(api, app, people, {name: chat_id for name, chat_id, _ in GROUPS})
    # everybody has opened a private chat with the bot, except where a test says otherwise
    for name in people:
        if name != "冯涛":
            api.started_private.add(people[name])
            api.private(api.user(people[name], name))
    yield driver
    await app.shutdown()
    api.stop()
    # whatever the test did: no group ever saw a citizen's phone, address or name in full
    with db.session() as session:
        from sqlmodel import select

        from storage.models import Ticket

        secrets = [value for t in session.exec(select(Ticket))
                   for value in (t.phone, t.address, t.citizen_name if t.citizen_name and len(t.citizen_name) > 1
                                 else None) if value]
    for text in driver.group_texts():
        for secret in secrets:
            assert secret not in text, (secret, text)
