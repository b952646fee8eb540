"""The declarations hold together: every action has every part, every message kind and button is real."""

from __future__ import annotations

import dataclasses
import inspect
import pkgutil
from importlib import import_module
from pathlib import Path

import pytest

import bot.workflow
from bot.domain import Status
from bot.messages import KINDS, VIEWS
from bot.workflow import BY_NAME, PRESSES, REGISTRY
from bot.workflow.diagram import BEGIN, END, section
from bot.workflow.machines import MACHINES
from bot.workflow.registry import EVERY, Action, no_guard
from templates import labels

ROOT = Path(__file__).resolve().parents[1]
TRACKS = [m.name for m in pkgutil.iter_modules(bot.workflow.__path__)
          if m.name not in ("core", "engine", "registry", "machines", "diagram")]


def commands_defined():
    for track in TRACKS:
        module = import_module(f"bot.workflow.{track}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and dataclasses.is_dataclass(cls) and hasattr(cls, "action"):
                yield cls


def test_every_command_of_every_track_is_declared():
    defined = set(commands_defined())
    assert len(defined) == len(REGISTRY) == 60  # 52 + 不予督办, 改派 (two), 协办 (two), 催办, 受理告知书, 录入上海分系统
    assert defined == set(REGISTRY)


@pytest.mark.parametrize("action", list(REGISTRY.values()), ids=lambda a: a.name)
def test_every_action_has_every_part(action: Action):
    assert action.who and action.sources
    assert callable(action.guard) and callable(action.effect)
    assert action.effect.__module__ == action.command.__module__  # declared side by side
    assert action.guard is no_guard or action.guard.__module__.startswith("bot.workflow.")
    for name in action.queues | (action.settles - EVERY):
        assert name in KINDS, (action.name, name)
    # a status change settles every open button of the ticket; an action that keeps it names what it settles
    if action.moves() and not action.creates:
        assert action.settles == EVERY, action.name
    else:
        assert EVERY.isdisjoint(action.settles), action.name
    assert set(str(s) for s in action.sources - {None}) <= {s.value for s in Status}
    if action.sub:
        assert action.sub.sources and action.sub.target in action.sub.machine.states
    assert action.name in labels("action") and not labels("action")[action.name].startswith("已")


def test_the_side_machines_each_have_their_states_and_moves():
    for machine in MACHINES:
        assert machine.moves, machine.name
        reached = {b for _, b in machine.moves} | {machine.states("none")}
        assert reached == set(machine.states), machine.name  # no state nobody can reach


def test_presses_make_their_commands_and_fields_are_asked_in_chinese():
    prompts = labels("prompt_field")
    for name, (action, press) in PRESSES.items():
        assert len(f"t:{name}:{2**31 - 1}".encode()) <= 64
        for field in press.fields:
            assert field in prompts, (name, field)
        if press.pick:  # a choice on buttons first (the department), then the command
            made = press.make(7, {press.pick: 3})
            assert type(made) is action.command and made.ticket_id == 7
        elif not press.fields and not press.flow:
            assert isinstance(press.make(7, {}) if press.make else action.command(7), action.command)
        if press.fields:
            made = press.make(7, {f: "1" for f in press.fields})
            assert type(made) is action.command and made.ticket_id == 7


def test_every_button_presses_a_declared_action_and_every_template_is_a_kind_or_a_view():
    button_labels = labels("button")
    for kind in KINDS.values():
        for row in kind.buttons:
            for button in row:
                assert button.press is None or button.press in PRESSES, (kind.name, button.press)
                assert button.each or button.items or button.label in button_labels, (kind.name, button.label)
    files = {p.stem for p in (ROOT / "templates" / "messages").glob("*.j2")}
    assert set(KINDS) <= files
    assert files - set(KINDS) == VIEWS


def test_a_misspelt_part_is_caught_at_declaration():
    from bot.workflow.registry import declare

    @dataclasses.dataclass(frozen=True)
    class Nonsense:
        ticket_id: int
        action = "accept"

    with pytest.raises(ValueError):
        declare(Nonsense, who=(), sources={Status.RECEIVED}, guard=no_guard, effect=no_guard, queues=(), settles=())
    with pytest.raises(TypeError):
        declare(Nonsense, who=(), sources={Status.RECEIVED}, guard=no_guard, queues=(), settles=())  # no effect
    assert BY_NAME["accept"].command is not Nonsense


def test_the_readme_table_is_the_registry():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    assert readme[start:end] == section(), "run: python -m bot.workflow.diagram --write README.md"


def test_every_code_a_message_shows_has_its_label():
    from bot.domain import Stage

    assert {s.value for s in Stage} <= set(labels("stage"))
    assert {s.value for s in Status} <= set(labels("status"))
