"""Statistics for any period (办法 第十九条、第二十一条; SPEC §6): counts, timeliness, returns,
redo, satisfaction and the period's hot topics; as text, a chart and an Excel workbook."""

from __future__ import annotations

import io
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

from sqlmodel import Session

from bot.deadlines import DeadlineCalculator
from storage import queries
from templates import label, labels, render, text

# Words that say nothing about a topic in a citizen's complaint.
STOPWORDS = frozenset(["来电", "反映", "市民", "要求", "表示", "希望", "问题", "情况", "工单", "相关", "进行", "目前", "现在", "已经", "没有", "一直", "无法", "能否", "是否", "如何", "怎么", "什么", "为何", "因为", "所以", "但是", "而且", "以及", "或者", "其中", "这个", "那个", "自己", "我们", "他们", "她们", "本人", "其母", "其父", "母亲", "父亲", "之前", "之后", "来信", "来访", "咨询", "投诉", "一个", "两个", "多次", "仍然", "尚未", "不能", "可以", "需要", "提交", "办理", "处理", "协调", "帮助", "尽快", "及时", "关于", "对于"])

log = logging.getLogger(__name__)


@dataclass
class Stats:
    start: date
    end: date
    total: int = 0
    by_class: Counter = field(default_factory=Counter)
    by_channel: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)
    by_department: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    departments: dict[int, str] = field(default_factory=dict)
    timeliness: dict[str, dict] = field(default_factory=dict)  # stage -> department id -> [on time, late, open]
    returns: Counter = field(default_factory=Counter)  # initiator -> count
    returns_by_department: Counter = field(default_factory=Counter)
    redo: int = 0
    redo_by_department: Counter = field(default_factory=Counter)
    extensions: Counter = field(default_factory=Counter)  # department id -> approved extensions
    extensions_asked: Counter = field(default_factory=Counter)
    satisfaction_by_department: dict = field(default_factory=dict)  # department id -> Counter
    satisfaction: Counter = field(default_factory=Counter)
    topics: list[tuple[str, int]] = field(default_factory=list)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfaction)

    def rate(self, stage: str, department_id: int | None = None) -> float | None:
        rows = self.timeliness.get(stage, {})
        counts = [rows.get(department_id, [0, 0, 0])] if department_id is not None else list(rows.values())
        on_time, late = sum(c[0] for c in counts), sum(c[1] for c in counts)
        return on_time / (on_time + late) if on_time + late else None

    def department_rows(self) -> list[dict]:
        """The scoreboard: one row per department that had anything in the period."""
        ids = sorted(set(self.by_department) | set(self.returns_by_department) | set(self.redo_by_department)
                     | set(self.extensions_asked)
                     | {d for rows in self.timeliness.values() for d in rows if d is not None},
                     key=lambda d: (self.departments.get(d) is None, d or 0))
        out = []
        for department_id in ids:
            if department_id is None:
                continue
            accept = self.timeliness.get("accept", {}).get(department_id, [0, 0, 0])
            reply = self.timeliness.get("reply", {}).get(department_id, [0, 0, 0])
            out.append({"department": self.departments.get(department_id, str(department_id)),
                        "tickets": self.by_department.get(department_id, 0),
                        "accept_on_time": self.rate("accept", department_id), "accept_late": accept[1],
                        "reply_on_time": self.rate("reply", department_id), "reply_late": reply[1],
                        "overdue": accept[1] + reply[1],
                        "returns": self.returns_by_department.get(department_id, 0),
                        "redo": self.redo_by_department.get(department_id, 0),
                        "extensions": self.extensions.get(department_id, 0),
                        "satisfaction": _rate(self.satisfaction_by_department.get(department_id, Counter()))})
        return out


def _rate(satisfaction: Counter) -> float | None:
    """满意 + 认可 over everything rated (未评价 is not a rating)."""
    rated = sum(satisfaction[k] for k in ("satisfied", "acknowledged", "dissatisfied"))
    return (satisfaction["satisfied"] + satisfaction["acknowledged"]) / rated if rated else None


def handling_class(channel: str, kind: str | None, department_id: int | None, handling: str | None,
                   emergency: bool) -> str:
    """即办件 / 流转件 / 督办件 / 应急件 / 协同件 of a ticket: as recorded, else derived."""
    if handling:
        return handling
    if emergency:
        return "emergency"
    return "transfer" if department_id is not None else "immediate"


def period(name: str, today: date) -> tuple[date, date]:
    """this_week, last_week, this_month, last_month -> (first day, last day)."""
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    if name == "this_week":
        return monday, monday + timedelta(days=6)
    if name == "last_week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if name == "this_month":
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)
    if name == "last_month":
        last = first - timedelta(days=1)
        return last.replace(day=1), last
    raise ValueError(name)


def _chinese(word: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in word)


def topics(contents: list[str], top: int = 10) -> list[tuple[str, int]]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    counts: Counter = Counter()
    for content in contents:
        words = {w for w in jieba.lcut(content or "") if len(w) >= 2 and w not in STOPWORDS and _chinese(w)}
        counts.update(words)  # in how many tickets a word appears
    return counts.most_common(top)


def compute(session: Session, calc: DeadlineCalculator, start: date, end: date, now: datetime,
            with_topics: bool = True) -> Stats:
    lo = datetime.combine(start, datetime.min.time(), tzinfo=calc.rules.tz)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=calc.rules.tz)
    stats = Stats(start, end)
    stats.departments = {d.id: d.name for d in queries.departments(session, include_office=True)}
    for (_, channel, kind, category, department_id, status, handling, emergency, satisfaction,
         _redo) in queries.tickets_received_between(session, lo, hi):
        stats.total += 1
        stats.by_class[handling_class(channel, kind, department_id, handling, emergency)] += 1
        stats.by_channel[channel] += 1
        stats.by_kind[kind or "-"] += 1
        stats.by_category[category or "-"] += 1
        if department_id is not None:
            stats.by_department[department_id] += 1
        stats.by_status[status] += 1
        if satisfaction:
            stats.satisfaction[satisfaction] += 1
            if department_id is not None:
                stats.satisfaction_by_department.setdefault(department_id, Counter())[satisfaction] += 1
    for stage in ("accept", "reply"):
        stats.timeliness[stage] = queries.stage_timeliness(session, stage, lo, hi, now)
    for initiator, department_id in queries.returns_between(session, lo, hi):
        stats.returns[initiator] += 1
        if department_id is not None:
            stats.returns_by_department[department_id] += 1
    for _, department_id in queries.events_between(session, "fail_review", lo, hi):
        stats.redo += 1
        if department_id is not None:
            stats.redo_by_department[department_id] += 1
    for department_id, decision in queries.extensions_between(session, lo, hi):
        stats.extensions_asked[department_id] += 1
        if decision == "approved":
            stats.extensions[department_id] += 1
    if with_topics:
        stats.topics = topics(queries.contents_received_between(session, lo, hi))
    return stats


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def render_text(stats: Stats) -> str:
    return render("stats", s=stats, pct=_pct)


def _font():
    """A CJK font shipped by a package, so the chart's labels are characters, not boxes."""
    from matplotlib import font_manager

    path = resources.files("mplfonts").joinpath("fonts/NotoSansCJKsc-Regular.otf")
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def chart_png(stats: Stats) -> bytes:
    """Bars: tickets by department and by handling class."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    family = _font()
    with plt.rc_context({"font.family": family, "axes.unicode_minus": False}):
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4), dpi=110)
        departments = [(stats.departments.get(d, str(d)), n) for d, n in stats.by_department.most_common()]
        left.barh([n for n, _ in departments][::-1] or ["—"], [v for _, v in departments][::-1] or [0],
                  color="#3b6fb6")
        left.set_title(text("chart_departments"))
        classes = list(labels("handling_class"))
        right.bar([label("handling_class", c) for c in classes], [stats.by_class.get(c, 0) for c in classes],
                  color="#d9822b")
        right.set_title(text("chart_classes"))
        fig.suptitle(text("chart_title", start=stats.start.isoformat(), end=stats.end.isoformat(), total=stats.total))
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        plt.close(fig)
    return out.getvalue()


def workbook(stats: Stats, path: Path) -> Path:
    """One sheet per breakdown, with the same numbers as the chat text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    w = labels("workbook")
    summary = book.active
    summary.title = w["summary"]
    rows = [(w["period"], text("period_range", start=stats.start.isoformat(), end=stats.end.isoformat())),
            (w["total"], stats.total), (w["accept"], _pct(stats.rate("accept"))),
            (w["reply"], _pct(stats.rate("reply"))), (w["returns"], sum(stats.returns.values())),
            (w["redo"], stats.redo), (w["extensions"], sum(stats.extensions.values())),
            (w["satisfaction"], _pct(stats.satisfaction_rate))]
    for row in rows:
        summary.append(row)

    def sheet(key: str, data: list[tuple]) -> None:
        title, *header = w[key].split("|")
        ws = book.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in data:
            ws.append(row)

    sheet("classes", [(label("handling_class", c), stats.by_class.get(c, 0)) for c in labels("handling_class")])
    sheet("channels", [(label("channel", c), n) for c, n in stats.by_channel.most_common()])
    sheet("kinds", [(label("kind", k, w["no_kind"]), n) for k, n in stats.by_kind.most_common()])
    sheet("categories", [(w["no_category"] if c == "-" else c, n) for c, n in stats.by_category.most_common()])
    sheet("departments", [(stats.departments.get(d, str(d)), n) for d, n in stats.by_department.most_common()])
    sheet("statuses", [(label("status", s), n) for s, n in stats.by_status.most_common()])
    sheet("scoreboard", [(r["department"], r["tickets"], _pct(r["accept_on_time"]), r["accept_late"],
                          _pct(r["reply_on_time"]), r["reply_late"], r["returns"], r["redo"], r["extensions"],
                          _pct(r["satisfaction"])) for r in stats.department_rows()])
    sheet("satisfaction_sheet", [(label("satisfaction", k), stats.satisfaction.get(k, 0))
                                 for k in labels("satisfaction")])
    sheet("topics", stats.topics)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
