"""Masking of personal data for group chats (SPEC §7, 办法 第二十三条).

`for_group` is the one function every text bound for a group passes through (the bot applies it to each
message, caption and edit it sends to a group): the citizens' own names, addresses and phones it is told of,
any phone number in any spelling (`phonenumbers`), identity numbers (check digit or birth date) and house
numbers. The other functions mask one known value for a ticket's card.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import phonenumbers

_HOUSE_CUT = re.compile(r"(\d+\s*(号|弄|室|栋|幢|楼|单元|层|支弄|号楼|户)).*$")
_DIGITS = re.compile(r"\d{6,}")
# an HTML tag, or an identifier of ours or of a platform (SJMZ-2026-000001, XF2026-0931, XA123456789CN,
# /ticket_SJMZ_2026_000001, start=r1): never a citizen's detail, and its digits must stay as they are
_SHIELD = re.compile(r"<[^>]*>|[A-Za-z/][A-Za-z0-9_\-/=?.:]*\d[A-Za-z0-9_\-]*")
_ID_18 = re.compile(r"(?<![0-9０-９])([1-9]\d{5})[ \-]?((?:19|20)\d{2})[ \-]?(\d{4})[ \-]?(\d{3}[0-9Xx])(?![0-9Xx])")
_ID_15 = re.compile(r"(?<![0-9])([1-9]\d{5})(\d{2})(\d{2})(\d{2})(\d{3})(?![0-9])")
_HOUSE = re.compile(r"(?<![月第〕\]）)\d])(\d+(?:\s*[-－—]\s*\d+)*)(\s*)(?=号楼|号|支弄|弄|室|栋|幢|单元|层|楼|户)")
_LONG_RUN = re.compile(r"\d{7,}")  # in no identifier of ours: a number someone typed after letters
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_SEPARATORS = r"[\s\-－—.·()（）]*"


@dataclass(frozen=True)
class Citizen:
    """What a group may never read of one ticket's caller."""

    name: str | None = None
    address: str | None = None
    phone: str | None = None


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "****"


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    name = name.strip()
    if len(name) <= 1:
        return name + "*"
    return name[0] + "*" * (len(name) - 1) if len(name) <= 2 else name[0] + "*" * (len(name) - 2) + name[-1]


def mask_address(address: str | None) -> str:
    """The street without the house number: 人民路100弄5号101室 -> 人民路…"""
    if not address:
        return ""
    cut = _HOUSE_CUT.search(address)
    if cut:
        head = address[: cut.start()].rstrip()
        return (head + "…") if head else "…"
    return _DIGITS.sub("…", address)


def _id_check_ok(digits17: str, last: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == last.upper()


def _birth_ok(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _mask_ids(text: str) -> str:
    def eighteen(m: re.Match) -> str:
        region, year, monthday, tail = m.groups()
        digits = region + year + monthday + tail
        if not (_id_check_ok(digits[:17], digits[17])
                or _birth_ok(int(year), int(monthday[:2]), int(monthday[2:]))):
            return m.group(0)
        return digits[:4] + "*" * 10 + digits[-4:]

    def fifteen(m: re.Match) -> str:
        region, yy, mm, dd, _ = m.groups()
        return m.group(0) if not _birth_ok(1900 + int(yy), int(mm), int(dd)) else region[:4] + "*" * 11

    return _ID_15.sub(fifteen, _ID_18.sub(eighteen, text))


def _mask_phones(text: str) -> str:
    """Every valid Chinese (or international) number, however it is spelled."""
    out, last = [], 0
    for match in phonenumbers.PhoneNumberMatcher(text, "CN", leniency=phonenumbers.Leniency.VALID):
        number = str(match.number.national_number)
        digits = number if number.startswith("1") and len(number) == 11 else "0" + number
        out += [text[last:match.start], mask_phone(digits)]
        last = match.end
    text = "".join(out) + text[last:] if out else text
    return _MOBILE.sub(lambda m: mask_phone(m.group(0)), text)  # also where the matcher wants a word break


def _spelled(digits: str) -> re.Pattern:
    """A phone's digits with any separators between them and an optional +86 / 0086 before."""
    return re.compile(r"(?:(?:\+|00)\s*86" + _SEPARATORS + r")?" + _SEPARATORS.join(re.escape(d) for d in digits))


def _mask_known_address(text: str, citizens: list[Citizen]) -> str:
    for c in citizens:
        if c.address and c.address.strip():
            text = text.replace(c.address.strip(), mask_address(c.address))
    return text


def _mask_known_phone_and_name(text: str, citizens: list[Citizen]) -> str:
    for c in citizens:
        digits = re.sub(r"\D", "", c.phone or "")
        if len(digits) >= 7:
            local = [digits[3:]] if digits.startswith("0") and len(digits) > 10 else []  # 021-57812345: 57812345
            for part in [digits, *local]:
                text = _spelled(part).sub(mask_phone(digits), text)
        name = (c.name or "").strip()
        if len(name) >= 2:
            text = text.replace(name, mask_name(name))
    return text


def _mask_plain(text: str, citizens: list[Citizen]) -> str:
    text = _mask_known_address(text, citizens)
    text = _mask_ids(text)
    text = _mask_phones(text)
    text = _mask_known_phone_and_name(text, citizens)
    return _HOUSE.sub(lambda m: "*" * len(m.group(1)) + m.group(2), text)


def for_group(text: str | None, citizens: Iterable[Citizen] = (), html: bool = True) -> str:
    """A text as a group may read it: the given citizens' names, addresses and phones, every phone number
    in any spelling, identity numbers and house numbers masked. HTML tags and identifiers (ticket and
    platform numbers, links) are left as they are."""
    if not text:
        return ""
    citizens = list(citizens)
    shield = _SHIELD if html else re.compile(_SHIELD.pattern.removeprefix("<[^>]*>|"))
    out, last = [], 0
    for m in shield.finditer(text):
        if _LONG_RUN.search(m.group(0)) and not m.group(0).startswith("<"):  # tel13812345678, ID3101…: read
            continue
        out += [_mask_plain(text[last:m.start()], citizens), m.group(0)]
        last = m.end()
    out.append(_mask_plain(text[last:], citizens))
    return "".join(out)


def scrub_text(text: str | None, name: str | None = None, address: str | None = None,
               phone: str | None = None) -> str:
    """Free text (not HTML) for a group: `for_group` with the ticket's own citizen."""
    return for_group(text, [Citizen(name, address, phone)], html=False)


def scrub_all(value, name: str | None = None, address: str | None = None, phone: str | None = None):
    """Every string inside a value (dicts and lists too) scrubbed as free text for a group."""
    if isinstance(value, str):
        return scrub_text(value, name, address, phone)
    if isinstance(value, dict):
        return {k: scrub_all(v, name, address, phone) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_all(v, name, address, phone) for v in value]
    return value


def ticket_numbers(text: str, prefix: str) -> set[str]:
    """The bureau's ticket numbers a text mentions (SJMZ-2026-000001, or as a /ticket_SJMZ_2026_000001 link)."""
    found = re.findall(re.escape(prefix) + r"[-_](\d{4})[-_](\d{6})", text or "")
    return {f"{prefix}-{year}-{serial}" for year, serial in found}
