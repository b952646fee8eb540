"""Where a member's chat form stands (one form at a time), kept in the database across restarts."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.services.base import Service
from bot.workflow import clean, jsonable
from storage import queries
from storage.models import FormDraft


@dataclass(frozen=True)
class Draft:
    member_id: int
    flow: str
    ticket_id: int | None
    step: str | None
    data: dict = field(default_factory=dict)
    chat_id: int | None = None

    @classmethod
    def of(cls, row: FormDraft | None) -> Draft | None:
        if row is None:
            return None
        return cls(row.member_id, row.flow, row.ticket_id, row.step, dict(row.data or {}), row.chat_id)


class Drafts(Service):
    def get(self, member_id: int, flow: str | None = None) -> Draft | None:
        with self.db.session() as session:
            return Draft.of(queries.draft_for(session, member_id, flow))

    def put(self, member_id: int, flow: str, ticket_id: int | None, step: str | None, data: dict,
            chat_id: int | None = None) -> Draft:
        """Start or update the member's form of this flow; other flows are dropped (one form at a time)."""
        with self.db.session() as session:
            draft = queries.draft_for(session, member_id, flow)
            for other in [d for d in [queries.draft_for(session, member_id)] if d and d.flow != flow]:
                session.delete(other)
            if draft is None:
                draft = FormDraft(member_id=member_id, flow=flow)
                session.add(draft)
            draft.ticket_id, draft.step, draft.data = ticket_id, step, jsonable(clean(data))
            draft.chat_id = chat_id if chat_id is not None else draft.chat_id
            draft.updated_at = self.now()
            session.flush()
            return Draft.of(draft)

    def drop(self, member_id: int, flow: str | None = None) -> None:
        with self.db.session() as session:
            queries.drop_drafts(session, member_id, flow)
