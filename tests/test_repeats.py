"""Repeats (规程 三(三)5): a new ticket is linked to the citizen's latest earlier tickets only, found by index."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.workflow import intake
from storage import queries
from storage.models import TicketLink


def links(desk) -> dict[int, list[int]]:
    with desk.db.session() as session:
        out: dict[int, list[int]] = {}
        for link in session.exec(select(TicketLink).order_by(TicketLink.id)):
            out.setdefault(link.ticket_id, []).append(link.related_ticket_id)
        return out


def test_a_citizens_eighth_ticket_is_linked_to_the_three_latest(desk, rules):
    assert rules.flag("workflow", "repeat_links") == 3
    ids = [desk.new("12345", "ordinary", external_no=f"H{n}", received=f"2026-09-{10 + n}T09:00",
                    citizen_name=f"市民{n}", address=f"别处{n}号", content=f"第{n}次来电") for n in range(8)]
    made = links(desk)
    # each ticket: the latest three before it, latest first; 0 + 1 + 2 + 3 × 5 = 18 links, not 28 (every pair)
    assert made == {ids[n]: [ids[n - 1], ids[n - 2], ids[n - 3]][:n] for n in range(1, 8)}
    assert sum(map(len, made.values())) == 18
    with desk.db.session() as session:
        internal = {i: queries.ticket(session, i).internal_no for i in ids}
    (found,) = [m.context["earlier"] for m in desk.outbox(ids[7]) if m.template == "repeat_found"]
    assert found == [internal[ids[6]], internal[ids[5]], internal[ids[4]]]


def test_the_same_address_spelled_otherwise_is_the_same_address(desk):
    first = desk.new("petition", external_no="P1", citizen_name="赵六", phone="13600000001",
                     address="中山中路 100 弄 5 号", content="反映优抚待遇")
    second = desk.new("962200", external_no="N1", citizen_name="赵六", phone="13600000002",
                      address="中山中路１００弄５号。", content="咨询殡葬补贴")
    with desk.db.session() as session:
        (link,) = queries.links_of(session, second)
    assert (link.ticket_id, link.related_ticket_id, link.matched_on) == (second, first, ["citizen_name", "address"])


def test_a_name_alone_cuts_the_content_of_the_latest_few_only(desk, monkeypatch):
    for n in range(10):
        desk.new("12345", "ordinary", external_no=f"H{n}", received=f"2026-09-{10 + n}T09:00", citizen_name="孙八",
                 phone=f"1370000000{n}", address=f"别处{n}号", content=f"婚姻登记预约第{n}次")
    cut = []
    monkeypatch.setattr(intake, "words", lambda text: cut.append(text) or text.split())
    desk.new("12345", "ordinary", external_no="H10", received="2026-09-25T09:00", citizen_name="孙八",
             phone="13700000010", address="别处10号", content="婚姻登记预约又一次")
    assert len(cut) == 1 + 3  # the new ticket's content and the three latest of the same name, not all ten


def test_the_repeat_queries_read_through_indexes(desk, db):
    if db.engine.url.get_backend_name() != "sqlite":
        pytest.skip("the query plan is read with SQLite's EXPLAIN QUERY PLAN")
    for n in range(5):
        desk.new("12345", "ordinary", external_no=f"H{n}", received=f"2026-09-{10 + n}T09:00")
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if "ORDER BY ticket.received_at DESC" in statement:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        desk.new("12345", "ordinary", external_no="H9", received="2026-09-20T09:00")
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert len(statements) == 3  # by phone, by name, by address
    with db.engine.connect() as conn:
        plans = [" ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {s}", p))
                 for s, p in statements]
    assert all("USING INDEX ix_ticket_" in plan and "_received" in plan for plan in plans), plans
