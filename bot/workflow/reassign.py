"""改派: a ticket sent to the wrong section goes to another department of the bureau instead of leaving it.

The office does it at any time the department has the ticket; the business leader does it instead of approving
a return request (规程 三(一) is for tickets that are not the bureau's; one that is another section's stays).
The ticket's own deadlines do not restart: the reply and the 办结时效 keep their dates and move to the new
department; only the new department's 受理 is counted afresh (capped like every stage at the 办结时效).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Role, Stage, Status
from bot.workflow.core import Step, invalid
from bot.workflow.machines import RETURN, ReturnState
from bot.workflow.registry import EVERY, Press, declare
from storage import queries
from storage.models import Department, StageDeadline
from templates import text

# the department's own stages that go with the ticket (their dates kept)
CARRIED = [Stage.REPLY, Stage.DEPT_FIRST_CONTACT, Stage.CALMING_CALL, Stage.OVERALL]


@dataclass(frozen=True)
class Reassign:
    """The office sends the ticket to another department."""

    ticket_id: int
    department_id: int
    action = "reassign"


@dataclass(frozen=True)
class ReassignOnReturn:
    """The business leader answers a return request by sending the ticket to another department."""

    ticket_id: int
    department_id: int
    action = "reassign_return"


def check_reassign(s: Step, c: Reassign | ReassignOnReturn) -> None:
    department = s.session.get(Department, c.department_id) if isinstance(c.department_id, int) else None
    if department is None or not department.active or department.is_office or department.id == s.ticket.department_id:
        raise invalid(text("refusal_reassign_department"))


def reassign(s: Step, c: Reassign | ReassignOnReturn) -> dict:
    old = s.ticket.department_id
    request = queries.open_return(s.session, s.ticket.id)
    if request is not None and request.decision is None:  # the return request is answered by the 改派
        request.decision, request.decided_at, request.leader_id = "reassigned", s.now, s.actor.member_id
        request.completed_at = s.now
        s.close_stages([Stage.RETURN_DECISION])  # decided (规程 三(一)), and the ticket stays in the bureau
        s.close_stages([Stage.RETURN_PATH], cancel=True)
    s.ticket.department_id, s.ticket.handler_id = c.department_id, None
    assisting = queries.assist_of(s.session, s.ticket.id, c.department_id)
    if assisting is not None:  # the assisting department now leads
        s.session.delete(assisting)
    s.close_stages([Stage.ACCEPT], cancel=True)
    for row in queries.open_stages(s.session, s.ticket.id, [str(st) for st in CARRIED]):
        row.open, row.cancelled_at = False, s.now
        s.session.add(StageDeadline(
            ticket_id=s.ticket.id, stage=row.stage, department_id=c.department_id, started_at=row.started_at,
            due_at=row.due_at, original_due_at=row.original_due_at, rule=row.rule, capped=row.capped,
            calendar_fallback=row.calendar_fallback, urgent=row.urgent, supervision_id=row.supervision_id))
    accept = s.open_stage(Stage.ACCEPT, s.now)
    s.session.flush()
    due = {row.stage: s.local(row.due_at) for row in queries.open_stages(s.session, s.ticket.id)
           if row.department_id == c.department_id}
    old_name = s.session.get(Department, old).name if old else ""
    new_name = s.session.get(Department, c.department_id).name
    s.to_group(old, "reassigned", by=s.actor.name, to=new_name, away=True)
    s.to_office("reassigned", by=s.actor.name, to=new_name, origin=old_name)
    s.to_department("ticket_card", due=due, reassigned_from=old_name, calming=bool(
        queries.open_stages(s.session, s.ticket.id, [Stage.CALMING_CALL.value])))
    return {"department_id": c.department_id, "from_department_id": old, "accept_due": s.due(accept),
            "return_id": request.id if request is not None else None}


ON_THE_WAY = {Status.DISPATCHED, Status.ACCEPTED, Status.RETURN_REQUESTED}

declare(Reassign, who=Role.OFFICE, sources=ON_THE_WAY, target=Status.DISPATCHED, guard=check_reassign,
        effect=reassign, queues={"reassigned", "ticket_card"}, settles=EVERY,
        presses={"reassign": Press(pick="department", make=lambda t, v: Reassign(t, v["department"]))})

declare(ReassignOnReturn, who=Role.BUSINESS_LEADER, own_department=True, sources={Status.RETURN_REQUESTED},
        target=Status.DISPATCHED, sub=RETURN.move(ReturnState.REQUESTED, ReturnState.REASSIGNED),
        guard=check_reassign, effect=reassign, queues={"reassigned", "ticket_card"}, settles=EVERY,
        presses={"reassign_return": Press(pick="department",
                                          make=lambda t, v: ReassignOnReturn(t, v["department"]))})
