"""Full-text indexes made for Chinese: SQLite FTS5 with the trigram tokenizer, PostgreSQL pg_trgm (GIN).

Both answer the same question, "does the text contain this string" (case-insensitive), so a search
finds the same tickets and entries on either database. A string shorter than three characters has no
trigram: callers filter such words with LIKE on the rows the longer words found, or, when every word
is short, scan newest first up to their limit (storage/queries/tickets.py, knowledge.py).

These objects are not in the models (SQLModel cannot describe them): migration 0011 creates them, the
models' tables create them with themselves (create_all), and `SEARCH_OBJECTS` keeps them out of the
comparison of migrations with the models. On SQLite the triggers live on `ticket` and `knowledge_entry`:
a migration that rebuilds either table (batch mode) must create them again.
"""

from __future__ import annotations

from sqlalchemy import literal_column
from sqlalchemy.engine import Connection

MIN_LENGTH = 3  # a trigram index finds strings of three characters or more

# what a ticket search looks in (a word never contains the space between two fields)
TICKET_DOC = ("(content || ' ' || internal_no || ' ' || external_no || ' ' || coalesce(citizen_name, '') || ' ' "
              "|| coalesce(phone, '') || ' ' || coalesce(address, ''))")
# a knowledge entry's words between spaces, so a two-character word " 低保 " has trigrams too
KNOWLEDGE_DOC = "(' ' || tokens || ' ' || title || ' ')"

SEARCH_OBJECTS = {"ticket_fts", "knowledge_fts", "ix_ticket_trgm", "ix_knowledge_trgm"}


def is_search_object(name: str | None) -> bool:
    return bool(name) and any(name == o or name.startswith(o + "_") for o in SEARCH_OBJECTS)


COLUMNS = ("content", "internal_no", "external_no", "citizen_name", "phone", "address", "tokens", "title")


def _qualified(doc: str, alias: str) -> str:
    for column in COLUMNS:
        for before in ("(", "|| ", "coalesce("):
            doc = doc.replace(before + column, f"{before}{alias}.{column}")
    return doc


def ticket_doc():
    return literal_column(_qualified(TICKET_DOC, "ticket"))


def knowledge_doc():
    return literal_column(_qualified(KNOWLEDGE_DOC, "knowledge_entry"))


def phrase(word: str) -> str:
    """An FTS5 phrase matching `word` as a substring."""
    return '"' + word.replace('"', '""') + '"'


def like(word: str) -> str:
    """A LIKE pattern matching `word` as a substring (its own % and _ taken literally, escape '\\')."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _fts(table: str, source: str, doc: str, columns: str) -> list[str]:
    return [
        f"CREATE VIRTUAL TABLE {table} USING fts5(doc, tokenize='trigram')",
        f"INSERT INTO {table}(rowid, doc) SELECT id, {doc} FROM {source}",
        f"CREATE TRIGGER {table}_ai AFTER INSERT ON {source} BEGIN "
        f"INSERT INTO {table}(rowid, doc) VALUES (new.id, {_qualified(doc, 'new')}); END",
        f"CREATE TRIGGER {table}_au AFTER UPDATE OF {columns} ON {source} BEGIN "
        f"UPDATE {table} SET doc = {_qualified(doc, 'new')} WHERE rowid = new.id; END",
        f"CREATE TRIGGER {table}_ad AFTER DELETE ON {source} BEGIN DELETE FROM {table} WHERE rowid = old.id; END",
    ]


def _trgm_ops(conn: Connection) -> str:
    find = ("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'")
    schema = conn.exec_driver_sql(find).scalar()
    if schema is None:  # in public, which outlives any one schema of this database
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        schema = conn.exec_driver_sql(find).scalar()
    return f'"{schema}".gin_trgm_ops'


def create_ticket_index(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        statements = _fts("ticket_fts", "ticket", TICKET_DOC,
                          "content, internal_no, external_no, citizen_name, phone, address")
    else:
        statements = [f"CREATE INDEX ix_ticket_trgm ON ticket USING gin ({TICKET_DOC} {_trgm_ops(conn)})"]
    for statement in statements:
        conn.exec_driver_sql(statement)


def create_knowledge_index(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        statements = _fts("knowledge_fts", "knowledge_entry", KNOWLEDGE_DOC, "tokens, title")
    else:
        statements = [f"CREATE INDEX ix_knowledge_trgm ON knowledge_entry USING gin ({KNOWLEDGE_DOC} "
                      f"{_trgm_ops(conn)})"]
    for statement in statements:
        conn.exec_driver_sql(statement)


def create(conn: Connection) -> None:
    create_ticket_index(conn)
    create_knowledge_index(conn)


def drop(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for table in ("ticket_fts", "knowledge_fts"):
            for suffix in ("ai", "au", "ad"):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    else:
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_ticket_trgm")
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_knowledge_trgm")
