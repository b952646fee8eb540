"""The knowledge base's entries and their versions."""

from __future__ import annotations

from sqlalchemy import case, column, func, literal_column, or_, select, table
from sqlmodel import Session

from storage import fulltext
from storage.models import (
    KnowledgeEntry,
)


def knowledge_current(session: Session, category: str | None = None):
    query = select(KnowledgeEntry).where(KnowledgeEntry.current.is_(True))
    if category:
        query = query.where(KnowledgeEntry.category == category)
    return list(session.scalars(query.order_by(KnowledgeEntry.id)))


def knowledge_current_by_key(session: Session, key: str):
    # by key alone (uq_knowledge_version), so no database reads every current entry to find one
    versions = session.scalars(select(KnowledgeEntry).where(KnowledgeEntry.key == key)
                               .order_by(KnowledgeEntry.version.desc()))
    return next((entry for entry in versions if entry.current), None)


def knowledge_versions(session: Session, key: str):
    return list(session.scalars(select(KnowledgeEntry).where(KnowledgeEntry.key == key)
                                .order_by(KnowledgeEntry.version)))


def knowledge_candidates(session: Session, terms: list[str], typed: list[str], category: str | None = None):
    """(id, title, words) of the current entries that hold one of `terms` among their words, or whose title
    contains one of `typed`: found through the trigram index (a word between spaces has trigrams however short it is),
    never by reading every entry."""
    current = [KnowledgeEntry.current.is_(True)]
    if category:
        current.append(KnowledgeEntry.category == category)
    conditions = []
    if terms:
        if session.get_bind().dialect.name == "sqlite":
            fts = table("knowledge_fts", column("rowid"))
            match = " OR ".join(fulltext.phrase(f" {t} ") for t in terms)
            conditions.append(KnowledgeEntry.id.in_(select(fts.c.rowid).where(
                literal_column("knowledge_fts").op("MATCH")(match))))
        else:
            doc = fulltext.knowledge_doc()
            conditions += [doc.like(fulltext.like(f" {t} "), escape="\\") for t in terms]
    conditions += [KnowledgeEntry.title.ilike(fulltext.like(t), escape="\\") for t in typed]
    if not conditions:
        return []
    query = (select(KnowledgeEntry.id, KnowledgeEntry.title, KnowledgeEntry.tokens)
             .where(*current, or_(*conditions)).order_by(KnowledgeEntry.id))
    return list(session.execute(query))


def knowledge_entries(session: Session, ids: list[int]) -> list[KnowledgeEntry]:
    """The entries with these ids, whole (the few a search shows)."""
    return list(session.scalars(select(KnowledgeEntry).where(KnowledgeEntry.id.in_(ids)))) if ids else []


def knowledge_newest(session: Session) -> int:
    """The id of the newest entry or version (through the primary key)."""
    return session.scalar(select(func.max(KnowledgeEntry.id))) or 0


def knowledge_size(session: Session, category: str | None = None) -> tuple[int, int]:
    """(current entries, their words in all), for the ranking's average length."""
    words = case((KnowledgeEntry.tokens == "", 0),
                 else_=func.length(KnowledgeEntry.tokens) - func.length(func.replace(KnowledgeEntry.tokens, " ", "")) + 1)
    query = select(func.count(), func.coalesce(func.sum(words), 0)).where(KnowledgeEntry.current.is_(True))
    if category:
        query = query.where(KnowledgeEntry.category == category)
    n, total = session.execute(query).one()
    return int(n), int(total)
