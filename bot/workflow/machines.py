"""The small machines that live beside a ticket's status, each with its own states and table.

A return request, an extension, its application to the district hotline office,
an emergency alert, a visit, a supervision, a problem report and the department's
reply each move on their own while the ticket's status stays put (or moves for other reasons). Each machine names its
states, reads the current one from its latest record, and lists its moves; an
action declares which move it makes (`MACHINE.move(from, to)`), the engine
refuses a press whose machine is elsewhere and checks the effect landed where
declared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import Session

from bot.domain import ProblemStatus, ReplyStatus
from storage import queries


class ReturnState(StrEnum):
    NONE = "none"
    REQUESTED = "requested"  # waiting for the business leader
    APPROVED = "approved"  # the office returns it through the original channel
    REJECTED = "rejected"  # the department keeps it
    COMPLETED = "completed"  # returned
    REASSIGNED = "reassigned"  # sent to another department of the bureau instead (改派)


class ExtensionState(StrEnum):
    NONE = "none"
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class HotlineExtensionState(StrEnum):
    """The district hotline office's extension of a 12345 ticket's 办结时效 (SPEC §9.2)."""

    NONE = "none"
    NEEDED = "needed"  # an approved 延期 passed the 办结时效: the office is to apply
    APPLIED = "applied"  # applied for at the 区热线办, waiting for its answer
    GRANTED = "granted"
    REFUSED = "refused"


class AlertState(StrEnum):
    NONE = "none"
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"


class VisitState(StrEnum):
    NONE = "none"
    PLANNED = "planned"
    DONE = "done"


class SupervisionState(StrEnum):
    NONE = "none"
    PROPOSED = "proposed"  # the office has 2 working days to create it (办法 第十六条)
    CREATED = "created"  # the department has 10 working days to answer
    REPLIED = "replied"
    DISMISSED = "dismissed"  # not a 督办件: a 正当理由 recorded (办法 第十六条「无正当理由」)


class ProblemState(StrEnum):
    NONE = "none"
    REQUESTED = ProblemStatus.REQUESTED.value
    SUBMITTED = ProblemStatus.SUBMITTED.value
    SIGNED = ProblemStatus.SIGNED.value
    VERIFIED = ProblemStatus.VERIFIED.value


class ReplyState(StrEnum):
    NONE = "none"
    DRAFT = ReplyStatus.DRAFT.value
    SUBMITTED = ReplyStatus.SUBMITTED.value
    APPROVED = ReplyStatus.APPROVED.value  # a reply sent back (重办) stays in the history; its copy is the draft


@dataclass(frozen=True)
class SubStep:
    machine: Machine
    sources: frozenset[StrEnum]
    target: StrEnum
    refusal: str | None = None  # the text key told when the machine is elsewhere (default: moved on)


@dataclass(frozen=True)
class Machine:
    name: str
    states: type[StrEnum]
    latest: Callable[[Session, int], object | None]  # the ticket's latest record of this machine
    state_of: Callable[[object], StrEnum]  # its state (the record is never None here)
    moves: set = field(default_factory=set, compare=False, hash=False)  # filled by move(): (from, to)

    def state(self, session: Session, ticket_id: int) -> StrEnum:
        record = self.latest(session, ticket_id)
        return self.states("none") if record is None else self.state_of(record)

    def move(self, sources: StrEnum | Iterable[StrEnum], target: StrEnum, refusal: str | None = None) -> SubStep:
        sources = frozenset({sources} if isinstance(sources, StrEnum) else sources)
        for source in sources:
            self.moves.add((source, target))
        return SubStep(self, sources, target, refusal)


def _return_state(r) -> ReturnState:
    if r.decision is None:
        return ReturnState.REQUESTED
    if r.decision in ("rejected", "reassigned"):
        return ReturnState(r.decision)
    return ReturnState.COMPLETED if r.completed_at is not None else ReturnState.APPROVED


RETURN = Machine("return", ReturnState, queries.latest_return, _return_state)
EXTENSION = Machine("extension", ExtensionState, queries.latest_extension,
                    lambda e: ExtensionState(e.decision or "requested"))


def _hotline_state(h) -> HotlineExtensionState:
    if h.decision is not None:
        return HotlineExtensionState(h.decision)
    return HotlineExtensionState.APPLIED if h.applied_at is not None else HotlineExtensionState.NEEDED


HOTLINE_EXTENSION = Machine("hotline_extension", HotlineExtensionState, queries.latest_hotline_extension,
                            _hotline_state)
ALERT = Machine("alert", AlertState, queries.latest_alert,
                lambda a: AlertState.ACKNOWLEDGED if a.acknowledged_at else AlertState.RAISED)
VISIT = Machine("visit", VisitState, queries.latest_visit,
                lambda v: VisitState.DONE if v.visited_at else VisitState.PLANNED)
SUPERVISION = Machine("supervision", SupervisionState, queries.latest_supervision,
                      lambda s: SupervisionState(s.status))
PROBLEM = Machine("problem", ProblemState, queries.latest_problem, lambda p: ProblemState(p.status))
REPLY = Machine("reply", ReplyState, queries.current_reply, lambda r: ReplyState(r.status))

MACHINES = (RETURN, EXTENSION, HOTLINE_EXTENSION, ALERT, VISIT, SUPERVISION, PROBLEM, REPLY)
