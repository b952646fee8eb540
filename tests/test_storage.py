"""The database: migrations equal the models, times round-trip, SQLite settings, indexes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy import text as sql
from sqlmodel import SQLModel, select

from bot.cli import main
from storage import fulltext, queries
from storage.db import Database, alembic_config, make_engine, upgrade
from storage.models import Department, StageDeadline
from tests.helpers.clock import local
from tests.helpers.db import PG_URL

HEAD = "0017"  # the newest migration


def _diff(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "compare_server_default": True,
            "include_name": lambda name, *_: not fulltext.is_search_object(name)})
        return compare_metadata(context, SQLModel.metadata)


def test_migrations_from_empty_to_head_match_the_models_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path}/m.db"
    assert upgrade(url) == HEAD
    engine = make_engine(url)
    assert _diff(engine) == []
    assert upgrade(url) == HEAD  # a second upgrade is a no-op


@pytest.mark.skipif(not PG_URL, reason="HOTLINE_TEST_POSTGRES_URL not set")
def test_migrations_from_empty_to_head_match_the_models_on_postgres():
    schema = f"m_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sql(f"CREATE SCHEMA {schema}"))
    try:
        engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
        assert upgrade(PG_URL, engine) == HEAD
        assert _diff(engine) == []
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(sql(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_cli_db_upgrade(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    assert main(["db", "upgrade"]) == 0
    assert HEAD in capsys.readouterr().out
    assert "ticket" in inspect(make_engine(f"sqlite:///{tmp_path}/cli.db")).get_table_names()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/w.db")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_aware_times_round_trip_in_utc(db, org, workflow):
    from tests.helpers.desk import Desk

    desk = Desk(db, workflow, org)
    t = desk.new("12345", "ordinary", received="2026-09-29T09:00")
    ticket = desk.ticket(t)
    assert ticket.received_at == local("2026-09-29T09:00")
    assert ticket.received_at.tzinfo is not None
    assert ticket.overall_due_at == local("2026-10-14T23:59:59")


def test_naive_times_are_refused(db):
    with pytest.raises(Exception, match="naive"), db.session() as session:
        session.add(StageDeadline(ticket_id=1, stage="x", started_at=datetime(2026, 1, 1), due_at=datetime.now(UTC),
                                  rule="x"))
        session.flush()


def test_open_deadlines_query_uses_the_index(db, org, workflow):
    from tests.helpers.desk import Desk

    desk = Desk(db, workflow, org)
    for i in range(3):
        desk.new("12345", "ordinary", received=f"2026-09-2{i + 1}T09:00")
    with db.session() as session:
        due = queries.open_deadlines_before(session, local("2026-10-31T00:00"))
        assert [r.due_at for r in due] == sorted(r.due_at for r in due) and len(due) == 6
        assert queries.open_deadlines_before(session, local("2026-09-01T00:00")) == []
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT * FROM stage_deadline WHERE open = 1 AND due_at <= '2026-10-31' "
                "ORDER BY due_at").fetchall()
        assert "ix_stage_deadline_open_due" in str(plan)


def test_internal_numbers_are_sequential_per_year(db):
    with db.session() as session:
        assert [queries.next_internal_number(session, 2026) for _ in range(3)] == [1, 2, 3]
        assert queries.next_internal_number(session, 2027) == 1


def test_a_transaction_is_all_or_nothing(db):
    with pytest.raises(RuntimeError), db.session() as session:
        session.add(Department(code="x", name="x"))
        session.flush()
        raise RuntimeError
    with db.session() as session:
        assert queries.department_by_code(session, "x") is None


async def test_database_work_runs_off_the_event_loop(db):
    import threading

    loop_thread = threading.get_ident()

    def work(session):
        return threading.get_ident(), queries.count(session, Department)

    thread, count = await db.run(work)
    assert thread != loop_thread and count == 0


def _old_database(tmp_path, revision: str):
    """A database as an older release left it: (url, engine) at that revision."""
    url = f"sqlite:///{tmp_path}/old.db"
    engine = make_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return url, engine


def test_migration_0005_closes_contact_stages_an_old_reply_answered(tmp_path):
    """办法 第十五条: a 962200 reply that recorded its contact had made it; the open contact stage is closed."""
    url, engine = _old_database(tmp_path, "0004")
    with engine.begin() as conn:
        for n in (1, 2):
            conn.execute(sql("INSERT INTO ticket (id, internal_no, channel, external_no, received_at, content, tags, "
                             "city_urged, sensitive, repeat, review, major_threat, emergency, status, version, "
                             "calendar_fallback, redo_count, created_at, updated_at) VALUES "
                             f"({n}, 'SJMZ-2026-00000{n}', '962200', 'N{n}', '2026-09-29 01:00:00', 'x', '[]', "
                             "0, 0, 0, 0, 0, 0, 'accepted', 1, 0, 0, '2026-09-29 01:00:00', '2026-09-29 01:00:00')"))
            conn.execute(sql("INSERT INTO stage_deadline (ticket_id, stage, started_at, due_at, rule, "
                             "calendar_fallback, urgent, open) VALUES "
                             f"({n}, 'dept_first_contact', '2026-09-29 02:00:00', '2026-10-09 15:59:59', "
                             "'working_days:3', 0, 0, 1)"))
        conn.execute(sql("INSERT INTO reply (ticket_id, round, status, contact_time, points, letter, review_reasons, "
                         "created_at, updated_at) VALUES (1, 1, 'draft', '2026-09-30 02:00:00', '[]', '{}', '[]', "
                         "'2026-09-30 02:00:00', '2026-09-30 02:00:00')"))
    assert upgrade(url, engine) == HEAD
    with Database(url, engine=engine).session() as session:
        stages = {row.ticket_id: row for row in session.exec(select(StageDeadline))}
        assert stages[1].open is False and stages[1].completed_at == datetime(2026, 9, 30, 2, tzinfo=UTC)
        assert stages[2].open is True  # no reply, no contact recorded: still due
        assert queries.ticket(session, 1).dept_contacted_at == datetime(2026, 9, 30, 2, tzinfo=UTC)
    engine.dispose()



def test_migration_0008_copies_the_one_time_to_the_call_and_the_receipt(tmp_path):
    """SPEC §9.1: one field held both; after the upgrade 来电/来访时间 and the receipt are the same moment."""
    url, engine = _old_database(tmp_path, "0007")
    with engine.begin() as conn:
        conn.execute(sql("INSERT INTO ticket (id, internal_no, channel, external_no, received_at, content, tags, "
                         "city_urged, sensitive, repeat, review, major_threat, emergency, status, version, "
                         "calendar_fallback, redo_count, created_at, updated_at) VALUES "
                         "(1, 'SJMZ-2026-000001', '12345', 'H1', '2026-09-29 01:00:00', 'x', '[]', "
                         "0, 0, 0, 0, 0, 0, 'received', 1, 0, 0, '2026-09-29 01:00:00', '2026-09-29 01:00:00')"))
    assert upgrade(url, engine) == HEAD
    with Database(url, engine=engine).session() as session:
        ticket = queries.ticket(session, 1)
        assert ticket.called_at == ticket.received_at == datetime(2026, 9, 29, 1, tzinfo=UTC)
    engine.dispose()
