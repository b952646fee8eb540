from bot.parsing import parse_local_time
from tests.helpers.clock import local

NOW = local("2026-10-09T15:20")


def test_times_people_type():
    assert parse_local_time("刚刚", NOW) == local("2026-10-09T15:20")
    assert parse_local_time("今天 9:30", NOW) == local("2026-10-09T09:30")
    assert parse_local_time("9：30", NOW) == local("2026-10-09T09:30")
    assert parse_local_time("昨天 16:05", NOW) == local("2026-10-08T16:05")
    assert parse_local_time("下午2点", NOW) == local("2026-10-09T14:00")
    assert parse_local_time("10月8日 9:00", NOW) == local("2026-10-08T09:00")
    assert parse_local_time("2026-10-01 09:30", NOW) == local("2026-10-01T09:30")
    assert parse_local_time("2026年9月30日10时", NOW) == local("2026-09-30T10:00")
    assert parse_local_time("12月30日 9:00", NOW) == local("2025-12-30T09:00")


def test_not_times():
    assert parse_local_time("明天", NOW) is None
    assert parse_local_time("2026-13-01 09:00", NOW) is None
    assert parse_local_time("今天 18:00", NOW) is None  # in the future
    assert parse_local_time("hello", NOW) is None


def test_future_times_for_plans():
    assert parse_local_time("明天 14:00", NOW, future=True) == local("2026-10-10T14:00")
    assert parse_local_time("10月12日 9:30", NOW, future=True) == local("2026-10-12T09:30")
    assert parse_local_time("9月1日 9:30", NOW, future=True) == local("2027-09-01T09:30")
    assert parse_local_time("昨天 9:00", NOW, future=True) is None
    assert parse_local_time("明天 14:00", NOW) is None  # a contact time cannot be tomorrow
