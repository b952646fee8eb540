"""Under faults (a fifth of the sends, edits and answers met by 429, 502, a reset or a slow answer): no update
ends in a traceback, no message goes twice, and no card keeps a live button for a step already taken."""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import func, select

from storage.models import Outbox


def _pending(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "pending"))


async def _drain(chat, clock, db) -> None:
    for _ in range(30):
        await chat.app.bot_data["deliverer"].flush()
        if not _pending(db):
            return
        clock.advance(seconds=61)
    raise AssertionError(f"{_pending(db)} messages still pending")


def _live(chat, sent, button: str) -> bool:
    current = chat.api.message(sent.result["chat"]["id"], sent.result["message_id"])
    return any(b["text"] == button for row in (current.get("reply_markup") or {}).get("inline_keyboard", [])
               for b in row)


async def test_faults_end_no_update_in_a_traceback_and_leave_no_live_button(chat, desk, clock, db, caplog):
    caplog.set_level(logging.INFO)
    chat.api.faults, chat.api.slow_seconds = 0.2, 0.05
    for round_ in range(3):  # five at a time: cards, not one list
        for n in range(5):
            desk.to_department(desk.new("12345", "ordinary", external_no=f"F-{round_}-{n}"), "jiuzhu")
        await _drain(chat, clock, db)
    group = chat.groups["社会救助科群"]["id"]
    cards = [s for s in chat.api.in_chat(group) if s.method == "sendMessage" and _live(chat, s, "受理")]
    assert len(cards) == 15
    for card in cards:
        for _ in range(2):  # tapped twice: the second is refused, whatever the faults did to the first
            chat.api.press(chat.user("李强"), card, next(b["callback_data"] for row in card.buttons for b in row
                                                         if b["text"] == "受理"))
        await chat.deliver()
    await _drain(chat, clock, db)
    sent = [s for s in chat.api.sent if s.error is None and s.method == "sendMessage"]
    twice = {k: n for k, n in Counter((s.chat_id, s.text) for s in sent).items() if n > 1}
    tracebacks = [r for r in caplog.records if r.exc_info]
    print(f"\nfaults {chat.api.injected}: {len(sent)} messages, {len(twice)} twice, {len(tracebacks)} tracebacks, "
          f"{sum(_live(chat, c, '受理') for c in cards)} cards still live")
    assert sum(chat.api.injected.values()) >= 5
    assert tracebacks == [] and twice == {}
    assert not any(_live(chat, card, "受理") for card in cards)
