"""The clock's duties (warnings, rounds, digests) and the statistics."""

from __future__ import annotations

from datetime import date, datetime

from bot import stats
from bot.scheduler import Planner
from bot.services.base import Service


class Clock(Service):
    def local(self, moment: datetime) -> datetime:
        return self.calc.local(moment)

    def today(self) -> date:
        return self.calc.local(self.now()).date()

    def tick(self):
        """Warnings, daily rounds, digests due now: done once, queued in the outbox."""
        with self.db.session() as session:
            return Planner(self.rules, self.calc).tick(session, self.now())

    def stats(self, start: date, end: date, with_topics: bool = True) -> stats.Stats:
        with self.db.session() as session:
            return stats.compute(session, self.calc, start, end, self.now(), with_topics)

    def stats_message(self, start: date, end: date) -> tuple[str, bytes]:
        """The period's figures as a short text and a chart."""
        result = self.stats(start, end)
        return stats.render_text(result), stats.chart_png(result)
