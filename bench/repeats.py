"""What registering many tickets of one citizen costs: repeat links made and time per ticket.

    .venv/bin/python bench/repeats.py [--tickets 600] [--url sqlite:////tmp/repeats.db]

Every ticket is registered through the workflow, as an import does, with one phone number, one name
and one address (spelled a little differently each time) and similar content: the worst case for
repeat matching (规程 三(三)5). It prints the links made, the total time, and the time per ticket of the
first 100 and of the last 100 (equal when nothing grows with the citizen's history).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.calendar import WorkCalendar  # noqa: E402
from bot.deadlines import DeadlineCalculator  # noqa: E402
from bot.rules import load_rules  # noqa: E402
from bot.workflow import Actor, CreateTicket, Workflow  # noqa: E402
from storage import queries  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import TicketLink  # noqa: E402

ADDRESSES = ["岳阳街道人民路100弄5号101室", "岳阳街道 人民路100弄5号101室", "岳阳街道人民路１００弄５号１０１室"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=600)
    parser.add_argument("--url")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/repeats.db"
    db = Database(url)
    db.upgrade()
    rules = load_rules(None)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=rules.tz)
    workflow = Workflow(rules, DeadlineCalculator(rules, WorkCalendar()), lambda: start + timedelta(days=300))
    actor = Actor.system()
    times = []
    began = time.perf_counter()
    for i in range(args.tickets):
        command = CreateTicket(channel="12345", kind="ordinary", external_no=f"B{i:05d}",
                               received_at=start + timedelta(hours=i), citizen_name="张三", phone="13812345678",
                               address=ADDRESSES[i % len(ADDRESSES)], content=f"第{i}次反映低保申请迟迟没有答复的问题")
        t = time.perf_counter()
        with db.session() as session:
            workflow.execute(session, actor, command)
        times.append(time.perf_counter() - t)
    total = time.perf_counter() - began
    with db.session() as session:
        links = queries.count(session, TicketLink)
    first, last = times[:100], times[-100:]
    print(f"{args.tickets} tickets of one phone: {links} repeat links, {total:.2f} s in all; per ticket "
          f"{1000 * sum(first) / len(first):.1f} ms for the first {len(first)}, "
          f"{1000 * sum(last) / len(last):.1f} ms for the last {len(last)}")


if __name__ == "__main__":
    main()
