"""The knowledge base: the office's import, /kb, and the policies a reply may cite as its basis."""

from __future__ import annotations

from bot import knowledge
from bot.domain import Role
from bot.files import FileLimits
from bot.knowledge import Hit, KnowledgeError
from bot.services.base import Service
from bot.workflow import Actor, clean
from storage import queries
from storage.models import KnowledgeEntry
from templates import text


class Knowledge(Service):
    limits = FileLimits()  # what a file may weigh, packed and unpacked (Services sets the settings')

    def import_file(self, actor: Actor | None, name: str, data: bytes) -> tuple[int, int]:
        """(added, updated); raises KnowledgeError with a sentence for the office."""
        if actor is None or not actor.has_role(Role.OFFICE):
            raise KnowledgeError(text("import_only_office"))
        drafts = knowledge.parse_file(name, data, self.limits)
        with self.db.session() as session:
            result = knowledge.save(session, drafts, actor.member_id, self.now())
            self._audit(session, actor, "kb_import", None, file=name, added=result[0], updated=result[1])
            return result

    def search(self, actor: Actor | None, query: str, limit: int = 5) -> list[Hit]:
        """/kb: ranked hits; the search is audited."""
        query = clean(query)
        with self.db.session() as session:
            hits = knowledge.search(session, query, limit)
            self._audit(session, actor, "kb_search", None, query=query, found=len(hits))
            return hits

    def for_ticket(self, ticket_id: int, limit: int = 3) -> list[Hit]:
        """Entries that may be the basis of a ticket's reply: searched with its content, its category first."""
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            query = " ".join(filter(None, [ticket.business_category, ticket.content[:200]]))
            return knowledge.search(session, query, limit)

    def basis(self, entry_id: int) -> tuple[str, str] | None:
        """(citation, reference) of a current entry chosen as a reply's basis; None when gone or replaced."""
        with self.db.session() as session:
            entry = session.get(KnowledgeEntry, entry_id)
            if entry is None or not entry.current:
                return None
            return knowledge.citation(entry), f"{entry.key}@{entry.version}"[:64]
