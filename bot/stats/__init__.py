"""Statistics for any period (办法 第十九条、第二十一条; SPEC §6): the tickets by handling class,
channel, kind, 服务类别, business category and status; the departments' rates; 热点、焦点、难点;
as text, a chart and a workbook. The definitions are the README's "Statistics".

- `figures`   what is counted and how each rate divides (`compute`, `Stats`)
- `topics`    热点、焦点、难点 from the tickets' content
- `chart`     the chart sent with the figures
- `workbook`  the Excel workbook, with every ticket of the period
"""

from bot.stats.chart import chart_png
from bot.stats.figures import CLASSES, Stats, compute, pct, period, render_text
from bot.stats.topics import rising, topics
from bot.stats.workbook import workbook

__all__ = ["CLASSES", "Stats", "chart_png", "compute", "pct", "period", "render_text", "rising", "topics",
           "workbook"]
