"""Import tickets from the platforms' CSV/XLSX exports.

The whole file is checked first; one bad cell and nothing is imported. A
ticket whose external number is already registered (or appears twice in the
file) is reported as a repeat and never registered twice. The columns are
listed in COLUMNS below and in the README.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.deadlines import DeadlineCalculator
from bot.domain import TICKET_FLAGS
from bot.files import YEARS, BadFile, FileLimits, check_file, decode_text, plausible
from bot.rules import Rules
from bot.workflow import Actor, CreateTicket, Refused, Workflow, clean
from storage import queries
from templates import code_for, label, labels, text

MAX_CONTENT = 5000
MAX_COLUMNS = 256  # cells read per row: the platforms' exports have a few dozen columns


@dataclass(frozen=True)
class Column:
    key: str
    names: tuple[str, ...]  # the header as the platforms export it, first is canonical
    required: bool = False


COLUMNS = (
    Column("channel", ("渠道", "来源渠道"), required=True),
    Column("external_no", ("工单号", "工单编号", "信访件编号"), required=True),
    # SPEC §9.1: 来电/来访时间 (附件1) and the bureau's receipt (期限起算) apart; either may be missing, the other stands in
    Column("called_at", ("来电时间", "来访时间", "来电/来访时间")),
    Column("received_at", ("收到时间", "接收时间", "受理时间", "转送时间")),
    Column("kind", ("工单类型",)),
    Column("source", ("工单来源",)),
    Column("citizen_name", ("联系人", "来电人", "来访人", "市民姓名")),
    Column("phone", ("联系电话", "电话")),
    Column("address", ("联系地址", "地址")),
    Column("content", ("内容描述", "诉求内容"), required=True),
    Column("tags", ("标签",)),
    Column("city_urged", ("市级催办",)),
    Column("sensitive", ("涉稳",)),
    Column("major_threat", ("重大扬言",)),
    Column("repeat", ("重复件", "是否重复")),
    Column("review", ("回访复核单", "是否回访复核单")),
    Column("emergency", ("应急件",)),
    Column("service_category", ("服务类别",)),
    Column("business_category", ("业务类别",)),
)
FLAGS = TICKET_FLAGS
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%dT%H:%M", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H时%M分")


@dataclass
class CellError:
    row: int
    column: str
    message: str

    def line(self) -> str:
        if not self.row:  # the file as a whole
            return self.message
        return text("import_error", row=self.row, column=self.column, message=self.message)


class ImportFailed(Exception):
    def __init__(self, errors: list[CellError]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors

    @classmethod
    def file(cls, sentence: str) -> ImportFailed:
        """The file as a whole cannot be read: one sentence, no row."""
        return cls([CellError(0, "", sentence)])

    def lines(self) -> list[str]:
        return [e.line() for e in self.errors]


@dataclass
class ImportReport:
    rows: int = 0
    imported: list[tuple[int, str, datetime | None]] = field(default_factory=list)  # row, internal no, dispatch due
    repeats: list[str] = field(default_factory=list)
    dry_run: bool = False

    def lines(self) -> list[str]:
        out = [text("import_row_imported", row=r, internal_no=n, due=due.isoformat() if due else "-")
               for r, n, due in self.imported]
        out += self.repeats
        out.append(text("import_summary", imported=len(self.imported), repeats=len(self.repeats), rows=self.rows))
        return out


def read_table(path: Path | str, data: bytes | None = None,
               limits: FileLimits | None = None) -> list[list[str]]:
    """Rows of cells as text (the header first) from a .csv or .xlsx file; checked before it is parsed.

    Anything wrong with the file as a whole is an ImportFailed with one sentence (`ImportFailed.file`)."""
    path, limits = Path(path), limits or FileLimits()
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ImportFailed.file(text("import_err_file_type"))
    try:
        raw = data if data is not None else path.read_bytes()
        check_file(path.name, raw, limits)
        rows = _read_csv(path.name, raw, limits) if suffix == ".csv" else _read_xlsx(path.name, raw, limits)
    except BadFile as bad:
        raise ImportFailed.file(str(bad)) from bad
    except OSError as exc:
        raise ImportFailed.file(text("import_err_file", detail=exc.strerror or exc)) from exc
    return rows


def _rows(name: str, rows: Iterable[Sequence], limits: FileLimits) -> list[list[str]]:
    """The rows that are not empty, as text, at most MAX_COLUMNS cells and limits.max_rows rows."""
    out: list[list[str]] = []
    blank = None  # openpyxl yields one and the same tuple for each missing row: up to a million of them
    for row in rows:
        if row is blank:
            continue
        if row.count(None) + row.count("") == len(row):
            blank = row
            continue
        cells = [clean(_cell_text(cell)) for cell in row[:MAX_COLUMNS]]
        while cells and not cells[-1]:
            cells.pop()
        out.append(cells)
        if len(out) > limits.max_rows:
            raise BadFile(text("file_too_many_rows", name=name, max=limits.max_rows))
    return out


def _read_csv(name: str, raw: bytes, limits: FileLimits) -> list[list[str]]:
    # newline="": the csv module splits lines itself, so CR-only line ends (Excel for Mac) read as lines
    reader = csv.reader(io.StringIO(decode_text(name, raw), newline=""))
    try:
        return _rows(name, reader, limits)
    except csv.Error as exc:
        raise BadFile(text("file_csv_broken", name=name, row=reader.line_num, max=csv.field_size_limit())) from exc


def _read_xlsx(name: str, raw: bytes, limits: FileLimits) -> list[list[str]]:
    from openpyxl import load_workbook

    # openpyxl raises many kinds for a damaged file, while opening it and while reading its rows, and warns
    # (on stderr) of what it repairs, such as a date past Excel's range, which it reads as an error cell
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            try:
                sheet = book.worksheets[0]
                sheet.reset_dimensions()  # the declared size may say A1:XFD1048576: read the cells that are there
                return _rows(name, sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), limits)
            finally:
                book.close()
    except BadFile:
        raise
    except Exception as exc:
        raise BadFile(text("file_unreadable", name=name)) from exc


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")  # four-digit years, whatever the platform
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse_time(value: str) -> datetime | None:
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def parse_rows(rows: list[list[str]], rules: Rules) -> list[tuple[int, CreateTicket]]:
    """Validate every row; raises ImportFailed with every error found."""
    rows = [r for r in rows if any(cell for cell in r)]
    if not rows:
        raise ImportFailed([CellError(1, "-", text("import_err_empty"))])
    header = [h.strip() for h in rows[0]]
    index: dict[str, int] = {}
    errors: list[CellError] = []
    for column in COLUMNS:
        for name in column.names:
            if name in header:
                index[column.key] = header.index(name)
                break
        else:
            if column.required:
                errors.append(CellError(1, column.names[0], text("import_err_missing_column")))
    if "called_at" not in index and "received_at" not in index:
        errors.append(CellError(1, COLUMNS[2].names[0], text("import_err_missing_column")))
    if errors:
        raise ImportFailed(errors)
    if len(rows) == 1:
        raise ImportFailed([CellError(2, "-", text("import_err_empty"))])

    names = {c.key: header[index[c.key]] for c in COLUMNS if c.key in index}
    out: list[tuple[int, CreateTicket]] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {key: (row[i].strip() if i < len(row) else "") for key, i in index.items()}
        before = len(errors)

        def fail(key: str, message: str, number=number) -> None:
            errors.append(CellError(number, names.get(key, key), message))

        for column in COLUMNS:
            if column.required and column.key in cells and not cells[column.key]:
                fail(column.key, text("import_err_required"))
        channel = code_for("channel", cells["channel"]) if cells["channel"] else None
        if cells["channel"] and channel is None:
            fail("channel", text("import_err_choice", value=cells["channel"], choices="、".join(labels("channel"))))
        times = {}
        for key in ("called_at", "received_at"):
            times[key] = _parse_time(cells[key]) if cells.get(key) else None
            if cells.get(key) and times[key] is None:
                fail(key, text("import_err_time", value=cells[key]))
            elif times[key] is not None and not plausible(times[key]):
                fail(key, text("file_bad_date", value=cells[key], first=YEARS[0], last=YEARS[-1]))
                times[key] = None
        if not cells.get("called_at") and not cells.get("received_at"):
            fail("received_at" if "received_at" in index else "called_at", text("import_err_required"))
        received = times["received_at"] or times["called_at"]
        called = times["called_at"] or received
        kind = None
        kinds = rules.kinds(channel) if channel else []
        raw_kind = cells.get("kind", "")
        if kinds:
            kind = code_for("kind", raw_kind) if raw_kind else None
            if kind not in kinds:
                shown = "、".join(label("kind", k) for k in kinds)
                fail("kind", text("import_err_choice", value=raw_kind, choices=shown) if raw_kind
                     else text("import_err_required"))
        flags = {}
        for key in FLAGS:
            raw = cells.get(key, "")
            value = code_for("yes_no", raw)
            if value is None:
                fail(key, text("import_err_choice", value=raw, choices="、".join(labels("yes_no").values())))
            flags[key] = value == "true"
        service = None
        if cells.get("service_category"):
            service = code_for("service_category", cells["service_category"])
            if service is None:
                fail("service_category", text("import_err_choice", value=cells["service_category"],
                                              choices="、".join(labels("service_category").values())))
        business = cells.get("business_category") or None
        allowed = rules.flag("lists", "business_categories")
        if business and business not in allowed:
            fail("business_category", text("import_err_choice", value=business, choices="、".join(allowed)))
        if len(cells["content"]) > MAX_CONTENT:
            fail("content", text("import_err_too_long", length=len(cells["content"]), max=MAX_CONTENT))
        if len(errors) > before:
            continue
        tags = tuple(t.strip() for t in cells.get("tags", "").replace("，", ",").split(",") if t.strip())
        out.append((number, CreateTicket(
            channel=channel,
            external_no=cells["external_no"],
            received_at=received.replace(tzinfo=rules.tz),
            called_at=called.replace(tzinfo=rules.tz),
            content=cells["content"],
            kind=kind,
            source=cells.get("source") or None,
            citizen_name=cells.get("citizen_name") or None,
            phone=cells.get("phone") or None,
            address=cells.get("address") or None,
            tags=tags,
            service_category=service,
            business_category=business,
            **flags,
        )))
    if errors:
        raise ImportFailed(errors)
    return out


def import_rows(db, workflow: Workflow, parsed: list[tuple[int, CreateTicket]], actor: Actor | None = None,
                dry_run: bool = False, progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Register every new ticket in one transaction; repeats are reported, not registered."""
    actor = actor or Actor.system()
    report = ImportReport(rows=len(parsed), dry_run=dry_run)
    seen: dict[tuple[str, str], int] = {}
    with db.session() as session:
        known = queries.tickets_by_external(session, [(c.channel, c.external_no) for _, c in parsed])
        for done, (row, command) in enumerate(parsed, start=1):
            key = (command.channel, command.external_no)
            if key in known:
                report.repeats.append(text("import_repeat", row=row, external_no=command.external_no,
                                           channel=label("channel", command.channel),
                                           internal_no=known[key].internal_no))
                continue
            if key in seen:
                report.repeats.append(text("import_repeat_in_file", row=row, external_no=command.external_no,
                                           channel=label("channel", command.channel), first_row=seen[key]))
                continue
            seen[key] = row
            try:
                outcome = workflow.execute(session, actor, command)
            except Refused as refusal:
                raise ImportFailed([CellError(row, "-", refusal.message)]) from refusal
            due = outcome.data.get("dispatch_due")
            report.imported.append((row, outcome.internal_no, workflow.calc.local(due) if due else None))
            if progress:
                progress(done, len(parsed))
        if dry_run:
            session.rollback()
    return report


def import_file(db, calc: DeadlineCalculator, path: Path | str, dry_run: bool = False,
                actor: Actor | None = None, workflow: Workflow | None = None,
                limits: FileLimits | None = None) -> ImportReport:
    parsed = parse_rows(read_table(path, limits=limits), calc.rules)
    workflow = workflow or Workflow(calc.rules, calc)
    return import_rows(db, workflow, parsed, actor=actor, dry_run=dry_run)
