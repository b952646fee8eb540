"""The deadline ladder (SPEC §9.2; 规程 二(二)2–3, 二(三); 办法 第十五条), as properties over random tickets.

No stage of a ticket falls due after its 办结时效 unless the district hotline office granted a later one.
The bulk is pure deadline arithmetic (the calculator the workflow opens every stage with); a smaller
number of tickets goes through the real workflow and the database.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.calendar import WorkCalendar
from bot.deadlines import Deadline, DeadlineCalculator
from bot.domain import Stage
from bot.rules import load_rules
from bot.workflow import (
    Accept,
    ApplyHotlineExtension,
    ApproveExtension,
    CreateSupervision,
    GrantHotlineExtension,
    ProposeSupervision,
    RecordCalmingCall,
    RefuseHotlineExtension,
    RejectExtension,
    RequestExtension,
)
from storage import queries
from storage.models import HotlineExtension
from tests.helpers.clock import SHANGHAI

RULES = load_rules()
CALC = DeadlineCalculator(RULES, WorkCalendar())
START = datetime(2026, 1, 1, tzinfo=SHANGHAI)
MINUTES = int((datetime(2028, 1, 1, tzinfo=SHANGHAI) - START).total_seconds() // 60)
KINDS = [("12345", k) for k in RULES.kinds("12345")] + [("petition", None), ("962200", None)]
AFTER_DISPATCH = (Stage.ACCEPT, Stage.REPLY, Stage.DEPT_FIRST_CONTACT, Stage.CALMING_CALL)


def moments(**most):
    return st.integers(0, int(timedelta(**most).total_seconds() // 60)).map(lambda m: timedelta(minutes=m))


@dataclass(frozen=True)
class Extension:
    after: timedelta  # from the previous step
    days: int
    approved: bool
    hotline: str  # what the district hotline office answers when asked: "granted", "refused" or "silent"
    granted_days: int  # working days past the 办结时效 it grants


@dataclass(frozen=True)
class Plan:
    channel: str
    kind: str | None
    received: datetime
    to_dispatch: timedelta
    to_accept: timedelta
    extensions: tuple[Extension, ...]
    supervise_after: timedelta | None


extensions = st.builds(Extension, moments(days=6), st.integers(1, RULES.workflow.extension_max_working_days),
                       st.booleans(), st.sampled_from(["granted", "refused", "silent"]), st.integers(1, 10))
plans = st.builds(
    lambda ck, minute, *rest: Plan(ck[0], ck[1], START + timedelta(minutes=minute), *rest),
    st.sampled_from(KINDS), st.integers(0, MINUTES - 1), moments(days=3), moments(days=3),
    st.lists(extensions, max_size=3).map(tuple), st.none() | moments(days=8))


# --- the bulk: the arithmetic the workflow opens every stage with ---------------------------------


def ladder(plan: Plan) -> list[tuple[str, datetime, Deadline | None, bool]]:
    """Every stage deadline the plan opens: (stage, due, the 办结时效 then, granted by the hotline office)."""
    c, k = plan.channel, plan.kind
    cap = CALC.overall(c, k, plan.received)
    external = False
    out = []

    def open_(stage, at):
        due = CALC.stage(stage, c, k, at, cap)
        if due is not None:
            out.append((str(stage), due.due_at, cap, external))
        return due

    open_(Stage.DISPATCH, plan.received)
    dispatched = plan.received + plan.to_dispatch
    reply = None
    for stage in AFTER_DISPATCH:
        due = open_(stage, dispatched)
        reply = due if stage == Stage.REPLY else reply
    now = dispatched + plan.to_accept
    open_(Stage.ACCEPTANCE_NOTICE, now)
    for ext in plan.extensions:
        now += ext.after
        if reply is None or reply.due_at < now or not ext.approved:
            continue
        extended = CALC.extend(reply.due_at, ext.days, cap)
        assert extended.wanted.due_at > reply.due_at
        assert extended.needs_hotline == (cap is not None and extended.wanted.due_at > cap.due_at)
        if extended.granted.due_at > reply.due_at:
            reply = extended.granted
        out.append(("reply", reply.due_at, cap, external))
        if extended.needs_hotline and ext.hotline == "granted":  # the 区热线办 sets a later 办结时效
            day = CALC.calendar.add_working_days(cap.due_at.date(), ext.granted_days).day
            cap, external = Deadline(CALC.end_of(day), "hotline_extended"), True
            reply = Deadline(min(extended.wanted.due_at, cap.due_at), reply.rule)
            out.append(("overall", cap.due_at, cap, external))
            out.append(("reply", reply.due_at, cap, external))
    if plan.supervise_after is not None:
        now += plan.supervise_after
        open_(Stage.SUPERVISION_CREATE, now)
        open_(Stage.SUPERVISION_REPLY, now)
        open_(Stage.PROBLEM_REPORT, now)
        open_(Stage.FINAL_REPLY, now)
    return out


def check(plan: Plan, rows) -> None:
    original = CALC.overall(plan.channel, plan.kind, plan.received)
    for stage, due, cap, external in rows:
        if original is None:
            continue
        assert due <= cap.due_at, (plan, stage, due, cap)
        assert external or due <= original.due_at, (plan, stage, due, original)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(plans, min_size=50, max_size=50))
def test_no_stage_after_the_overall_deadline_over_ten_thousand_tickets(batch):
    """200 batches of 50: 10,000 tickets of every kind, received anywhere in 2026–2027."""
    for plan in batch:
        check(plan, ladder(plan))


def test_the_ladder_of_the_issue():
    """The cases the issue found: a late dispatch, an 应急件 at 10:00, a 扬言 before the National Day."""
    late = ladder(Plan("12345", "ordinary", datetime(2026, 9, 29, 9, tzinfo=SHANGHAI), timedelta(days=2),
                       timedelta(hours=1), (), None))
    due = {stage: at for stage, at, _, _ in late}
    assert due["reply"] == CALC.end_of(datetime(2026, 10, 14).date())  # 6 working days would be 10-20
    urgent = ladder(Plan("12345", "urgent", datetime(2026, 12, 28, 10, tzinfo=SHANGHAI), timedelta(minutes=30),
                         timedelta(minutes=20), (), None))
    due = {stage: at for stage, at, _, _ in urgent}
    assert due["dispatch"] == datetime(2026, 12, 28, 12, tzinfo=SHANGHAI)  # hours, not 12-29
    assert due["accept"] == datetime(2026, 12, 28, 11, 30, tzinfo=SHANGHAI)
    assert due["reply"] == CALC.end_of(datetime(2026, 12, 28).date())
    threat = ladder(Plan("12345", "threat", datetime(2026, 9, 30, 10, tzinfo=SHANGHAI), timedelta(hours=1),
                         timedelta(hours=1), (), None))
    due = {stage: at for stage, at, _, _ in threat}
    assert due["dispatch"] == datetime(2026, 9, 30, 12, tzinfo=SHANGHAI)  # not 10-08
    assert due["calming_call"] == datetime(2026, 9, 30, 13, tzinfo=SHANGHAI)


# --- a smaller number through the real workflow -----------------------------------------------

SEQ = itertools.count(1)


def run(desk, clock, plan: Plan) -> int:
    n = next(SEQ)
    clock.moment = plan.received
    t = desk.new(plan.channel, plan.kind, received=plan.received.strftime("%Y-%m-%dT%H:%M"),
                 external_no=f"L{n}", citizen_name=f"市民{n}", phone=f"139{n:08d}", address=f"某路{n}号")
    clock.moment = plan.received + plan.to_dispatch
    desk.to_department(t)
    clock.advance(minutes=5)
    desk.do("李强", RecordCalmingCall(t))
    clock.moment += plan.to_accept
    desk.do("李强", Accept(t))
    for ext in plan.extensions:
        clock.moment += ext.after
        if not desk.do("李强", RequestExtension(t, ext.days, "需核查")).ok:
            continue
        if not ext.approved:
            desk.do("陈刚", RejectExtension(t, "请按期办结"))
            continue
        desk.do("陈刚", ApproveExtension(t))
        if ext.hotline != "silent" and desk.do("王芳", ApplyHotlineExtension(t)).ok:
            if ext.hotline == "granted":
                with desk.db.session() as session:
                    old = queries.latest_hotline_extension(session, t).old_due_at
                day = CALC.calendar.add_working_days(CALC.local(old).date(), ext.granted_days).day
                desk.do("王芳", GrantHotlineExtension(t, f"{day:%Y-%m-%d}"))
            else:
                desk.do("王芳", RefuseHotlineExtension(t, "不符合延期条件"))
    if plan.supervise_after is not None:
        clock.moment += plan.supervise_after
        desk.do("郑华", ProposeSupervision(t, "请加快办理"))
        desk.do("王芳", CreateSupervision(t))
    return t


@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(plans, min_size=25, max_size=25))
def test_no_stage_after_the_overall_deadline_through_the_workflow(desk, clock, batch):
    """6 batches of 25: 150 tickets through every transition above, their stage rows read back."""
    for plan in batch:
        t = run(desk, clock, plan)
        original = CALC.overall(plan.channel, plan.kind, plan.received)
        if original is None:
            continue
        ticket = desk.ticket(t)
        with desk.db.session() as session:
            external = any(h.decision == "granted" for h in session.exec(
                select(HotlineExtension).where(HotlineExtension.ticket_id == t)))
            rows = queries.stages_of(session, t)
        bound = ticket.overall_due_at if external else original.due_at
        assert external or ticket.overall_due_at == original.due_at
        for row in rows:
            assert row.due_at <= bound, (plan, row.stage, CALC.local(row.due_at), CALC.local(bound))
