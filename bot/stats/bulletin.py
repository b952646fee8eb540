"""The 通报 of 办法 第二十一条 (“962200”建立流转处理、服务质量与效率、抽查回访、市民满意度等情况通报评价制度，
向各有关部门进行通报) and the 核查 report of 规程 三(三)4, as the contexts of queued messages.

- the scoreboard: every department's figures for the period, to every department group and
  business leader;
- the 抽查回访 list: a random sample of the tickets closed in the period, to the office;
- the 核查 report: dissatisfied tickets and 未回复工单, to the petition-line and main leaders.

The figures are computed when the message is queued, so what is sent is what was true then.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from bot.deadlines import DeadlineCalculator
from bot.stats.figures import Stats, _bounds, days, pct
from storage import queries


def scoreboard(stats: Stats) -> dict:
    rows = [{"department": r["department"], "tickets": r["tickets"], "accept": pct(r["accept_on_time"]),
             "closing": pct(r["closing_on_time"]), "satisfaction": pct(r["satisfaction"]), "solved": pct(r["solved"]),
             "redo": pct(r["redo_rate"]), "visit": pct(r["visit_rate"]), "days": days(r["reply_days"]),
             "overdue": r["overdue"]} for r in stats.department_rows()]
    return {"from": stats.start.isoformat(), "to": stats.end.isoformat(), "rows": rows,
            "total": {"tickets": stats.total, "accept": pct(stats.rate("accept")), "closing": pct(stats.closing_rate()),
                      "satisfaction": pct(stats.satisfaction_rate())}}


def spot_check(session: Session, calc: DeadlineCalculator, start: date, end: date, size: int) -> dict:
    lo, hi = _bounds(calc, start, end)
    names = {d.id: d.name for d in queries.departments(session, include_office=True)}
    items = [{"ticket_id": ticket_id, "internal_no": internal_no, "channel": channel,
              "department": names.get(department_id, "") if department_id else ""}
             for ticket_id, internal_no, channel, department_id in queries.spot_check_sample(session, lo, hi, size)]
    return {"from": start.isoformat(), "to": end.isoformat(), "size": size,
            "items": sorted(items, key=lambda i: i["internal_no"])}


def verification_rows(session: Session, calc: DeadlineCalculator, start: date, end: date, now: datetime
                      ) -> list[dict]:
    """The rows of the 核查 report: the period's dissatisfied tickets (and any not yet verified), then the
    tickets whose department reply is past due (未回复工单)."""
    lo, hi = _bounds(calc, start, end)
    names = {d.id: d.name for d in queries.departments(session, include_office=True)}
    rows = [{"ticket_id": ticket_id, "internal_no": internal_no, "kind": "dissatisfied", "status": status,
             "department": names.get(department_id, "") if department_id else "", "reasons": reasons,
             "verification": verification, "overdue": bool(overdue)}
            for ticket_id, internal_no, department_id, status, reasons, verification, overdue
            in queries.dissatisfied_reports(session, lo, hi, now)]
    rows += [{"ticket_id": ticket_id, "internal_no": internal_no, "kind": "unreplied", "status": "no_reply",
              "department": names.get(department_id, "") if department_id else "", "reasons": "",
              "verification": None, "overdue": False, "due": calc.local(due).date().isoformat()}
             for ticket_id, internal_no, department_id, due in queries.unreplied(session, now)]
    return rows
