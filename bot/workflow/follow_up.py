"""Follow-up (回访, 规程 三(三)1、4): the city's or the district's result for a closed ticket.

不满意 opens the department's report (problems.py) and proposes a supervision
(supervision.py, 办法 第十六条 「经回访仍不满意」).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import FollowUpLevel, ProblemKind, Role, Status, SupervisionTrigger
from bot.workflow.core import Step, invalid
from bot.workflow.machines import PROBLEM, ProblemState
from bot.workflow.problems import open_report
from bot.workflow.registry import declare
from bot.workflow.reply import choices
from bot.workflow.supervision import propose
from storage.models import FollowUp
from templates import text


@dataclass(frozen=True)
class RecordFollowUp:
    ticket_id: int
    level: str  # FollowUpLevel
    result: str  # satisfied | dissatisfied | acknowledged | not_rated
    note: str | None = None
    action = "record_follow_up"


def check_follow_up(s: Step, c: RecordFollowUp) -> None:
    if c.level not in {v.value for v in FollowUpLevel} or c.result not in choices("satisfaction"):
        raise invalid(f"{c.level}/{c.result}")
    if c.result == "dissatisfied" and PROBLEM.state(s.session, s.ticket.id) not in (ProblemState.NONE,
                                                                                     ProblemState.VERIFIED):
        raise invalid(text("refusal_problem_open"))


def record_follow_up(s: Step, c: RecordFollowUp) -> dict:
    s.session.add(FollowUp(ticket_id=s.ticket.id, level=c.level, result=c.result, note=c.note,
                           recorded_by_id=s.actor.member_id, recorded_at=s.now))
    s.ticket.satisfaction = c.result
    if c.result == "dissatisfied":
        open_report(s, ProblemKind.DISSATISFIED)
        propose(s, SupervisionTrigger.UNSATISFIED, text("supervision_unsatisfied"))
    return {"level": c.level, "result": c.result}


declare(RecordFollowUp, who=Role.OFFICE, sources={Status.CLOSED}, guard=check_follow_up, effect=record_follow_up,
        queues={"problem_request", "supervision_proposed"}, settles=(), presses={})
