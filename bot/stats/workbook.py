"""The Excel workbook of a period: the same figures as the chat, percentages as numbers (formatted
as percentages), the full breakdown, and one row for every ticket of the period. Every row goes
through `safe_row`: text that a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from bot.deadlines import DeadlineCalculator
from bot.files import safe_row
from bot.stats.figures import CLASSES, NO_VALUE, Stats, _bounds
from storage import queries
from templates import label, labels, text

PERCENT = "0.0%"


def _value(group: str, code: str | None, empty: str) -> str:
    return empty if code in (None, NO_VALUE) else label(group, code, code)


def workbook(stats: Stats, path: Path, session: Session | None = None, calc: DeadlineCalculator | None = None
             ) -> Path:
    """The workbook; with a session, a sheet listing every ticket of the period (streamed, not loaded)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    w = labels("workbook")
    none = w["no_value"]

    def sheet(key: str, data, percent_columns: tuple[int, ...] = ()):
        title, *header = w[key].split("|")
        ws = book.create_sheet(title)
        ws.append(safe_row(header))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in data:
            ws.append(safe_row(row))
            for column in percent_columns:
                ws.cell(ws.max_row, column).number_format = PERCENT
        return ws

    summary = book.active
    summary.title = w["summary"]
    rows = [(w["period"], text("period_range", start=stats.start.isoformat(), end=stats.end.isoformat()), False),
            (w["total"], stats.total, False),
            (w["accept"], stats.rate("accept"), True), (w["reply"], stats.rate("reply"), True),
            (w["closing"], stats.closing_rate(), True), (w["satisfaction"], stats.satisfaction_rate(), True),
            (w["solved"], stats.solved_rate(), True), (w["redo_rate"], stats.redo_rate(), True),
            (w["visit_rate"], stats.visit_rate(), True), (w["reply_days"], stats.average_reply_days(), False),
            (w["returns"], sum(stats.returns.values()), False), (w["redo"], stats.redo, False),
            (w["extensions"], sum(stats.extensions.values()), False)]
    for name, value, percent in rows:
        summary.append(safe_row([name, value]))
        if percent:
            summary.cell(summary.max_row, 2).number_format = PERCENT

    channels = sorted({c for _, c in stats.by_class_channel})
    title, *_ = w["classes"].split("|")
    classes = book.create_sheet(title)
    classes.append(safe_row([w["class_header"], *[label("channel", c) for c in channels], w["total"]]))
    for cell in classes[1]:
        cell.font = Font(bold=True)
    for c in CLASSES:
        counts = [stats.by_class_channel.get((c, ch), 0) for ch in channels]
        classes.append(safe_row([label("handling_class", c), *counts, stats.by_class.get(c, 0)]))
    sheet("cube", [(label("handling_class", c), label("channel", ch), _value("kind", k, none),
                    _value("service_category", sv, none), cat or none, stats.departments.get(d, none) if d else none,
                    label("status", st), n) for c, ch, k, sv, cat, d, st, n in sorted(stats.cube, key=str)])
    sheet("channels", [(label("channel", c), n) for c, n in stats.by_channel.most_common()])
    sheet("kinds", [(_value("kind", k, none), n) for k, n in stats.by_kind.most_common()])
    sheet("services", [(_value("service_category", k, none), n) for k, n in stats.by_service.most_common()])
    sheet("categories", [(none if c == NO_VALUE else c, n) for c, n in stats.by_category.most_common()])
    sheet("statuses", [(label("status", s), n) for s, n in stats.by_status.most_common()])
    sheet("scoreboard", [(r["department"], r["tickets"], r["accept_on_time"], r["closing_on_time"], r["satisfaction"],
                          r["solved"], r["redo_rate"], r["visit_rate"], r["reply_days"], r["accept_late"],
                          r["reply_late"], r["returns"], r["redo"], r["extensions"])
                         for r in stats.department_rows()], percent_columns=(3, 4, 5, 6, 7, 8))
    sheet("hot", stats.topics)
    sheet("rising", stats.rising)
    sheet("hard", stats.hard)
    if session is not None and calc is not None:
        lo, hi = _bounds(calc, stats.start, stats.end)
        ws = sheet("tickets", [])

        def when(moment):
            return calc.local(moment).replace(tzinfo=None) if moment else None

        for (internal_no, channel, external_no, kind, service, category, cls, department_id, status, received,
             due, closed, satisfaction, redo) in queries.tickets_of_period(session, lo, hi):
            ws.append(safe_row([
                internal_no, label("channel", channel), external_no, _value("kind", kind, none),
                _value("service_category", service, none), category or none, label("handling_class", cls),
                stats.departments.get(department_id, none) if department_id else none, label("status", status),
                when(received), when(due), when(closed), _value("satisfaction", satisfaction, none), redo]))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
