"""Commands to the workflow core: carried out (or refused and audited) in one transaction each."""

from __future__ import annotations

from bot.services.base import Service
from bot.workflow import Actor, Outcome, Refused
from storage import queries


class WorkflowService(Service):
    def do(self, actor: Actor | None, command) -> Outcome:
        return self.workflow.handle(self.db, actor, command)

    def can(self, actor: Actor | None, action: str, ticket_id: int) -> Refused | None:
        """None when allowed, else the Refused that the command would meet (asked before anything is typed);
        a refusal is audited as the command's own would be."""
        with self.db.session() as session:
            refusal = self.workflow.check(session, actor, action, ticket_id)
            if refusal is not None:
                known = queries.ticket(session, ticket_id) is not None
                self._audit(session, actor, "refused", ticket_id if known else None, command=action,
                            code=refusal.code, message=refusal.message)
            return refusal
