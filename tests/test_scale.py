"""Nothing grows with history on the hot path: a press and an idle scan make as many statements with
many closed tickets behind them as with a few (counted, not timed; the timings are bench/scale.py's)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, func, insert, select

from bot.services import Services
from bot.workflow import make_command
from storage.models import Outbox, StageDeadline, Ticket, TicketEvent
from tests.helpers.clock import local

HISTORY = 3000  # closed tickets (of the same caller) added between the two measurements


class Statements:
    def __init__(self, engine):
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args, **_kw):
        self.n += 1

    def of(self, fn) -> int:
        before = self.n
        fn()
        return self.n - before


def add_history(db, department_id: int, n: int) -> None:
    """n closed tickets of the year with their stages, events and sent messages, written in bulk."""
    with db.session() as session:
        first = session.scalar(select(func.count()).select_from(Ticket))
        message = (session.scalar(select(func.max(Outbox.telegram_message_id))) or 0) + 1
    moments = [local("2026-01-05T09:00") + timedelta(hours=i) for i in range(n)]
    with db.session() as session:
        ids = session.scalars(insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), [
            {"internal_no": f"SJMZ-H-{first + i:07d}", "channel": "12345", "external_no": f"H{first + i}",
             "received_at": at, "content": f"历史工单{i}", "tags": [], "status": "closed",
             "department_id": department_id, "closed_at": at + timedelta(days=3), "created_at": at,
             "updated_at": at, "phone": "13812345678", "overall_due_at": at + timedelta(days=10)}
            for i, at in enumerate(moments)]).all()
    stages, events, outbox = [], [], []
    for i, (tid, received) in enumerate(zip(ids, moments, strict=True)):
        closed = received + timedelta(days=3)
        for stage in ("accept", "reply"):
            stages.append({"ticket_id": tid, "stage": stage, "department_id": department_id, "started_at": received,
                           "due_at": received + timedelta(days=2), "rule": "working_days:1", "open": False,
                           "completed_at": received + timedelta(days=1)})
        events += [{"ticket_id": tid, "at": at, "action": action, "payload": {}}
                   for action, at in (("create", received), ("dispatch", received), ("close", closed))]
        outbox.append({"ticket_id": tid, "audience": "department_group", "department_id": department_id,
                       "chat_id": -1002, "template": "ticket_card", "context": {}, "status": "sent",
                       "sent_at": received, "telegram_message_id": message + i, "created_at": received,
                       "next_attempt_at": received})
    with db.session() as session:
        for model, rows in ((StageDeadline, stages), (TicketEvent, events), (Outbox, outbox)):
            session.execute(insert(model), rows)


def test_a_press_and_an_idle_scan_do_not_grow_with_history(db, desk, clock, rules, calendar, tmp_path):
    s = Services(db, rules, calendar, clock, files_dir=tmp_path / "forms")
    counter = Statements(db.engine)
    handler = desk.actors["李强"]
    jiuzhu = desk.departments["jiuzhu"]

    def dispatched(n: int) -> int:
        ticket_id = desk.new("12345", "ordinary", external_no=f"P{n}")
        desk.to_department(ticket_id)
        with db.session() as session:  # its card in the department's group, as the sender leaves it
            row = session.scalar(select(Outbox).where(Outbox.ticket_id == ticket_id,
                                                      Outbox.template == "ticket_card"))
            row.status, row.chat_id, row.telegram_message_id, row.sent_at = "sent", -1002, 10**6 + n, clock()
            row.buttons_open = True
        return ticket_id

    def deliver() -> None:
        for delivery in s.outbox.pending():
            s.outbox.mark_sent(delivery.id, delivery.chat_id or -1001, 10**7 + delivery.id, False)

    def press(ticket_id: int, n: int) -> None:
        origin = (-1002, 10**6 + n)
        assert s.workflow.do(handler, make_command("accept", ticket_id)).ok
        s.outbox.sent_message(*origin)
        s.outbox.open_buttons(ticket_id, origin, None)
        deliver()

    def measure(n: int) -> tuple[int, int]:
        ticket_id = dispatched(n)
        s.clock.tick()
        deliver()
        pressed = counter.of(lambda: press(ticket_id, n))
        s.clock.tick()  # the press opened a stage: its next warning is worked out once
        clock.advance(minutes=1)
        idle = counter.of(s.clock.tick)
        assert s.clock.tick().warnings == []
        return pressed, idle

    dispatched(0)  # a ticket still waiting, so the scan has an open stage to (not) read
    add_history(db, jiuzhu, 30)  # the same caller's earlier tickets: more than a card lists
    few = measure(1)
    add_history(db, jiuzhu, HISTORY)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) > HISTORY
    many = measure(2)
    assert many == few, f"statements (press, idle scan): {few} with few tickets, {many} with {HISTORY} more"
    assert few[1] <= 12  # an idle scan reads no stage: a few look-ups of the clock's duties
