"""One scan of the deadline planner at a moment the test chooses."""

from __future__ import annotations

from bot.scheduler import Planner


def tick(desk, clock, when: str, restart: bool = False):
    """Run one scan at `when`; a restart is a new Planner on the same database."""
    clock.set(when)
    planner = Planner(desk.workflow.rules, desk.workflow.calc)
    with desk.db.session() as session:
        return planner.tick(session, desk.workflow.now())
