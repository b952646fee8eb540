"""Files in and out: what the office sends is checked before anything parses it; what the bot writes
into a workbook cannot run as a formula.

`check_file` looks at the bytes only: empty, too large, and for the zip-based formats (.xlsx, .docx)
the members' count and unpacked size as the zip's directory declares them (zipfile never unpacks
more than a member declares), so a zip bomb is refused before openpyxl or python-docx opens it.
Every problem is one `BadFile` sentence naming it.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from templates import text

ZIP_SUFFIXES = (".xlsx", ".docx")
# Dates a ticket or a policy can carry: the People's Republic's founding to the end of the century.
YEARS = range(1949, 2100)
# A leading character that makes a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters no one means in a file (NUL is refused by PostgreSQL's text): all but tab and line ends.
CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13)) | {127: None}


@dataclass(frozen=True)
class FileLimits:
    """The defaults of HOTLINE_FILE_MAX_BYTES, _MAX_UNPACKED_BYTES, _MAX_MEMBERS, _MAX_ROWS (bot/config.py)."""

    max_bytes: int = 20 * 2**20  # Telegram lets a bot download 20 MB at most
    max_unpacked_bytes: int = 100 * 2**20
    max_members: int = 1000
    max_rows: int = 100_000  # rows of a table that are not empty


class BadFile(ValueError):
    """One sentence for the sender naming what is wrong with the file."""


def _size(size: int, up: bool = True) -> str:
    """1.5 MB or 900 KB; a file's size rounded up, a limit rounded down (never "1 MB, at most 1 MB")."""
    mb = size >= 2**20
    tenths = size * (10 if mb else 1) / (2**20 if mb else 2**10)
    shown = math.ceil(tenths) if up else math.floor(tenths)
    return f"{shown / 10:.1f} MB" if mb else f"{shown} KB"


def too_large(name: str, size: int | None, limits: FileLimits) -> str | None:
    """The sentence refusing a file of `size` bytes before it is even downloaded; None when it may come."""
    if size is None or size <= limits.max_bytes:
        return None
    return text("file_too_large", name=name, size=_size(size), max=_size(limits.max_bytes, up=False))


def check_file(name: str, data: bytes, limits: FileLimits | None = None) -> None:
    """Raise BadFile if the file is empty, too large, or (a zip-based format) not a zip or a bomb."""
    limits = limits or FileLimits()
    if not data:
        raise BadFile(text("file_empty", name=name))
    if refusal := too_large(name, len(data), limits):
        raise BadFile(refusal)
    if Path(name).suffix.lower() not in ZIP_SUFFIXES:
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise BadFile(text("file_not_zip", name=name)) from exc
    if len(members) > limits.max_members:
        raise BadFile(text("file_too_many_members", name=name, count=len(members), max=limits.max_members))
    unpacked = sum(m.file_size for m in members)
    if unpacked > limits.max_unpacked_bytes:
        raise BadFile(text("file_unpacks_too_large", name=name, size=_size(unpacked),
                           max=_size(limits.max_unpacked_bytes, up=False)))


def decode_text(name: str, data: bytes) -> str:
    """Text as Excel and editors save it (UTF-16 with its mark, UTF-8 with or without, or GBK/GB18030),
    without control characters."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding).translate(CONTROL)
        except UnicodeDecodeError:
            continue
    raise BadFile(text("file_encoding", name=name))


def plausible(moment: date | datetime) -> bool:
    """A date a ticket or a policy can carry (a year 0001 or 9999 is a typing error, not a date)."""
    return moment.year in YEARS


def safe_cell(value):
    """A cell for a workbook the bot writes: text that a spreadsheet would run as a formula gets a leading
    apostrophe-like quote (the text stays readable); numbers, dates and None are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(values) -> list:
    return [safe_cell(v) for v in values]
