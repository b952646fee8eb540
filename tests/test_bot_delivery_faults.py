"""A message that fails for a reason of ours is tried a few times, then failed and the office told once;
the messages behind it go out meanwhile."""

from __future__ import annotations

import bot.services.outbox as outbox_service
import handlers.delivery as delivery
from bot.services.outbox import ERROR_ATTEMPTS
from storage import queries


def _row(db, ticket_id, template):
    with db.session() as session:
        return next(r for r in queries.outbox_of(session, ticket_id) if r.template == template)


async def _flush_until_failed(chat, clock, db, ticket_id, template):
    deliverer = chat.app.bot_data["deliverer"]
    for attempt in range(1, ERROR_ATTEMPTS + 1):
        await deliverer.flush()
        row = _row(db, ticket_id, template)
        assert row.attempts == attempt
        clock.advance(seconds=31)
    assert row.status == "failed"
    await deliverer.flush()
    clock.advance(minutes=5)
    await deliverer.flush()  # later rounds neither retry it nor tell the office again


async def test_a_card_that_cannot_be_rendered_fails_after_a_few_tries_and_holds_nobody_up(chat, desk, clock, db,
                                                                                         monkeypatch):
    render = outbox_service.render_outbox
    broken = desk.new("12345", "ordinary", external_no="A-1")
    fine = desk.new("12345", "ordinary", external_no="A-2")

    def render_or_fail(session, row, calc):
        if row.ticket_id == broken and row.template == "ticket_card":
            raise KeyError("a template that lost its field")
        return render(session, row, calc)

    monkeypatch.setattr(outbox_service, "render_outbox", render_or_fail)
    desk.to_department(broken, "jiuzhu")
    desk.to_department(fine, "yanglao")
    await _flush_until_failed(chat, clock, db, broken, "ticket_card")
    assert any("SJMZ-2026-000002" in t for t in [s.text for s in chat.api.in_chat(chat.groups["养老服务科群"]["id"])])
    assert not any("SJMZ-2026-000001" in t for t in [s.text for s in chat.api.in_chat(chat.groups["社会救助科群"]["id"])])
    told = [t for t in [s.text for s in chat.api.in_chat(chat.groups["局办公室群"]["id"])] if "消息无法送达" in t]
    assert len(told) == 1 and "SJMZ-2026-000001" in told[0] and "KeyError" in told[0]


async def test_a_send_that_raises_is_tried_a_few_times_then_failed_and_told(chat, desk, clock, db, monkeypatch):
    split = delivery.split_html
    broken = desk.new("12345", "ordinary", external_no="B-1")

    def split_or_fail(message, *args):
        if "SJMZ-2026-000001" in message and "新工单" in message:
            raise OSError("disk full")
        return split(message, *args)

    monkeypatch.setattr(delivery, "split_html", split_or_fail)
    desk.to_department(broken, "jiuzhu")
    await _flush_until_failed(chat, clock, db, broken, "ticket_card")
    told = [t for t in [s.text for s in chat.api.in_chat(chat.groups["局办公室群"]["id"])] if "消息无法送达" in t]
    assert len(told) == 1 and "OSError" in told[0]


async def test_a_press_that_fails_inside_is_answered_not_left_spinning(chat, desk, monkeypatch, caplog):
    import bot.workflow.engine as engine

    t = desk.new("12345", "ordinary", external_no="C-1")
    desk.to_department(t, "jiuzhu")
    await chat.app.bot_data["deliverer"].flush()
    card = chat.last_in("社会救助科群")

    def broken(*args, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(engine.Workflow, "execute", broken)
    caplog.set_level("CRITICAL")
    await chat.tap("李强", card, "受理")
    assert chat.answer()["text"] == "处理时出错，已记录，请稍后再试。" and chat.answer()["show_alert"]
    assert desk.status(t) == "dispatched"
