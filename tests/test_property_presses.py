"""Random presses and commands against the running bot (hypothesis): random callback data (known verbs with
random and edge ids, random Unicode, overlong strings), random people (strangers, members of other departments,
a member the organisation file removed, leaders, the admin) and random ticket ids; random commands with random
arguments. Every press and command is answered, nothing changes unless the presser may change it, every refusal
is audited, nothing ends in a traceback."""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select
from telegram.ext import CallbackQueryHandler

from bot.app import ANSWER, COMMANDS
from bot.organisation import apply_config
from bot.workflow import BY_NAME, PRESSES, Actor
from bot.workflow.core import Refused
from bot.workflow.engine import authorise
from handlers.gate import GRAMMAR, ID, well_formed
from storage import queries
from storage.models import Ticket, TicketEvent
from tests.helpers.audit import events_after, last_event_id
from tests.helpers.org import ORGANISATION, PEOPLE

LEFT = {"name": "离职者", "telegram_id": 2009, "department": "jiuzhu", "roles": ["handler"]}
STRANGERS = {"陌生人甲": 8001, "陌生人乙": 8002}
PRESSERS = [*PEOPLE, LEFT["name"], *STRANGERS]
REFUSALS = ("refused", "forged_button", "stale_button")
NOT_CHANGES = (*REFUSALS, "view_full", "join_request")  # audit rows that change nothing

EDGE_IDS = ["0", "1", "2", "-1", "01", "2147483647", "2147483648", "4294967296", "9223372036854775808",
            "99999999999", "²", "١", "１", "1e3", " 1", "1 ", "0x1", "", "1.0", "+1"]
WORDS = [*PRESSES, "contacted", "switched_off", "no_answer", "handler", "admin", "office", "business_leader", "-",
         "city", "district", "this_week", "cancel", "submit", "done", "skip", "edit", "confirm", "show", "off",
         "offok", "on", "add", "drop", "kind", "flags", "ａｃｃ", "\u200b", "'; DROP TABLE ticket;--"]


@pytest.fixture
async def world(chat, db, desk):
    """Two tickets waiting in their departments' groups, a member the file removed, two strangers."""
    with db.session() as session:
        apply_config(session, {**ORGANISATION, "members": ORGANISATION["members"] + [LEFT]})
        apply_config(session, ORGANISATION)  # 离职者 left: deactivated by the file
    chat.people.update({LEFT["name"]: LEFT["telegram_id"], **STRANGERS})
    first = desk.new("12345", "ordinary", external_no="P-1")
    second = desk.new("12345", "ordinary", external_no="P-2", content="反映养老服务问题")
    desk.to_department(first, "jiuzhu")
    desk.to_department(second, "yanglao")
    await chat.app.bot_data["deliverer"].flush()
    cards = [chat.last_in("社会救助科群"), chat.last_in("养老服务科群")]
    return {"tickets": [first, second], "cards": cards, "tally": {"tried": 0, "refused": 0, "audited": 0,
                                                                  "accepted": 0, "wrongly_accepted": 0}}


def ids(tickets):
    return st.one_of(st.sampled_from([str(t) for t in tickets]), st.sampled_from(EDGE_IDS),
                     st.integers(-2**70, 2**70).map(str))


def data_strategy(tickets):
    known = st.builds(lambda verb, args: ":".join([verb, *args]), st.sampled_from(sorted(GRAMMAR)),
                      st.lists(st.one_of(ids(tickets), st.sampled_from(WORDS)), max_size=4))
    press = st.builds(lambda name, ticket: f"t:{name}:{ticket}", st.sampled_from(sorted(PRESSES)), ids(tickets))
    genuine = st.sampled_from([f"t:{name}:{t}" for name in sorted(PRESSES) for t in tickets]
                              + [f"{verb}:{t}:{word}" for verb in ("fc", "fu") for t in tickets
                                 for word in ("contacted", "city", "district")]
                              + [f"dp:{t}:{d}" for t in tickets for d in (1, 2, 3, 4)])
    return st.one_of(genuine, press, known, st.text(max_size=80), st.text(min_size=65, max_size=400),
                     st.text(alphabet="0123456789:tjmbfx", max_size=20))


def statuses(db) -> dict[int, str]:
    with db.session() as session:
        return {t.id: t.status for t in session.exec(select(Ticket))}


def allowed(db, event: TicketEvent) -> bool:
    """Was the actor of this change an active member who may take this action on this ticket?"""
    with db.session() as session:
        actor = Actor.load(session, event.actor_id) if event.actor_id else None
        ticket = queries.ticket(session, event.ticket_id) if event.ticket_id else None
    if actor is None:
        return False
    if event.action not in BY_NAME:
        return event.action == "member_changed" and actor.has_role("admin")
    try:
        authorise(actor, BY_NAME[event.action], ticket)
    except Refused:
        return False
    return True


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
async def test_random_presses_are_answered_and_change_only_what_the_presser_may(world, chat, db, caplog, data):
    tickets, tally = world["tickets"], world["tally"]
    who = data.draw(st.sampled_from(PRESSERS), label="who")
    press = data.draw(data_strategy(tickets), label="data")
    card = data.draw(st.sampled_from(world["cards"]), label="card")
    caplog.set_level(logging.ERROR)
    before, mark = statuses(db), last_event_id(db)

    update = chat.api.press(chat.user(who), card, press)
    await chat.deliver()

    tally["tried"] += 1
    answer = chat.api.callback_answers.get(update["callback_query"]["id"])
    assert answer is not None, (who, press)  # answered: never a silent spinner
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == [], (who, press)  # never a traceback
    events = events_after(db, mark)
    changes = [e for e in events if e.action not in NOT_CHANGES]
    wrong = [e.action for e in changes if not allowed(db, e)]
    tally["wrongly_accepted"] += len(wrong)
    assert wrong == [], (who, press)
    if statuses(db) != before:
        tally["accepted"] += 1
        assert changes, (who, press)  # a status moved only with an allowed, audited action
    if who not in PEOPLE:  # strangers and the member the file removed change nothing at all
        assert changes == [] and statuses(db) == before, (who, press)
    if answer.get("show_alert") and press != "ja":  # a refusal (申请加入 answers with an alert too)
        tally["refused"] += 1
        refusals = [e for e in events if e.action in REFUSALS]
        assert refusals, (who, press)  # every refusal audited
        tally["audited"] += 1
    if not well_formed(press):
        assert answer.get("show_alert") and [e.action for e in events] == ["forged_button"], (who, press)
    print_tally(tally)


def print_tally(tally: dict) -> None:
    """The figures of the run (pytest -s shows them)."""
    if tally["tried"] % 50 == 0:
        print("presses tried {tried}, refused with an answer {refused}, audited {audited}, accepted {accepted}, "
              "wrongly accepted {wrongly_accepted}".format(**tally))


def test_every_button_the_bot_registers_is_in_the_grammar(chat):
    """The parser knows each verb a handler answers, and each handler's verb is one the parser knows."""
    patterns = [h.pattern for h in chat.app.handlers[ANSWER] if isinstance(h, CallbackQueryHandler) and h.pattern]
    samples = {verb: [":".join([verb, *("1" if kind == ID else "x" for kind in shape)]) for shape in shapes]
               for verb, shapes in GRAMMAR.items() if verb not in ("t", "tp")}
    samples["t"] = [f"t:{name}:1" for name in PRESSES]
    samples["tp"] = [f"tp:{name}:1:2" for name, (_, press) in PRESSES.items() if press.pick]
    for examples in samples.values():
        for example in examples:
            assert well_formed(example), example
            assert any(isinstance(p, re.Pattern) and p.match(example) for p in patterns), example
    for pattern in patterns:
        assert any(pattern.match(e) for examples in samples.values() for e in examples), pattern.pattern


async def test_every_button_the_bot_sends_is_well_formed(chat, desk):
    """Whatever the bot puts on a button parses (a day's worth of cards, forms and the admin's lists)."""
    ticket = desk.new("12345", "ordinary", external_no="W-1")
    desk.to_department(ticket, "jiuzhu")
    await chat.app.bot_data["deliverer"].flush()
    await chat.tap("李强", chat.last_in("社会救助科群"), "受理")
    await chat.say("李强", f"/start r{ticket}")
    await chat.say("王芳", "/new")
    await chat.say("管理员", "/members")
    await chat.say("管理员", "/bind", group="社会救助科群")
    sent = [b["callback_data"] for s in chat.api.sent if s.error is None for row in s.buttons for b in row
            if "callback_data" in b]
    assert len(sent) > 10 and [d for d in sent if not well_formed(d)] == []


COMMAND_ARGS = ["SJMZ-2026-000001", "SJMZ_2026_000001", "1", "9", "0", "-1", "2147483648", "9223372036854775808",
                "²", "r1", "r2147483648", "r²", "new", "go", "2026-10-01", "2026-13-45", "9999-12-31", "低保",
                "\x00", "\u200b", "'; DROP TABLE ticket;--", "%", "_", "<b>", "x" * 300]


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
async def test_random_commands_are_answered_and_refusals_audited(world, chat, db, caplog, data):
    who = data.draw(st.sampled_from(PRESSERS), label="who")
    command = data.draw(st.sampled_from([*COMMANDS, "ticket_SJMZ_2026_000001"]), label="command")
    args = data.draw(st.lists(st.one_of(st.sampled_from(COMMAND_ARGS), st.text(max_size=40)), max_size=3),
                     label="args")
    typed = " ".join([f"/{command}", *args])
    caplog.set_level(logging.ERROR)
    mark, sent = last_event_id(db), len(chat.api.sent)
    await chat.say(who, typed)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == [], typed  # never a traceback
    answers = [s for s in chat.api.sent[sent:] if s.chat_id == chat.people[who] and s.error is None]
    assert answers, (who, typed)  # one sentence at least, never silence
    if who not in PEOPLE:  # strangers and the member the file removed: refused at the gate, audited
        assert [e.action for e in events_after(db, mark)] == ["refused"], (who, typed)
    if who in PEOPLE:
        await chat.say(who, "/cancel")  # no form left open for the next example


HOSTILE_COMMANDS = ["/ticket SJMZ\x00-2026-000001", "/search 低\x00保", "/kb \x00", "/form \x00 1",
                    "/form SJMZ-2026-000001\x00 1", "/link SJMZ-2026-000001 \x00", "/unlink \x00 \x00",
                    "/start r\x00", "/stats 2026-10-01 \x002026-10-31", "/search " + "低保" * 600, "/ticket \x1b[31m"]


async def test_commands_with_control_characters_get_an_answer_not_a_traceback(world, chat, caplog):
    """Control characters are removed before anything reaches the database (a NUL would fail on PostgreSQL)."""
    caplog.set_level(logging.ERROR)
    for typed in HOSTILE_COMMANDS:
        sent = len(chat.api.sent)
        await chat.say("王芳", typed)
        assert [s for s in chat.api.sent[sent:] if s.chat_id == PEOPLE["王芳"]], typed
        assert "出错" not in chat.last_in("王芳").text, typed
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
