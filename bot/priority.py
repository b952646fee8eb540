"""What comes first in every list, digest and warning (规程 二(二)3): a ticket with the red 「市级催办」 watermark
(「请优先办理」) and a 扬言 ticket (「即接即电话安抚好情绪并优先处置」, and a 重大扬言 likewise), then the earliest due.

One sort key for /todo, /mine, /search, the morning digest and the deadline warnings.
"""

from __future__ import annotations

from datetime import UTC, datetime

LAST = datetime.max.replace(tzinfo=UTC)


def is_threat(ticket) -> bool:
    """扬言工单 (a 12345 kind) or a ticket marked 重大扬言."""
    return ticket.kind == "threat" or bool(ticket.major_threat)


def flags(ticket) -> dict:
    """The two marks an item of a list carries, for its sort and its badge."""
    return {"city_urged": bool(ticket.city_urged), "threat": is_threat(ticket)}


def first_things_first(item: dict) -> tuple:
    """Sort key of a listed item (a dict with city_urged, threat and, where it has one, due): prioritised first,
    then by due date, undated last; Python's sort is stable, so items equal here keep their order."""
    due = item.get("due")
    return (not (item.get("city_urged") or item.get("threat")), due is None, due or LAST)
