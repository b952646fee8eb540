"""The chart sent with the figures: tall and narrow for a phone, every bar with its number.

An empty period is one line of text saying so, never an empty pair of axes.
"""

from __future__ import annotations

import io
from importlib import resources

from bot.stats.figures import CLASSES, Stats
from templates import label, text

BLUE, ORANGE, GREEN = "#3b6fb6", "#d9822b", "#3a9a5b"


def _font():
    """A CJK font shipped by a package, so the chart's labels are characters, not boxes."""
    from matplotlib import font_manager

    path = resources.files("mplfonts").joinpath("fonts/NotoSansCJKsc-Regular.otf")
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def _bars(ax, names: list[str], values: list[float], color: str, title: str, percent: bool = False) -> None:
    ax.barh(names[::-1], values[::-1], color=color)
    ax.set_title(title, loc="left", fontsize=13)
    shown = [f"{v:.0%}" if percent else f"{v:g}" for v in values[::-1]]
    ax.bar_label(ax.containers[0], labels=shown, padding=3, fontsize=11)
    top = max(values) if values else 0
    ax.set_xlim(0, (1 if percent else max(top, 1)) * 1.18)
    ax.xaxis.set_visible(False)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", labelsize=11)


def chart_png(stats: Stats) -> bytes:
    """Bars: tickets by handling class, by department, and the departments' 按时办结率 where known."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    title = text("chart_title", start=stats.start.isoformat(), end=stats.end.isoformat(), total=stats.total)
    with plt.rc_context({"font.family": _font(), "axes.unicode_minus": False}):
        if stats.empty:
            fig = plt.figure(figsize=(6, 2.4), dpi=150)
            fig.text(0.5, 0.62, title, ha="center", fontsize=13)
            fig.text(0.5, 0.32, text("chart_empty"), ha="center", fontsize=15, color="#666666")
        else:
            rows = stats.department_rows()
            rated = [r for r in rows if r["closing_on_time"] is not None]
            panels = 2 + bool(rated)
            heights = [len(CLASSES), max(len(rows), 1)] + ([len(rated)] if rated else [])
            fig, axes = plt.subplots(panels, 1, figsize=(6, 1.6 + 0.42 * sum(heights) + 0.6 * panels), dpi=150,
                                     gridspec_kw={"height_ratios": heights})
            _bars(axes[0], [label("handling_class", c) for c in CLASSES], [stats.by_class.get(c, 0) for c in CLASSES],
                  ORANGE, text("chart_classes"))
            _bars(axes[1], [r["department"] for r in rows] or ["—"], [r["tickets"] for r in rows] or [0], BLUE,
                  text("chart_departments"))
            if rated:
                _bars(axes[2], [r["department"] for r in rated], [r["closing_on_time"] for r in rated], GREEN,
                      text("chart_closing"), percent=True)
            fig.suptitle(title, fontsize=14)
            fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        plt.close(fig)
    return out.getvalue()
