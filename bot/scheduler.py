"""What the clock makes due: deadline warnings, the sensitive-case daily round, the digest, the weekly report
and the weekly 通报 (办法 第二十一条).

`Planner.tick(session, now)` looks at the database, does every duty that is
due and not yet done, and queues its messages in the outbox, in one
transaction. Each duty is recorded (warning_sent, job_run) with a unique key,
so a rescan, a restart, or two scanners at once never repeat one, and a duty
missed while the bot was down is done once when it comes back. Nothing lives
in APScheduler but the timer that calls tick.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from bot.deadlines import DeadlineCalculator
from bot.domain import LEADER_ROLES, WAITING_FOR, Audience, Role
from bot.priority import first_things_first, flags
from bot.rules import Rules
from bot.stats import bulletin, compute
from bot.workflow import Actor, ProposeSupervision, Refused, Workflow, jsonable
from storage import queries
from storage.models import Department, Outbox, StageDeadline, Ticket
from templates import text

WARNING_BATCH = 2000  # stages read and written per transaction by the warning scan
SEARCH_DAYS = 400  # days looked through for a working day (a calendar has fewer holidays in a row)
SUPERVISION_BATCH = 100
DIGEST_ITEMS = 30  # tickets the digest lists per section; it counts the others  # proposals per scan: a backlog is worked off minute by minute, never in one long lock

WAITING_OFFICE = WAITING_FOR[Role.OFFICE]
WAITING_LEADER = WAITING_FOR[Role.BUSINESS_LEADER] + WAITING_FOR[Role.PETITION_LEADER]


@dataclass
class TickReport:
    warnings: list[tuple[int, str, int]] = field(default_factory=list)  # (stage id, level, seq)
    duties: list[str] = field(default_factory=list)  # job_run keys done
    messages: int = 0


class Planner:
    def __init__(self, rules: Rules, calc: DeadlineCalculator):
        self.rules = rules
        self.calc = calc
        self.calendar = calc.calendar

    # -- the clock --

    def in_working_hours(self, now: datetime) -> bool:
        local = self.calc.local(now)
        start, end = self.rules.working_hours
        return self.calendar.is_workday(local.date()) and start <= local.time() < end

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.rules.tz)

    def tick(self, session: Session, now: datetime) -> TickReport:
        report = TickReport()
        self._warnings(session, now, report)
        self._supervision(session, now, report)
        self._emergencies(session, now, report)
        self._visits(session, now, report)
        self._sensitive(session, now, report)
        self._digest(session, now, report)
        self._weekly(session, now, report)
        self._bulletins(session, now, report)
        return report

    def _queue(self, session: Session, report: TickReport, audience: str, template: str, context: dict,
               now: datetime, department_id: int | None = None, member_id: int | None = None,
               ticket_id: int | None = None, urgent: bool = False) -> None:
        session.add(Outbox(audience=audience, template=template, context=jsonable(context), ticket_id=ticket_id,
                           department_id=department_id, member_id=member_id, urgent=urgent, created_at=now,
                           next_attempt_at=now))
        report.messages += 1

    # -- deadline warnings (SPEC §3.2) --

    def _level(self, stage: StageDeadline, sent: set[tuple[str, int]], now: datetime) -> tuple[str, int] | None:
        """The warning a stage is due for now, given those already sent: (level, seq) or None.

        The seq of an overdue warning is the number of working days since the due date, so a stage
        hears 'overdue' once, then 'overdue again' once on each later working day (never two at once
        after a downtime)."""
        today = self.calc.local(now).date()
        due = self.calc.local(stage.due_at)
        if now > stage.due_at:
            days_over = self.calendar.working_days_between(due.date(), today)
            overdue = [seq for level, seq in sent if level in ("overdue", "overdue_again")]
            if not overdue:
                return "overdue", days_over
            if days_over > max(overdue) and self.calendar.is_workday(today):
                return "overdue_again", days_over
            return None
        if ("due_soon", 0) in sent:
            return None
        if stage.rule == "immediate" or stage.rule.startswith("hours:"):
            # counted in hours (即有即结, 扬言): soon within the hours of the rules, or half a short stage's span
            hours = timedelta(hours=self.rules.flag("warnings", "due_soon_immediate_hours"))
            soon = stage.due_at - now < min(hours, (stage.due_at - stage.started_at) / 2)
        else:
            soon = self.calendar.working_days_between(today, due.date()) < self.rules.flag(
                "warnings", "due_soon_working_days")
        return ("due_soon", 0) if soon else None

    def _soon_from(self, stage: StageDeadline) -> datetime | None:
        """The first moment `_level` finds the stage due soon (None: never before it is overdue)."""
        if stage.rule == "immediate" or stage.rule.startswith("hours:"):
            hours = timedelta(hours=self.rules.flag("warnings", "due_soon_immediate_hours"))
            return stage.due_at - min(hours, (stage.due_at - stage.started_at) / 2)
        days = self.rules.flag("warnings", "due_soon_working_days")
        due = self.calc.local(stage.due_at).date()
        if days <= 0:
            return None
        day = due
        for _ in range(SEARCH_DAYS):  # back to the first day fewer than `days` working days before it
            if self.calendar.working_days_between(day - timedelta(days=1), due) >= days:
                break
            day -= timedelta(days=1)
        return self._at(day, time.min)

    def _working_from(self, moment: datetime) -> datetime:
        """`moment`, or the start of the working hours after it (a non-urgent warning waits for them)."""
        start, end = self.rules.working_hours
        local = self.calc.local(moment)
        day = local.date()
        for _ in range(SEARCH_DAYS):
            if self.calendar.is_workday(day):
                if local < self._at(day, start):
                    return self._at(day, start)
                if local < self._at(day, end):
                    return moment
            day += timedelta(days=1)
            local = self._at(day, time.min)
        return moment

    def _next_check(self, stage: StageDeadline, sent: set[tuple[str, int]], now: datetime, urgent: bool) -> datetime:
        """When the scan must look at the stage again: never later than its next warning can be due
        (earlier only costs a read), so an idle scan reads no stage at all."""
        if now > stage.due_at:  # overdue again once on each later working day
            day = self.calc.local(now).date() + timedelta(days=1)
            for _ in range(SEARCH_DAYS):
                if self.calendar.is_workday(day):
                    break
                day += timedelta(days=1)
            moment = self._at(day, time.min)
        else:
            moment = stage.due_at + timedelta(microseconds=1)  # overdue from the moment after it is due
            soon = None if ("due_soon", 0) in sent else self._soon_from(stage)
            if soon is not None:
                moment = min(moment, soon)
        moment = moment if urgent else self._working_from(moment)
        return max(moment, now + timedelta(microseconds=1))

    def _warnings(self, session: Session, now: datetime, report: TickReport) -> None:
        """The open stages whose next warning is due, in batches; a long backlog (the first scan after an
        upgrade, a morning of many overdue stages) is written in short transactions, each batch with its
        warnings and their messages, so the database is never locked for long."""
        in_hours = self.in_working_hours(now)
        leaders: dict[int, list[int]] = {}
        seen: set[int] = set()
        while True:
            rows = [r for r in queries.stages_to_check(session, now, WARNING_BATCH, urgent_only=not in_hours)
                    if r[0].id not in seen]
            if not rows:
                break
            seen.update(stage.id for stage, _ in rows)
            self._warn(session, now, report, rows, leaders)
            if len(rows) < WARNING_BATCH:
                break
            session.commit()

    def _warn(self, session: Session, now: datetime, report: TickReport, rows: list, leaders: dict) -> None:
        batches: dict[tuple, list[dict]] = defaultdict(list)
        urgent_batch: set[tuple] = set()
        sent = queries.warnings_of(session, [stage.id for stage, _ in rows])
        written, moments = [], []
        for stage, ticket in rows:
            urgent = stage.urgent or stage.rule == "immediate" or stage.rule.startswith("hours:") or ticket.emergency
            had = sent.get(stage.id, set())
            level = self._level(stage, had, now)
            moments.append({"id": stage.id, "next_warning_at": self._next_check(
                stage, had | ({level} if level else set()), now, urgent)})
            if level is None:
                continue
            # written with the messages; the unique key makes a concurrent scan's commit fail, not repeat
            written.append({"stage_deadline_id": stage.id, "level": level[0], "seq": level[1], "sent_at": now})
            report.warnings.append((stage.id, *level))
            item = {"ticket_id": ticket.id, "internal_no": ticket.internal_no, "stage": stage.stage,
                    "level": level[0], "days_over": level[1], "due": self.calc.local(stage.due_at),
                    "fallback": stage.calendar_fallback, **flags(ticket)}
            targets = [(Audience.OFFICE_GROUP, None, None)]
            if stage.department_id is not None:
                targets.append((Audience.DEPARTMENT_GROUP, stage.department_id, None))
                if level[0] != "due_soon":
                    if stage.department_id not in leaders:
                        leaders[stage.department_id] = [m.id for m in queries.members_with_role(
                            session, Role.BUSINESS_LEADER.value, stage.department_id)]
                    targets += [(Audience.MEMBER, None, m) for m in leaders[stage.department_id]]
            for target in targets:
                batches[target].append(item)
                if urgent:
                    urgent_batch.add(target)
        queries.record_warnings(session, written, moments)
        # one message per recipient and batch, however many deadlines it lists
        for (audience, department_id, member_id), items in batches.items():
            items.sort(key=lambda i: (i["level"] != "overdue_again", i["level"] != "overdue", first_things_first(i)))
            # one overdue ticket, to the office or a leader: 催办 on the warning itself
            single = {"ticket_id": items[0]["ticket_id"], "urge": audience != Audience.DEPARTMENT_GROUP
                      and items[0]["level"] != "due_soon"} if len(items) == 1 else {}
            self._queue(session, report, audience, "deadline_warnings", {"items": items, **single}, now,
                        department_id=department_id, member_id=member_id,
                        ticket_id=items[0]["ticket_id"] if len(items) == 1 else None,
                        urgent=(audience, department_id, member_id) in urgent_batch)

    # -- supervision (办法 第十六条): an overdue reply with no approved extension is proposed, once --

    def _supervision(self, session: Session, now: datetime, report: TickReport) -> None:
        if not self.in_working_hours(now):
            return
        workflow = Workflow(self.rules, self.calc, lambda: now)
        for stage, ticket in queries.overdue_replies_to_escalate(session, now, SUPERVISION_BATCH):
            stage.escalated_at = now  # looked at once: proposed now, or supervised already
            if queries.supervised(session, ticket.id) or not queries.claim(session, f"supervise_overdue:{ticket.id}",
                                                                            now):
                continue
            try:
                with session.begin_nested():
                    workflow.execute(session, Actor.system(), ProposeSupervision(
                        ticket.id, text("supervision_overdue"), trigger="overdue"))
            except Refused:
                continue
            report.duties.append(f"supervise_overdue:{ticket.id}")

    # -- emergencies (办法 第十七条): again every few minutes until someone acknowledges --

    def _emergencies(self, session: Session, now: datetime, report: TickReport) -> None:
        every = timedelta(minutes=self.rules.flag("warnings", "emergency_repeat_minutes"))
        most = self.rules.flag("warnings", "emergency_repeat_times")
        for alert, ticket in queries.unacknowledged_alerts(session):
            if alert.reminders_sent >= most or now < alert.raised_at + every * (alert.reminders_sent + 1):
                continue
            if not queries.bump_reminder(session, alert.id, alert.reminders_sent):
                continue
            n = alert.reminders_sent + 1
            report.duties.append(f"emergency:{alert.id}:{n}")
            context = {"ticket_id": ticket.id, "internal_no": ticket.internal_no, "channel": ticket.channel,
                       "kind": ticket.kind, "round": n}
            self._queue(session, report, Audience.OFFICE_GROUP, "emergency_alert", context, now,
                        ticket_id=ticket.id, urgent=True)
            for member_id in queries.members_with_any_role(session, [r.value for r in LEADER_ROLES]):
                self._queue(session, report, Audience.MEMBER, "emergency_alert", context, now,
                            member_id=member_id, ticket_id=ticket.id, urgent=True)

    # -- planned visits: when their time comes, the office and the department hear it --

    def _visits(self, session: Session, now: datetime, report: TickReport) -> None:
        for visit, ticket in queries.visits_due(session, now):
            if not queries.claim(session, f"visit_due:{visit.id}", now):
                continue
            report.duties.append(f"visit_due:{visit.id}")
            context = {"ticket_id": ticket.id, "internal_no": ticket.internal_no, "visitors": visit.visitors,
                       "when": self.calc.local(visit.scheduled_for)}
            self._queue(session, report, Audience.OFFICE_GROUP, "visit_due", {**context, "office": True}, now,
                        ticket_id=ticket.id, urgent=True)
            self._queue(session, report, Audience.DEPARTMENT_GROUP, "visit_due", context, now,
                        department_id=ticket.department_id, ticket_id=ticket.id, urgent=True)

    # -- sensitive cases (SPEC §5.3) --

    def _report_day(self, day: date) -> bool:
        every_day = self.rules.flag("reports", "sensitive_every_day")
        return every_day or self.calendar.is_workday(day)

    def _sensitive(self, session: Session, now: datetime, report: TickReport) -> None:
        local = self.calc.local(now)
        today = local.date()
        if not self._report_day(today):
            return
        tickets = queries.open_sensitive_tickets(session)
        ask = self._at(today, self.rules.clock("reports", "sensitive_report_ask"))
        remind = self._at(today, self.rules.clock("reports", "sensitive_report_remind"))
        compile_at = self._at(today, self.rules.clock("reports", "sensitive_report_compile"))
        for ticket in tickets:
            if ticket.received_at > now:
                continue
            context = {"ticket_id": ticket.id, "internal_no": ticket.internal_no, "day": today.isoformat(),
                       "planned": queries.planned_visit(session, ticket.id) is not None}
            if local >= ask and queries.claim(session, f"sensitive_ask:{ticket.id}:{today}", now):
                report.duties.append(f"sensitive_ask:{ticket.id}:{today}")
                self._queue(session, report, Audience.DEPARTMENT_GROUP, "sensitive_ask", context, now,
                            department_id=ticket.department_id, ticket_id=ticket.id)
                if ticket.major_threat and not queries.visited(session, ticket.id):
                    self._queue(session, report, Audience.OFFICE_GROUP, "visit_reminder",
                                {**context, "office": True}, now, ticket_id=ticket.id)
                    self._queue(session, report, Audience.DEPARTMENT_GROUP, "visit_reminder", context, now,
                                department_id=ticket.department_id, ticket_id=ticket.id)
            if (local >= remind and queries.daily_report(session, ticket.id, today) is None
                    and queries.claim(session, f"sensitive_remind:{ticket.id}:{today}", now)):
                report.duties.append(f"sensitive_remind:{ticket.id}:{today}")
                self._queue(session, report, Audience.DEPARTMENT_GROUP, "sensitive_remind", context, now,
                            department_id=ticket.department_id, ticket_id=ticket.id)
        if tickets and local >= compile_at and queries.claim(session, f"sensitive_daily:{today}", now):
            report.duties.append(f"sensitive_daily:{today}")
            items = []
            for ticket in tickets:
                daily = queries.daily_report(session, ticket.id, today)
                department = session.get(Department, ticket.department_id)
                items.append({"ticket_id": ticket.id, "internal_no": ticket.internal_no,
                              "department": department.name if department else "",
                              "progress": daily.text if daily else None, "major_threat": ticket.major_threat})
            self._queue(session, report, Audience.OFFICE_GROUP, "sensitive_daily",
                        {"day": today.isoformat(), "items": items,
                         "missing": [i["internal_no"] for i in items if i["progress"] is None]}, now)

    # -- the office's morning digest (SPEC §6) --

    def _listing(self, tickets: list[Ticket]) -> list[dict]:
        rows = [{"ticket_id": t.id, "internal_no": t.internal_no, "status": t.status, **flags(t)} for t in tickets]
        return sorted(rows, key=first_things_first)

    def _due_item(self, stage: StageDeadline, ticket: Ticket) -> dict:
        return {"ticket_id": ticket.id, "internal_no": ticket.internal_no, "stage": stage.stage,
                "due": self.calc.local(stage.due_at), **flags(ticket)}

    def _digest(self, session: Session, now: datetime, report: TickReport) -> None:
        local = self.calc.local(now)
        today = local.date()
        if not self.calendar.is_workday(today) or local < self._at(today, self.rules.clock("reports", "digest_time")):
            return
        if not queries.claim(session, f"digest:{today}", now):
            return
        report.duties.append(f"digest:{today}")
        end_of_today = self.calc.end_of(today)
        # the digest lists the first DIGEST_ITEMS of each section and counts the rest (its row stays small)
        overdue, n_overdue = queries.open_stages_due(session, None, now, DIGEST_ITEMS)
        due_today, n_due_today = queries.open_stages_due(session, now, end_of_today, DIGEST_ITEMS, until=True)
        sensitive = queries.open_sensitive_tickets(session)
        waiting_office, n_office = queries.open_tickets_in(session, [s.value for s in WAITING_OFFICE], DIGEST_ITEMS)
        waiting_leader, n_leader = queries.open_tickets_in(session, [s.value for s in WAITING_LEADER], DIGEST_ITEMS)
        context = {
            "day": today.isoformat(),
            "due_today": sorted([self._due_item(stage, ticket) for stage, ticket in due_today], key=first_things_first),
            "overdue": sorted([self._due_item(stage, ticket) for stage, ticket in overdue], key=first_things_first),
            "sensitive": self._listing(sensitive)[:DIGEST_ITEMS],
            "waiting_office": self._listing(waiting_office),
            "waiting_leader": self._listing(waiting_leader),
            "counts": {"overdue": n_overdue, "due_today": n_due_today, "sensitive": len(sensitive),
                       "waiting_office": n_office, "waiting_leader": n_leader},
            "fallback_years": self._fallback_years(session, today),
        }
        self._queue(session, report, Audience.OFFICE_GROUP, "digest", context, now)

    def _fallback_years(self, session: Session, today: date) -> list[int]:
        """Years without holiday data that open deadlines reach: the digest says so once a day."""
        if not queries.open_fallback_years(session):
            return []
        return [y for y in range(today.year, today.year + 2) if self.calendar.source(y) == "fallback"]

    # -- the weekly statistics --

    def _weekly(self, session: Session, now: datetime, report: TickReport) -> None:
        due = self._last_week(now)
        if due is None:
            return
        week, start, end = due
        key = f"weekly:{week}"
        if not queries.claim(session, key, now):
            return
        report.duties.append(key)
        self._queue(session, report, Audience.OFFICE_GROUP, "weekly_stats",
                    {"from": start.isoformat(), "to": end.isoformat()}, now)

    # -- the weekly 通报 (办法 第二十一条) and 核查 report (规程 三(三)4), for the week before --

    def _last_week(self, now: datetime) -> tuple[str, date, date] | None:
        """(ISO week, Monday, Sunday) of the week before, once the weekly report's time has come."""
        local = self.calc.local(now)
        weekday, at = self.rules.flag("reports", "weekly_weekday"), self.rules.clock("reports", "weekly_time")
        if local.isoweekday() != weekday or local.time() < at:
            return None
        year, week, _ = local.isocalendar()
        monday = local.date() - timedelta(days=local.weekday())
        return f"{year}-W{week:02d}", monday - timedelta(days=7), monday - timedelta(days=1)

    def _bulletins(self, session: Session, now: datetime, report: TickReport) -> None:
        due = self._last_week(now)
        if due is None:
            return
        week, start, end = due
        if queries.claim(session, f"scoreboard:{week}", now):
            report.duties.append(f"scoreboard:{week}")
            context = bulletin.scoreboard(compute(session, self.calc, start, end, now, with_topics=False))
            for department in queries.departments(session):
                self._queue(session, report, Audience.DEPARTMENT_GROUP, "scoreboard", context, now,
                            department_id=department.id)
            for member_id in queries.members_with_any_role(session, [Role.BUSINESS_LEADER.value]):
                self._queue(session, report, Audience.MEMBER, "scoreboard", context, now, member_id=member_id)
        size = self.rules.flag("reports", "spot_check_size")
        if size and queries.claim(session, f"spot_check:{week}", now):
            report.duties.append(f"spot_check:{week}")
            self._queue(session, report, Audience.OFFICE_GROUP, "spot_check",
                        bulletin.spot_check(session, self.calc, start, end, size), now)
        if queries.claim(session, f"verification:{week}", now):
            report.duties.append(f"verification:{week}")
            rows = bulletin.verification_rows(session, self.calc, start, end, now)
            for member_id in queries.members_with_any_role(session, [Role.PETITION_LEADER.value,
                                                                     Role.MAIN_LEADER.value]):
                self._queue(session, report, Audience.MEMBER, "problem_summary", {"rows": rows}, now,
                            member_id=member_id)
