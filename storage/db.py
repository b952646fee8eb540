"""Engine, sessions and migrations. The only place that knows which database runs.

Database work is synchronous SQLAlchemy in a worker thread (`Database.run`):
the workflow core, the importer, the command line and Alembic are all plain
synchronous code, and the bot awaits them with asyncio.to_thread so its event
loop never blocks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlmodel import Session

import storage.models  # noqa: F401  (registers the tables)

DEFAULT_URL = "sqlite:///hotline.db"  # the default of HOTLINE_DATABASE_URL (bot/config.py reads it)
SQLITE_BUSY_TIMEOUT_MS = 10_000

T = TypeVar("T")


def _normalise(url: str) -> str:
    # "postgresql://" alone would ask for psycopg2; the project ships psycopg 3.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, **kw) -> Engine:
    url = _normalise(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                                  "check_same_thread": False}, **kw)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            # Let SQLAlchemy, not the driver, issue BEGIN (see "begin" below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            # Take the write lock at the start: a read-then-write transaction can
            # then never fail halfway with SQLITE_BUSY_SNAPSHOT; others wait.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kw)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "storage:migrations")
    cfg.set_main_option("sqlalchemy.url", _normalise(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, engine: Engine | None = None) -> str:
    """Bring the database to the newest migration; returns the revision."""
    engine = engine or make_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() or ""


class Database:
    def __init__(self, url: str, engine: Engine | None = None):
        self.url = _normalise(url)
        self.engine = engine or make_engine(self.url)

    def upgrade(self) -> str:
        return upgrade(self.url, self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def call(self, fn: Callable[..., T], *args, **kw) -> T:
        with self.session() as session:
            return fn(session, *args, **kw)

    async def run(self, fn: Callable[..., T], *args, **kw) -> T:
        """Run fn(session, ...) in one transaction on a worker thread."""
        return await asyncio.to_thread(self.call, fn, *args, **kw)

    def dispose(self) -> None:
        self.engine.dispose()
