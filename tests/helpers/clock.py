"""The bureau's time zone and a clock the tests move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, start: datetime):
        self.moment = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.moment

    def set(self, text: str) -> None:
        self.moment = local(text).astimezone(UTC)

    def advance(self, **kw) -> None:
        self.moment += timedelta(**kw)
