"""The declaration of an action, and the registry of all of them, keyed by command type.

An action module declares each action once, its parts side by side::

    declare(ApproveExtension,
            who=Role.BUSINESS_LEADER, own_department=True,
            sources=WITH_DEPARTMENT,                       # the ticket's status does not change
            sub=EXTENSION.move(REQUESTED, APPROVED),       # the extension's own machine does
            guard=no_guard, effect=approve_extension,
            queues={"extension_decided"}, settles={"extension_request"})

Nothing is found by name: the engine looks the command's type up here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain import Role
from bot.workflow.machines import SubStep

ANY_CHANNEL = None


@dataclass(frozen=True)
class Press:
    """How a button makes the command: the fields a person types first (none: the press alone)."""

    fields: tuple[str, ...] = ()
    make: Callable[[int, dict], object] | None = None  # (ticket id, typed values) -> command
    flow: str | None = None  # a chat form of its own (with evidence) instead of typed fields
    pick: str | None = None  # a choice made on buttons first ("department": the bureau's other departments)


@dataclass(frozen=True)
class Action:
    command: type
    name: str
    who: tuple[Role, ...]
    own_department: bool  # only members of the ticket's department
    sources: frozenset[str | None]  # the ticket statuses it may start from (None: no ticket yet)
    target: Callable[[str, str], str] | None  # (channel, status) -> new status; None: unchanged
    channels: frozenset[str] | None
    sub: SubStep | None
    guard: Callable
    effect: Callable
    queues: frozenset[str]
    settles: frozenset[str]  # the message kinds whose buttons it closes (EVERY: all of the ticket's)
    presses: dict[str, Press] = field(default_factory=dict)
    ready: Callable | None = None  # (step) -> None or Refused: asked before anything is typed, and by the guard

    @property
    def creates(self) -> bool:
        return None in self.sources

    def target_for(self, channel: str, status: str) -> str:
        return self.target(channel, status) if self.target else status

    def moves(self) -> bool:
        return self.target is not None


def no_guard(step, command) -> None:
    """The status table and the sub-machine are the whole check."""


def to(status: StrEnum | str | dict) -> Callable[[str, str], str]:
    """The new status, or per channel: {"petition": …, "12345": …}."""
    if isinstance(status, dict):
        table = {str(k): str(v) for k, v in status.items()}
        return lambda channel, current: table[channel]
    return lambda channel, current: str(status)


# What a status change settles: every open button of the ticket (they all belonged to the old status).
EVERY = frozenset({"*"})

REGISTRY: dict[type, Action] = {}
BY_NAME: dict[str, Action] = {}
PRESSES: dict[str, tuple[Action, Press]] = {}


def declare(command: type, *, who: Role | Iterable[Role], sources: Iterable, guard: Callable, effect: Callable,
            queues: Iterable[str], settles: Iterable[str], target=None, own_department: bool = False,
            channels: Iterable[str] | None = ANY_CHANNEL, sub: SubStep | None = None,
            presses: dict[str, Press] | None = None, name: str | None = None,
            ready: Callable | None = None) -> Action:
    """Register one action; every part is named at the call, none is found by convention."""
    name = name or command.action
    roles = (who,) if isinstance(who, Role) else tuple(who)
    action = Action(
        command=command, name=name, who=roles, own_department=own_department,
        sources=frozenset(None if s is None else str(s) for s in sources),
        target=target if target is None or callable(target) else to(target),
        channels=frozenset(str(c) for c in channels) if channels else ANY_CHANNEL,
        sub=sub, guard=guard, effect=effect, queues=frozenset(queues), settles=frozenset(settles),
        presses=presses if presses is not None else {name: Press()}, ready=ready,
    )
    if command in REGISTRY or name in BY_NAME:
        raise ValueError(f"action {name} declared twice")
    REGISTRY[command] = action
    BY_NAME[name] = action
    for press_name, press in action.presses.items():
        if press_name in PRESSES:
            raise ValueError(f"press {press_name} declared twice")
        PRESSES[press_name] = (action, press)
    return action


def action_of(command) -> Action:
    return REGISTRY[type(command)]


def make_command(press_name: str, ticket_id: int, values: dict | None = None):
    """The command a press (and what was typed after it) makes."""
    action, press = PRESSES[press_name]
    if press.make is not None:
        return press.make(ticket_id, values or {})
    return action.command(ticket_id)
