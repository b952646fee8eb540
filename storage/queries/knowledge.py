"""The knowledge base's entries and their versions."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from storage.models import (
    KnowledgeEntry,
)


def knowledge_current(session: Session, category: str | None = None):
    query = select(KnowledgeEntry).where(KnowledgeEntry.current.is_(True))
    if category:
        query = query.where(KnowledgeEntry.category == category)
    return list(session.scalars(query.order_by(KnowledgeEntry.id)))


def knowledge_current_by_key(session: Session, key: str):
    return session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.key == key, KnowledgeEntry.current.is_(True)))


def knowledge_versions(session: Session, key: str):
    return list(session.scalars(select(KnowledgeEntry).where(KnowledgeEntry.key == key)
                                .order_by(KnowledgeEntry.version)))
