"""Reading what people type: times like 今天 9:30 / 10月1日 14:00 / 2026-10-01 09:30."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_FULL = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s*(?:(\d{1,2})[:：时点](\d{1,2})?分?)?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})日?\s*(?:(\d{1,2})[:：时点](\d{1,2})?分?)?$")
_RELATIVE = re.compile(r"^(今天|昨天|前天|明天|后天)?\s*(?:上午|下午)?\s*(\d{1,2})[:：时点](\d{1,2})?分?$")
_NOW = {"刚刚", "现在", "now"}


def parse_local_time(text: str, now: datetime, future: bool = False) -> datetime | None:
    """A moment in now's time zone, or None when the text is not a time; in the past (or, with
    future=True, in the coming year: a date without a year is the next one)."""
    text = text.strip().replace("T", " ")
    if text in _NOW:
        return now.replace(second=0, microsecond=0)
    try:
        if m := _FULL.match(text):
            y, mo, d, h, mi = m.groups()
            moment = now.replace(year=int(y), month=int(mo), day=int(d), hour=int(h or 0), minute=int(mi or 0))
        elif m := _MONTH_DAY.match(text):
            mo, d, h, mi = m.groups()
            moment = now.replace(month=int(mo), day=int(d), hour=int(h or 0), minute=int(mi or 0))
            if not future and moment > now:
                moment = moment.replace(year=moment.year - 1)
            elif future and moment < now:
                moment = moment.replace(year=moment.year + 1)
        elif m := _RELATIVE.match(text):
            word, h, mi = m.groups()
            hour = int(h) + (12 if "下午" in text and int(h) < 12 else 0)
            back = {"昨天": 1, "前天": 2, "明天": -1, "后天": -2}.get(word or "", 0)
            moment = (now - timedelta(days=back)).replace(hour=hour, minute=int(mi or 0))
        else:
            return None
    except ValueError:
        return None
    moment = moment.replace(second=0, microsecond=0)
    if future:
        return moment if now <= moment <= now + timedelta(days=366) else None
    return moment if moment <= now + timedelta(minutes=1) else None
