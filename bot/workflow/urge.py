"""催办: the office or a leader urges the department that has the ticket — its group and its handler are told,
and the ticket counts it (催办 N 次). Not twice within the interval the bureau set (rules.toml
`urge_interval_hours`; the bureau's choice, not a seed rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain import LEADER_ROLES, Role, Status
from bot.workflow.core import Refused, Step
from bot.workflow.registry import Press, declare
from bot.workflow.supervision import check_over_the_ticket
from storage import queries
from templates import text

URGED = {Status.DISPATCHED, Status.ACCEPTED, Status.REPLY_DRAFTED}


@dataclass(frozen=True)
class Urge:
    ticket_id: int
    action = "urge"


def check_urge(s: Step, c: Urge) -> None:
    check_over_the_ticket(s)
    last = queries.last_event_at(s.session, s.ticket.id, "urge")
    hours = s.rules.flag("workflow", "urge_interval_hours")
    if last is not None and s.now - last < timedelta(hours=hours):
        raise Refused("too_soon", text("refusal_urge_too_soon", at=f"{s.local(last):%m-%d %H:%M}", hours=f"{hours:g}"))


def urge(s: Step, c: Urge) -> dict:
    count = queries.count_events(s.session, s.ticket.id, "urge") + 1
    due = s.due(s.reply_stage())
    s.to_department("urged", by=s.actor.name, count=count, due=due)
    if s.ticket.handler_id is not None:
        s.to_member(s.ticket.handler_id, "urged", by=s.actor.name, count=count, due=due, handler=True)
    return {"count": count}


declare(Urge, who=(Role.OFFICE, *LEADER_ROLES), sources=URGED, guard=check_urge, effect=urge, queues={"urged"},
        settles=(), presses={"urge": Press()})
