"""Leases and claims on both databases: one holder at a time, taken over when the holder falls silent; an
outbox row claimed by one process is not sent by another until its claim runs out."""

from __future__ import annotations

from bot.services import Services


def _two(db, rules, calendar, clock, tmp_path) -> tuple[Services, Services]:
    first, second = (Services(db, rules, calendar, clock, files_dir=tmp_path / name) for name in ("a", "b"))
    first.name_instance("a")
    second.name_instance("b")
    return first, second


def test_a_lease_has_one_holder_until_it_runs_out(db, rules, calendar, clock, tmp_path):
    a, b = _two(db, rules, calendar, clock, tmp_path)
    assert a.inbox.hold("scheduler", 180) is True
    assert b.inbox.hold("scheduler", 180) is False
    clock.advance(seconds=120)
    assert a.inbox.hold("scheduler", 180) is True  # renewed by its holder
    clock.advance(seconds=179)
    assert b.inbox.hold("scheduler", 180) is False
    clock.advance(seconds=2)  # the holder fell silent: taken over
    assert b.inbox.hold("scheduler", 180) is True
    assert a.inbox.hold("scheduler", 180) is False
    b.inbox.release("scheduler")
    assert a.inbox.hold("scheduler", 180) is True


def test_a_claimed_row_goes_to_one_process_until_its_claim_runs_out(db, rules, calendar, clock, tmp_path, desk):
    a, b = _two(db, rules, calendar, clock, tmp_path)
    desk.to_department(desk.new("12345", "ordinary", external_no="L-1"), "jiuzhu")
    first = a.outbox.pending()
    assert first and b.outbox.pending() == []  # claimed by a: b sends none of them
    clock.advance(seconds=61)  # a died without sending: its claims ran out
    taken = b.outbox.pending()
    assert sorted(d.id for d in taken) == sorted(d.id for d in first)


def test_an_update_is_stored_once_and_done_once(db, rules, calendar, clock, tmp_path):
    a, b = _two(db, rules, calendar, clock, tmp_path)
    a.inbox.store([(7, {"update_id": 7}), (8, {"update_id": 8})])
    b.inbox.store([(8, {"update_id": 8, "again": True}), (9, {"update_id": 9})])  # 8 delivered twice
    assert [u for u, _ in a.inbox.pending()] == [7, 8, 9]
    assert dict(a.inbox.pending())[8] == {"update_id": 8}
    assert a.inbox.attempt(7)
    a.inbox.done(7)
    for _ in range(3):  # an update that keeps killing its process is set aside after its tries
        b.inbox.attempt(8)
    assert b.inbox.attempt(8) is False
    assert [u for u, _ in a.inbox.pending()] == [9]
