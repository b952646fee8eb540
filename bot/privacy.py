"""Masking of personal data for group chats (SPEC §7, 办法 第二十三条)."""

from __future__ import annotations

import re

_HOUSE = re.compile(r"(\d+\s*(号|弄|室|栋|幢|楼|单元|层|支弄|号楼|户)).*$")
_DIGITS = re.compile(r"\d{6,}")
_ID_NUMBER = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?![\dXx])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


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
    cut = _HOUSE.search(address)
    if cut:
        head = address[: cut.start()].rstrip()
        return (head + "…") if head else "…"
    return _DIGITS.sub("…", address)


def scrub_text(text: str | None, name: str | None = None, address: str | None = None,
               phone: str | None = None) -> str:
    """Free text for a group: the citizen's own name, address and phone, any mobile and identity numbers masked."""
    if not text:
        return ""
    for value, masked in ((address, mask_address(address)), (phone, mask_phone(phone)), (name, mask_name(name))):
        if value and value.strip():
            text = text.replace(value.strip(), masked)
    text = _ID_NUMBER.sub(lambda m: m.group(0)[:4] + "*" * (len(m.group(0)) - 8) + m.group(0)[-4:], text)
    text = _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return text


def scrub_all(value, name: str | None = None, address: str | None = None, phone: str | None = None):
    """Every string inside a value (dicts and lists too) scrubbed as free text for a group."""
    if isinstance(value, str):
        return scrub_text(value, name, address, phone)
    if isinstance(value, dict):
        return {k: scrub_all(v, name, address, phone) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_all(v, name, address, phone) for v in value]
    return value
