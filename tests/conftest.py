"""Fixtures: a database on every backend, a controllable clock, the organisation of a bureau, the bot.

Only fixtures live here; what tests share otherwise is in tests/helpers.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text as sql
from sqlmodel import SQLModel, select

from bot.app import build_application
from bot.calendar import WorkCalendar
from bot.deadlines import DeadlineCalculator
from bot.organisation import apply_config
from bot.rules import load_rules
from bot.sandbox.localapi import LocalBotApi
from bot.sandbox.transcript import Chat
from bot.services import Services
from bot.workflow import Actor, Workflow
from handlers.gate import well_formed
from storage import queries
from storage.db import Database, make_engine
from storage.models import Ticket
from tests.helpers.clock import Clock, local
from tests.helpers.db import BACKENDS, PG_URL
from tests.helpers.desk import Desk
from tests.helpers.leaks import group_payloads, leaks, secrets_of
from tests.helpers.org import GROUPS, ORGANISATION, PEOPLE


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
        departments = {d["code"]: queries.department_by_code(session, d["code"]).id for d in ORGANISATION["departments"]}
    return {"actors": actors, "departments": departments}


@pytest.fixture
def desk(db, workflow, org):
    """The workflow core driven by name: who does what, and what the database then holds."""
    return Desk(db, workflow, org)


@pytest.fixture
async def chat(db, org, clock, rules, calendar, tmp_path):
    """The real bot against the local Bot API server, with the bureau's groups bound."""
    api = LocalBotApi().start()
    hotline = Services(db, rules, calendar, clock, files_dir=tmp_path / "forms")
    with db.session() as session:
        for _, chat_id, code in GROUPS:
            queries.bind_chat(session, chat_id, org["departments"][code], code, None, clock())
    app = build_application(hotline, api.token, api.base_url, api.base_file_url, group_rate=0, jobs=False,
                            second_pace=False)
    await app.initialize()
    driver = Chat(api, app, PEOPLE, {name: chat_id for name, chat_id, _ in GROUPS})
    # everybody has opened a private chat with the bot, except where a test says otherwise
    for name in PEOPLE:
        if name != "冯涛":
            api.started_private.add(PEOPLE[name])
            api.private(api.user(PEOPLE[name], name))
    yield driver
    await app.shutdown()
    api.stop()
    # whatever the test did: no group ever saw a citizen's phone (in any spelling), address, house number or
    # name, in a text, a caption, an edit or a document
    with db.session() as session:
        secrets = [s for t in session.exec(select(Ticket))
                   for s in secrets_of(t.citizen_name, t.address, t.phone, t.id_number or "")]
    assert leaks(group_payloads(api), secrets) == []
    # and every button the bot sent parses through the gate's grammar
    sent = {b["callback_data"] for s in api.sent for row in s.buttons for b in row if "callback_data" in b}
    assert [data for data in sent if not well_formed(data)] == []
