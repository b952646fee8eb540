"""Two presses at once make exactly one transition, on every database."""

from __future__ import annotations

import threading

from bot.workflow import Accept, ApproveReply
from storage import queries


def race(desk, db, presses, widen_window: bool, monkeypatch, check_name: str):
    """Run the presses in threads started together; on PostgreSQL both read before either writes."""
    if widen_window:
        inner = threading.Barrier(len(presses), timeout=5)
        original = getattr(desk.workflow, check_name, None)

        def both_have_read(*args, **kw):
            if original:
                original(*args, **kw)
            inner.wait()

        monkeypatch.setattr(desk.workflow, check_name, both_have_read, raising=False)
    start = threading.Barrier(len(presses), timeout=5)
    results = [None] * len(presses)

    def press(i, who, command):
        start.wait()
        results[i] = desk.do(who, command)

    threads = [threading.Thread(target=press, args=(i, who, cmd)) for i, (who, cmd) in enumerate(presses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(r is not None for r in results)
    return results


def test_two_leaders_approve_the_same_draft_at_once(desk, db, monkeypatch):
    t = desk.new("12345", "ordinary")
    desk.to_department(t)
    desk.accepted_with_reply(t)
    postgres = db.engine.dialect.name == "postgresql"
    results = race(desk, db, [("陈刚", ApproveReply(t)), ("钱进", ApproveReply(t))], postgres, monkeypatch,
                   "_check_approve_reply")
    winners = [r for r in results if r.ok]
    losers = [r for r in results if not r.ok]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].refusal.code == "stale"
    assert desk.status(t) == "dept_replied"
    approvals = [e for e in desk.events(t) if e.action == "approve_reply"]
    assert len(approvals) == 1
    assert len([m for m in desk.outbox(t) if m.template == "reply_for_review"]) == 1
    with db.session() as session:
        assert queries.current_reply(session, t).leader_id == approvals[0].actor_id


def test_double_tap_on_accept(desk, db, monkeypatch):
    t = desk.new("petition")
    desk.to_department(t)
    postgres = db.engine.dialect.name == "postgresql"
    results = race(desk, db, [("李强", Accept(t)), ("李强", Accept(t))], postgres, monkeypatch, "_check_accept")
    assert sorted(r.ok for r in results) == [False, True]
    assert len([e for e in desk.events(t) if e.action == "accept"]) == 1
    assert len([s for s in desk.stages(t) if s == "acceptance_notice"]) == 1
    with db.session() as session:
        assert len([s for s in queries.stages_of(session, t) if s.stage == "acceptance_notice"]) == 1
