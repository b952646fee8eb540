"""Hostile presses against the running bot: every one answered, none crashes, every refusal audited, and no
ticket moves unless the presser may move it."""

from __future__ import annotations

import logging
import random

from sqlmodel import select

from bot.workflow import PRESSES
from storage.models import TicketEvent
from tests.helpers.bot import register_12345

PREFIXES = ["t", "fc", "dp", "j", "b", "fu", "st", "f", "fx", "fe", "ja", "zz", ""]
IDS = ["1", "0", "-1", "2147483647", "2147483648", "9223372036854775808", "99999999999999999999", "²", "١",
       "1e3", " 1", "01", "abc", "", "1:2"]
WORDS = [*PRESSES, "contacted", "switched_off", "handler", "admin", "-", "city", "satisfied", "this_week",
         "cancel", "submit", "channel", "drop", "ret", "acc", "ａｃｃ", "'; DROP TABLE ticket;--", "\u200b"]


def hostile(rng: random.Random) -> str:
    parts = [rng.choice(PREFIXES)] + [rng.choice(IDS + WORDS) for _ in range(rng.randint(0, 3))]
    rng.shuffle(parts[1:])
    return ":".join(parts)[:64] or "x"


async def test_hostile_presses_are_answered_refused_and_audited(chat, db, caplog):
    card = await register_12345(chat)
    await chat.tap("王芳", card, "已联")
    await chat.tap("王芳", chat.last_in("王芳"), "⭐社会救助科")
    group_card = chat.last_in("社会救助科群")
    with db.session() as session:
        before = len(session.exec(select(TicketEvent)).all())
    rng = random.Random(20261124)
    presses = [hostile(rng) for _ in range(400)]
    people = ["王芳", "周丽", "冯涛", "孙伟", "管理员"]  # none of them may accept this card
    caplog.set_level(logging.ERROR)
    for index, data in enumerate(presses):
        answered = len(chat.api.callback_answers)
        await chat.press(people[index % len(people)], group_card, data)
        assert len(chat.api.callback_answers) == answered + 1, data  # answered, never a silent spinner
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []  # never a traceback
    with db.session() as session:
        events = session.exec(select(TicketEvent).order_by(TicketEvent.id)).all()[before:]
    changed = [e for e in events if e.action not in ("refused", "forged_button", "stale_button")]
    assert changed == []  # no press by these people changed anything
    audited = [e for e in events if e.action in ("refused", "forged_button", "stale_button")]
    refused_answers = [a for a in list(chat.api.callback_answers.values())[-len(presses):] if a.get("show_alert")]
    assert len(refused_answers) == len(presses)  # every one refused with an alert
    members_asking_to_join = sum(1 for d in presses if d == "ja")  # answered 「您已是成员」: not a refusal
    assert len(audited) == len(presses) - members_asking_to_join  # every refusal audited
