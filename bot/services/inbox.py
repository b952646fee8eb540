"""Several processes, one truth: the inbox of updates (stored before Telegram is told they arrived) and the
leases of duties one process does at a time (polling and processing updates, the scheduler)."""

from __future__ import annotations

from datetime import timedelta

from bot.services.base import Service
from bot.services.outbox import holder_name
from storage import queries

MAX_UPDATE_ATTEMPTS = 3  # an update whose processing killed the process this often is set aside


class Inbox(Service):
    holder = holder_name()

    def hold(self, name: str, seconds: float) -> bool:
        """Take or renew the lease `name` for this long: True when this process holds it now."""
        now = self.now()
        with self.db.session() as session:
            return queries.take_lease(session, name, self.holder, now, now + timedelta(seconds=seconds))

    def release(self, name: str) -> None:
        with self.db.session() as session:
            queries.release_lease(session, name, self.holder, self.now())

    def store(self, updates: list[tuple[int, dict]]) -> None:
        with self.db.session() as session:
            queries.store_updates(session, updates, self.now())

    def pending(self, limit: int = 50) -> list[tuple[int, dict]]:
        """Updates not yet processed, oldest first, each counted as one more attempt."""
        with self.db.session() as session:
            return [(row.update_id, dict(row.payload)) for row in queries.pending_updates(session, limit)]

    def attempt(self, update_id: int) -> bool:
        """One more try at an update: False once it has had its tries (it is then set aside, done)."""
        with self.db.session() as session:
            if queries.update_attempted(session, update_id) <= MAX_UPDATE_ATTEMPTS:
                return True
            queries.update_done(session, update_id, self.now(), "given up after repeated attempts")
            return False

    def done(self, update_id: int, error: str | None = None) -> None:
        with self.db.session() as session:
            queries.update_done(session, update_id, self.now(), error and error[:500])
