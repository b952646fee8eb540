"""Importing the platforms' CSV/XLSX exports: all or nothing, repeats reported, errors by row and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import select

from bot.cli import main
from bot.importer import ImportFailed, import_file
from storage import queries
from storage.models import Ticket
from tests.helpers.clock import local

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tickets.csv"
HEADER = "渠道,工单号,来电时间,工单类型,联系人,联系电话,联系地址,内容描述"


def tickets(db) -> list[Ticket]:
    with db.session() as session:
        return list(session.exec(select(Ticket).order_by(Ticket.id)))


def count(db) -> int:
    with db.session() as session:
        return queries.count(session, Ticket)


def write(tmp_path, body: str, name="t.csv", encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(body.encode(encoding))
    return path


def test_example_file_imports(db, calc, org):
    report = import_file(db, calc, EXAMPLE)
    assert len(report.imported) == 5 and report.repeats == []
    with db.session() as session:
        urged = queries.ticket_by_external(session, "12345", "2026092900123")
        threat = queries.ticket_by_external(session, "12345", "2026092900456")
        petition = queries.ticket_by_external(session, "petition", "XF2026-0931")
        hotline = queries.ticket_by_external(session, "962200", "962200-20260930-001")
        assert urged.city_urged and urged.kind == "ordinary" and urged.business_category == "社会救助"
        assert urged.received_at == local("2026-09-29T09:12")
        assert urged.overall_due_at == local("2026-10-14T23:59:59")
        assert threat.sensitive and threat.kind == "threat"
        assert petition.kind is None and petition.status == "received"
        assert hotline.service_category == "consultation"
        tagged = queries.ticket_by_external(session, "12345", "2026092900789")
        assert tagged.tags == ["中国政府网民留言"] and tagged.source == "中国政府网民留言"
    lines = report.lines()
    assert lines[-1] == "导入 5 件，重复 0 件，共 5 行"
    assert "第2行 已登记 SJMZ-" in lines[0]


def test_importing_twice_reports_repeats_and_never_duplicates(db, calc, org):
    import_file(db, calc, EXAMPLE)
    report = import_file(db, calc, EXAMPLE)
    assert report.imported == [] and len(report.repeats) == 5
    assert "第2行 工单号 2026092900123（12345市民服务热线）此前已登记为 SJMZ-2026-" in report.repeats[0]
    assert count(db) == 5


def test_repeat_within_the_file(db, calc, tmp_path):
    path = write(tmp_path, HEADER + "\n"
                 "12345,A1,2026-09-29 09:00,普通,张三,138,地址,内容\n"
                 "12345,A1,2026-09-29 09:30,普通,张三,138,地址,内容\n"
                 "962200,A1,2026-09-29 09:30,,张三,138,地址,同号不同渠道\n")
    report = import_file(db, calc, path)
    assert len(report.imported) == 2
    assert report.repeats == ["第3行 工单号 A1（12345市民服务热线）与第2行重复，未重复导入"]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("12345,B2,2026-09-31 09:00,普通工单,张三,138,地址,内容", "第3行「来电时间」：时间格式不对"),
        ("12345,B2,2026-09-29 09:00,周报工单,张三,138,地址,内容", "第3行「工单类型」：“周报工单”不是可选值"),
        ("12345,B2,2026-09-29 09:00,,张三,138,地址,内容", "第3行「工单类型」：不能为空"),
        ("微博,B2,2026-09-29 09:00,普通工单,张三,138,地址,内容", "第3行「渠道」：“微博”不是可选值"),
        ("12345,,2026-09-29 09:00,普通工单,张三,138,地址,内容", "第3行「工单号」：不能为空"),
        ("12345,B2,2026-09-29 09:00,普通工单,张三,138,地址,", "第3行「内容描述」：不能为空"),
    ],
)
def test_a_bad_row_names_row_and_column_and_nothing_is_imported(db, calc, tmp_path, rows, expected):
    path = write(tmp_path, HEADER + "\n12345,B1,2026-09-29 09:00,普通工单,张三,138,地址,好的一行\n" + rows + "\n")
    with pytest.raises(ImportFailed) as exc:
        import_file(db, calc, path)
    assert any(line.startswith(expected) for line in exc.value.lines()), exc.value.lines()
    assert count(db) == 0


def test_every_error_is_listed(db, calc, tmp_path):
    path = write(tmp_path, HEADER + "\n12345,,bad,,张三,138,地址,内容\n")
    with pytest.raises(ImportFailed) as exc:
        import_file(db, calc, path)
    columns = [e.column for e in exc.value.errors]
    assert columns == ["工单号", "来电时间", "工单类型"]


def test_missing_column_and_bad_files(db, calc, tmp_path):
    with pytest.raises(ImportFailed) as exc:
        import_file(db, calc, write(tmp_path, "渠道,来电时间,内容描述\n12345,2026-09-29 09:00,x\n"))
    assert exc.value.lines() == ["第1行「工单号」：缺少此列"]
    with pytest.raises(ImportFailed, match="1 errors") as exc:
        import_file(db, calc, write(tmp_path, "hello", name="t.txt"))
    assert "只支持" in exc.value.lines()[0]
    with pytest.raises(ImportFailed) as exc:
        import_file(db, calc, write(tmp_path, HEADER + "\n"))
    assert "没有数据行" in exc.value.lines()[0]
    with pytest.raises(ImportFailed) as exc:
        import_file(db, calc, write(tmp_path, "not a workbook", name="t.xlsx"))
    assert exc.value.lines() == ["t.xlsx 已损坏或不是真正的 Office 文件，请重新保存后再发"]
    assert count(db) == 0


def test_gbk_csv_from_excel(db, calc, tmp_path):
    path = write(tmp_path, HEADER + "\n信访,XF-1,2026/09/29 09:00,,张三,138,地址,来信内容\n", encoding="gb18030")
    assert len(import_file(db, calc, path).imported) == 1


def test_xlsx_with_date_cells(db, calc, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["12345", 2026092900999, local("2026-09-29T09:00").replace(tzinfo=None), "咨询工单", "张三",
                  13812345678, "地址", "咨询内容"])
    path = tmp_path / "t.xlsx"
    book.save(path)
    report = import_file(db, calc, path)
    assert len(report.imported) == 1
    ticket = tickets(db)[0]
    assert ticket.external_no == "2026092900999" and ticket.phone == "13812345678"
    assert ticket.kind == "consultation" and ticket.received_at == local("2026-09-29T09:00")


def test_dry_run_imports_nothing(db, calc, org):
    report = import_file(db, calc, EXAMPLE, dry_run=True)
    assert len(report.imported) == 5 and count(db) == 0


def test_cli_import(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    assert main(["import", str(EXAMPLE)]) == 0
    assert "导入 5 件，重复 0 件，共 5 行" in capsys.readouterr().out
    assert main(["import", str(EXAMPLE)]) == 0
    assert "导入 0 件，重复 5 件" in capsys.readouterr().out
    bad = write(tmp_path, HEADER + "\n12345,Z1,someday,普通,张三,138,地址,内容\n")
    assert main(["import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "导入失败" in err and "第2行「来电时间」" in err
