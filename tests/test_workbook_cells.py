"""Workbooks the bot writes: text a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is written as text."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from bot import stats
from bot.files import safe_cell

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ["=HYPERLINK(\"http://x\",\"点此\")", "+1+1", "-2+3", "@SUM(A1:A9)", "=cmd|' /C calc'!A0"]


def test_hostile_ticket_numbers_are_text_in_the_statistics_workbook(desk, tmp_path):
    for n, external_no in enumerate(HOSTILE):
        desk.new("petition", external_no=external_no, received=f"2026-09-2{n + 1}T09:00")
    with desk.db.session() as session:
        figures = stats.compute(session, desk.workflow.calc, date(2026, 9, 21), date(2026, 9, 30), desk.workflow.now())
        path = stats.workbook(figures, tmp_path / "week.xlsx", session, desk.workflow.calc)
    book = load_workbook(path)  # not data_only: a formula would come back as one
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    numbers = [row[2] for row in book["工单明细"].iter_rows(min_row=2, values_only=True)]
    assert sorted(numbers) == sorted("'" + n for n in HOSTILE)
    assert book["概况"]["B2"].value == 5  # numbers stay numbers


def test_safe_cell_leaves_numbers_dates_and_plain_text_alone():
    assert [safe_cell(v) for v in (-5, 1.5, None, date(2026, 1, 1), "社会救助", "13812345678")] == [
        -5, 1.5, None, date(2026, 1, 1), "社会救助", "13812345678"]
    assert [safe_cell(v) for v in ("=1", "+1", "-1", "@A1", "\t=1", "\r=1")] == [
        "'=1", "'+1", "'-1", "'@A1", "'\t=1", "'\r=1"]


def test_every_workbook_writer_goes_through_safe_row():
    """A module that builds an openpyxl Workbook appends its rows through bot.files.safe_row."""
    writers = [p for p in (ROOT / "bot").rglob("*.py") if "Workbook(" in p.read_text(encoding="utf-8")]
    writers += [p for p in (ROOT / "handlers").rglob("*.py") if "Workbook(" in p.read_text(encoding="utf-8")]
    assert writers, "no workbook writer found"
    for path in writers:
        source = path.read_text(encoding="utf-8")
        assert set(re.findall(r"\.append\((\w*)", source)) == {"safe_row"}, path
        assert ".value =" not in source, path  # no cell written past safe_row
