"""Hostile and careless files: every file the office sends is imported or refused with sentences, never a traceback.

Generated CSV and XLSX exports (valid tables with random cells and dates, odd encodings and line ends,
huge cells, truncated or corrupted zips, random bytes) go to the importer, and generated Markdown, Word
and question/answer files to the knowledge base. Then each hostile file of the issue, by name, and one
through the chat.
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import datetime

import pytest
from docx import Document
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from bot import knowledge
from bot.calendar import WorkCalendar
from bot.deadlines import DeadlineCalculator
from bot.domain import TICKET_FLAGS
from bot.files import FileLimits
from bot.importer import COLUMNS, TIME_FORMATS, ImportFailed, parse_rows, read_table
from bot.rules import load_rules
from templates import labels

HEADER = [c.names[0] for c in COLUMNS]
RULES = load_rules()
CALC = DeadlineCalculator(RULES, WorkCalendar())
CHANNELS = list(labels("channel").values())
KINDS = list(labels("kind").values())
YES_NO = list(labels("yes_no").values())
# 60 files a test in the suite (~15 s); HOTLINE_FUZZ_EXAMPLES=2000 for a longer search
FUZZ = settings(max_examples=int(os.environ.get("HOTLINE_FUZZ_EXAMPLES", "60")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
SMALL = FileLimits(max_bytes=1_000_000, max_unpacked_bytes=2_000_000, max_members=50, max_rows=500)

formulas = st.sampled_from(["=1+1", "+86 138", "-", "@SUM(A1)", '"', '""', ",", "  "])
any_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
# cells: Chinese, ASCII, quotes and separators, control characters, formulas, now and then a huge one
cell_text = st.one_of(
    any_text, any_text, any_text, formulas, st.sampled_from(["\r", "\n", "\x00", "a\rb", "a\r\nb"]),
    st.builds(lambda n, c: c * n, st.integers(131_000, 140_000), st.sampled_from("低x")),
)
# what an XML cell or paragraph can hold
xml_text = st.one_of(st.text(alphabet=st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=30), formulas)
# dates: mostly of these years, now and then any a datetime can hold (year 1 to 9999)
moments = st.one_of(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
                    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)))
times = st.builds(lambda moment, fmt: moment.strftime(fmt), moments, st.sampled_from(TIME_FORMATS))


@st.composite
def tables(draw, xml_safe: bool = False) -> list[list]:
    """The platforms' columns (the required ones now and then left out, the others some of the time, in any
    order) and rows of likely cells, and now and then unlikely ones."""
    required = [c.names[0] for c in COLUMNS if c.required]
    others = [c.names[0] for c in COLUMNS if not c.required]
    header = draw(st.permutations(required + draw(st.lists(st.sampled_from(others), unique=True))))
    if draw(st.integers(0, 9)) == 7:  # not 0: Hypothesis draws the bounds more often than the rest
        header = header[1:]
    text = xml_text if xml_safe else cell_text
    plain = st.text(alphabet="张三低保申请人民路号室0123456789", min_size=1, max_size=20)
    likely = {"渠道": st.sampled_from(["信访", "962200"]), "工单号": plain, "内容描述": plain,
              "来电时间": st.one_of(times, moments) if xml_safe else times, "工单类型": st.sampled_from(KINDS),
              "服务类别": st.sampled_from(list(labels("service_category").values())),
              "业务类别": st.sampled_from(RULES.flag("lists", "business_categories")),
              **{c.names[0]: st.sampled_from(YES_NO) for c in COLUMNS if c.key in TICKET_FLAGS}}
    rows = [header]
    for _ in range(draw(st.integers(1, 4))):
        rows.append([draw(likely.get(name, plain) if draw(st.integers(0, 19)) != 7 else text) for name in header])
    return rows


def csv_bytes(rows: list[list], line_end: str, encoding: str) -> bytes:
    def quoted(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value
    return line_end.join(",".join(quoted(str(v)) for v in row) for row in rows).encode(encoding, "replace")


def xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def damaged(data: bytes, how: str, at: int) -> bytes:
    """The file cut short, a byte flipped, or a zip member's content cut short."""
    if how == "cut":
        return data[: at % (len(data) + 1)]
    if how == "flip" and data:
        i = at % len(data)
        return data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
    if how == "member" and data.startswith(b"PK"):
        source = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for n, info in enumerate(source.infolist()):
                content = source.read(info)
                target.writestr(info.filename, content[: at % (len(content) + 1)] if n == at % 7 else content)
        return out.getvalue()
    return data


PROBLEMS = ["空文件", "太大", "已损坏", "编码", "单元格过长", "行数过多", "解压后", "内部文件", "有效日期", "时间格式",
            "缺少此列", "没有数据行", "不是可选值", "不能为空", "内容过长", "没有找到条目", "都不能为空", "只支持"]


def outcome(sentences: list[str]) -> str:
    """What the file was answered with, for `--hypothesis-show-statistics`."""
    return "refused: " + next((p for p in PROBLEMS if any(p in s for s in sentences)), "other")


def assert_import_answers(name: str, data: bytes) -> None:
    """A parsed import, or ImportFailed with sentences; any other exception fails the test."""
    try:
        parsed = parse_rows(read_table(name, data, SMALL), RULES)
    except ImportFailed as failed:
        lines = failed.lines()
        assert lines and all(line.strip() and "Traceback" not in line for line in lines), lines
        event(outcome(lines))
        return
    event("imported")
    for _, command in parsed:
        assert "\x00" not in command.content
        CALC.overall(command.channel, command.kind, command.received_at)  # its deadlines can be computed


def assert_kb_answers(name: str, data: bytes) -> None:
    try:
        drafts = knowledge.parse_file(name, data, SMALL)
    except knowledge.KnowledgeError as error:
        assert str(error).strip() and "Traceback" not in str(error), str(error)
        event(outcome([str(error)]))
        return
    event("parsed")
    assert drafts and all(d.published is None or d.published.year in range(1949, 2100) for d in drafts)


# -- generated files -------------------------------------------------------------------------------


@FUZZ
@given(rows=tables(), line_end=st.sampled_from(["\n", "\r\n", "\r"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
       how=st.sampled_from(["none", "none", "none", "cut", "flip"]), at=st.integers(0, 10**6))
def test_generated_csv_is_imported_or_refused_in_sentences(rows, line_end, encoding, how, at):
    assert_import_answers("export.csv", damaged(csv_bytes(rows, line_end, encoding), how, at))


@FUZZ
@given(rows=tables(xml_safe=True), how=st.sampled_from(["none", "none", "cut", "flip", "member"]),
       at=st.integers(0, 10**6))
def test_generated_xlsx_is_imported_or_refused_in_sentences(rows, how, at):
    assert_import_answers("export.xlsx", damaged(xlsx_bytes(rows), how, at))


@FUZZ
@given(data=st.binary(max_size=3000), name=st.sampled_from(["a.csv", "a.xlsx", "a.md", "a.docx"]))
def test_random_bytes_are_refused_in_a_sentence(data, name):
    if name.endswith((".csv", ".xlsx")):
        assert_import_answers(name, data)
    else:
        assert_kb_answers(name, data)


@FUZZ
@given(titles=st.lists(st.one_of(cell_text, xml_text), max_size=3), dates=st.lists(times, max_size=3),
       kind=st.sampled_from(["md", "docx", "csv"]), how=st.sampled_from(["none", "none", "cut", "flip", "member"]),
       at=st.integers(0, 10**6))
def test_generated_knowledge_files_are_parsed_or_refused_in_a_sentence(titles, dates, kind, how, at):
    if kind == "md":
        data = "\r".join(f"# {t}\n日期：{d}\n来源：区民政局\n正文 {t}" for t, d in zip(titles, dates + [""] * 3,
                                                                            strict=False)).encode()
    elif kind == "csv":
        data = csv_bytes([["问题", "答案", "日期"], *[[t, t[::-1], d] for t, d in zip(titles, dates, strict=False)]],
                         "\r\n", "gb18030")
    else:
        document = Document()
        for t in titles:
            document.add_paragraph("".join(c for c in t if c.isprintable())[:1000])
        out = io.BytesIO()
        document.save(out)
        data = out.getvalue()
    assert_kb_answers(f"policy.{kind}", damaged(data, how, at))


# -- the hostile files, one by one -----------------------------------------------------------------


def _row(received: str = "2026-09-29 09:00", content: str = "反映低保申请问题") -> list:
    return ["12345", "H1", received, "普通工单", "张三", "13812345678", "人民路1号", content]


SHORT_HEADER = ["渠道", "工单号", "来电时间", "工单类型", "联系人", "联系电话", "联系地址", "内容描述"]


def _csv(*rows: list, line_end: str = "\n", encoding: str = "utf-8") -> bytes:
    return csv_bytes([SHORT_HEADER, *rows], line_end, encoding)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def _members(data: bytes) -> dict[str, bytes]:
    source = zipfile.ZipFile(io.BytesIO(data))
    return {name: source.read(name) for name in source.namelist()}


def _bomb() -> bytes:
    """A workbook whose shared strings unpack to 150 MB of zeros (0.7 MB packed)."""
    members = _members(xlsx_bytes([SHORT_HEADER, _row()]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        with archive.open("xl/sharedStrings.xml", "w") as big:
            for _ in range(150):
                big.write(bytes(2**20))
    return out.getvalue()


def _broken_sheet() -> bytes:
    members = _members(xlsx_bytes([SHORT_HEADER, _row()]))
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"][:300]
    return _zip(members)


def _declared_million_rows() -> bytes:
    """Two real rows, a cell in the sheet's last row and column, a dimension of A1:XFD1048576."""
    members = _members(xlsx_bytes([SHORT_HEADER, _row()]))
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace('<dimension ref="A1:H2"/>', '<dimension ref="A1:XFD1048576"/>').replace(
        "</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    return _zip(members)


HOSTILE_IMPORTS = [
    ("a cell over the csv module's limit", "huge.csv", lambda: _csv(_row(content="低" * 131_073)),
     "huge.csv 第2行无法读取：单元格过长（超过 131072 字）或引号不配对"),
    ("a year 0001 date", "y1.csv", lambda: _csv(_row("0001-01-01 09:00")),
     "第2行「来电时间」：0001-01-01 09:00 不是有效日期（年份须在 1949 至 2099 之间）"),
    ("a year 9999 date", "y9.csv", lambda: _csv(_row("9999-12-31 23:59")),
     "第2行「来电时间」：9999-12-31 23:59 不是有效日期（年份须在 1949 至 2099 之间）"),
    ("a year 0001 date cell", "y1.xlsx", lambda: xlsx_bytes([SHORT_HEADER, _row(datetime(1, 1, 1, 9))]),
     "第2行「来电时间」：0001-01-01 09:00:00 不是有效日期（年份须在 1949 至 2099 之间）"),
    ("an empty file", "empty.csv", lambda: b"", "empty.csv 是空文件"),
    ("an empty workbook file", "empty.xlsx", lambda: b"", "empty.xlsx 是空文件"),
    ("broken sheet XML", "broken.xlsx", _broken_sheet, "broken.xlsx 无法读取（文件内容已损坏），请重新保存后再发"),
    ("a truncated zip", "cut.xlsx", lambda: xlsx_bytes([SHORT_HEADER, _row()])[:2000],
     "cut.xlsx 已损坏或不是真正的 Office 文件，请重新保存后再发"),
    ("a zip bomb", "bomb.xlsx", _bomb, "bomb.xlsx 解压后过大（150.1 MB，最多 100.0 MB），已拒绝"),
    ("a file over the size limit", "big.csv", lambda: _csv(*[_row(content="低" * 4000)] * 1800),
     "big.csv 太大（20.8 MB，最多 20.0 MB）"),
    ("too many members", "many.xlsx", lambda: _zip({f"x/{i}.xml": b"" for i in range(1001)}),
     "many.xlsx 内部文件过多（1001 个，最多 1000 个），已拒绝"),
    ("not UTF-8, not GB18030", "latin.csv", lambda: b"\x81\x30\xff\xfe\x00" * 3,
     "无法识别 latin.csv 的编码，请另存为 UTF-8 或 GBK 的文件"),
]


@pytest.mark.parametrize(("name", "data", "sentence"), [case[1:] for case in HOSTILE_IMPORTS],
                         ids=[case[0] for case in HOSTILE_IMPORTS])
def test_each_hostile_file_gets_its_sentence(name, data, sentence, rules):
    with pytest.raises(ImportFailed) as failed:
        parse_rows(read_table(name, data()), rules)  # the default limits, as the bot has them
    assert failed.value.lines() == [sentence]


@pytest.mark.parametrize(("line_end", "encoding"), [("\r", "utf-8"), ("\r\n", "gb18030"), ("\n", "utf-8-sig"),
                                                    ("\r", "utf-16")])
def test_excel_csv_line_ends_and_encodings_are_read(line_end, encoding, rules):
    data = _csv(_row(), ["信访", "XF-1", "2026/09/29 10:00", "", "李四", "", "", "来信\x00内容"],
                line_end=line_end, encoding=encoding)
    parsed = parse_rows(read_table("export.csv", data), rules)
    assert [(c.channel, c.external_no, c.content) for _, c in parsed] == [
        ("12345", "H1", "反映低保申请问题"), ("petition", "XF-1", "来信内容")]


def test_a_sheet_declaring_a_million_rows_is_read_by_its_cells():
    rows = read_table("tall.xlsx", _declared_million_rows())
    assert rows == [SHORT_HEADER, ["12345", "H1", "2026-09-29 09:00", "普通工单", "张三", "13812345678",
                                   "人民路1号", "反映低保申请问题"]]


def test_too_many_rows_and_too_large_files_are_refused():
    with pytest.raises(ImportFailed) as failed:
        read_table("long.csv", _csv(*[_row()] * 501), SMALL)
    assert failed.value.lines() == ["long.csv 行数过多（最多 500 行），请分成几个文件"]
    with pytest.raises(ImportFailed) as failed:
        read_table("wide.csv", _csv(_row(content="x" * 1_000_001)), SMALL)
    assert failed.value.lines() == ["wide.csv 太大（977 KB，最多 976 KB）"]


@pytest.mark.parametrize(("name", "data", "sentence"), [
    ("policy.docx", b"PK not really a zip", "policy.docx 已损坏或不是真正的 Office 文件，请重新保存后再发"),
    ("policy.docx", _zip({"word/document.xml": b"<w:document"}), "policy.docx 无法读取（文件内容已损坏），请重新保存后再发"),
    ("policy.md", b"", "policy.md 是空文件"),
    ("policy.md", "# 低保\n日期：0001-01-01\n正文".encode(), "低保：0001-01-01 不是有效日期（年份须在 1949 至 2099 之间）"),
    ("faq.csv", "问题,答案\r低保,".encode() + "答" .encode() * 131_073, "faq.csv 第2行无法读取：单元格过长（超过 131072 字）或引号不配对"),
], ids=["docx not a zip", "docx broken XML", "empty", "year 0001", "huge cell"])
def test_each_hostile_knowledge_file_gets_its_sentence(name, data, sentence):
    with pytest.raises(knowledge.KnowledgeError) as failed:
        knowledge.parse_file(name, data)
    assert str(failed.value) == sentence


def test_a_gbk_question_answer_csv_with_mac_line_ends_is_read():
    data = "问题,答案,日期\r低保怎么申请？,向街道社区事务受理服务中心申请,2026-01-05\r".encode("gb18030")
    assert knowledge.is_knowledge_csv(data)
    (draft,) = knowledge.parse_file("faq.csv", data)
    assert (draft.title, draft.published.isoformat()) == ("低保怎么申请？", "2026-01-05")


# -- through the chat ------------------------------------------------------------------------------


async def test_a_broken_workbook_sent_to_the_bot_gets_one_sentence(chat):
    await chat.send_file("王芳", "12345导出.xlsx", _broken_sheet())
    status = chat.last_in("王芳")
    shown = chat.api.message(status.result["chat"]["id"], status.result["message_id"])["text"]
    assert shown == "导入失败，文件未导入任何内容：\n12345导出.xlsx 无法读取（文件内容已损坏），请重新保存后再发"
    await chat.send_file("王芳", "政策.docx", b"PK not really a zip")
    assert chat.last_in("王芳").text == "知识库导入失败：政策.docx 已损坏或不是真正的 Office 文件，请重新保存后再发"


async def test_a_file_over_the_limit_is_refused_before_it_is_downloaded(chat):
    chat.app.bot_data["services"].intake.limits = FileLimits(max_bytes=1000)  # 1000 bytes: "0 KB", rounded down
    await chat.send_file("王芳", "big.csv", b"x" * 2000)
    assert chat.last_in("王芳").text == "big.csv 太大（2 KB，最多 0 KB）"
    assert not any(s.method == "getFile" for s in chat.api.sent)
