"""The department to suggest at dispatch: by category, by the citizen's earlier tickets, by what the
knowledge base says the content is about, and by where the category usually goes."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.knowledge import search, words
from storage import queries
from storage.models import Department, Ticket

KNOWLEDGE_WEIGHT = 1.5
SIMILAR_WEIGHT = 1.0
SIMILAR_OVERLAP = 0.3  # share of common words for a ticket to count as similar
CATEGORY_WEIGHT = 3.0
CITIZEN_WEIGHT = 2.0
HABIT_WEIGHT = 1.0
HISTORY_DAYS = 365


def suggest_departments(session: Session, ticket: Ticket) -> list[tuple[Department, float]]:
    """Every active department, best first, with its score (0 when nothing points to it)."""
    history = queries.dispatch_history(session, ticket.phone, ticket.business_category,
                                       ticket.received_at - timedelta(days=HISTORY_DAYS))
    category_total = sum(h.get("category", 0) for h in history.values()) or 1
    # what the knowledge base says the content is about
    hits = search(session, ticket.content[:200], limit=1)
    known = hits[0].category if hits else None
    similar = _similar_destinations(session, ticket)
    scored = []
    for department in queries.departments(session):
        h = history.get(department.id, {})
        score = (CATEGORY_WEIGHT * (ticket.business_category in (department.categories or []))
                 + CITIZEN_WEIGHT * h.get("citizen", 0)
                 + HABIT_WEIGHT * h.get("category", 0) / category_total
                 + KNOWLEDGE_WEIGHT * (known is not None and known in (department.categories or []))
                 + SIMILAR_WEIGHT * similar.get(department.id, 0.0))
        scored.append((department, score))
    scored.sort(key=lambda pair: (-pair[1], pair[0].id))
    return scored


def _similar_destinations(session: Session, ticket: Ticket) -> dict[int, float]:
    """department id -> share of the earlier similar tickets (by words in common) that went there."""
    mine = set(words(ticket.content))
    if not mine:
        return {}
    counts: dict[int, int] = {}
    since = ticket.received_at - timedelta(days=HISTORY_DAYS)
    for department_id, content in queries.recent_dispatched(session, ticket.received_at, since):
        theirs = set(words(content))
        if theirs and len(mine & theirs) / len(mine | theirs) >= SIMILAR_OVERLAP:
            counts[department_id] = counts.get(department_id, 0) + 1
    total = sum(counts.values())
    return {d: n / total for d, n in counts.items()} if total else {}
