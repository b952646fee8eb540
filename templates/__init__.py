"""All user-facing text: labels, short texts and jinja2 message templates."""

from __future__ import annotations

import tomllib
from datetime import datetime
from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_html = Environment(
    loader=PackageLoader("templates", "messages"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_plain = Environment(undefined=StrictUndefined, autoescape=False)


def _day(moment) -> str:
    return f"{moment.month}月{moment.day}日（{label('weekday', moment.isoweekday())}）"


def _when(moment) -> str:
    """10月14日（周三） for an end-of-day deadline, else with the time."""
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return _day(moment) if (moment.hour, moment.minute) == (23, 59) else f"{_day(moment)}{moment:%H:%M}"


def _at(moment) -> str:
    """10月14日（周三）09:30, always with the time."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return f"{_day(moment)}{moment:%H:%M}" if moment else "—"


def checks(value, group: str, per_line: int = 0) -> str:
    """☑属实 ☐部分属实 …: every choice of a group, the chosen one ticked; per_line choices to a line, so a
    long group wraps between two choices, never inside one (对政策解释不接受)."""
    boxes = [("☑" if code == value else "☐") + name for code, name in labels(group).items()]
    if per_line <= 0:
        return " ".join(boxes)
    return "\n".join(" ".join(boxes[i:i + per_line]) for i in range(0, len(boxes), per_line))


for _env in (_html, _plain):
    _env.filters["when"] = _when
    _env.filters["at"] = _at
    _env.filters["checks"] = checks


@cache
def _compiled(template: str):
    """Each jinja2 string is compiled once (the texts and the form cells are a fixed set)."""
    return _plain.from_string(template)


def fill(template: str, **values: object) -> str:
    """Fill one jinja2 string as plain text (a form cell)."""
    return _compiled(template).render(**values)


@cache
def _toml(name: str) -> dict:
    with resources.files("templates").joinpath(name).open("rb") as fh:
        return tomllib.load(fh)


def text(key: str, **values: object) -> str:
    """A short plain text from templates/text.toml, with {{ placeholders }} filled."""
    return _compiled(_toml("text.toml")[key]).render(**values)


def label(group: str, code: object, default: str | None = None) -> str:
    """The Chinese label of a code (status, channel, kind, ...)."""
    table = _toml("labels.toml")[group]
    key = str(code)
    if key in table:
        return table[key]
    if default is not None:
        return default
    raise KeyError(f"no label for {group}.{key}")


def has_labels(group: str) -> bool:
    return group in _toml("labels.toml")


def labels(group: str) -> dict[str, str]:
    return dict(_toml("labels.toml")[group])


def code_for(group: str, shown: str) -> str | None:
    """The code whose label (or code) is `shown`; None when nothing matches."""
    shown = shown.strip()
    for code, name in _toml("labels.toml")[group].items():
        if shown in (code, name):
            return code
    aliases = _toml("labels.toml").get(f"{group}_aliases", {})
    return aliases.get(shown)


def render(name: str, **context: object) -> str:
    """Render templates/messages/NAME.j2 as Telegram HTML (every value escaped)."""
    return _html.get_template(f"{name}.j2").render(label=label, label_map=labels, **context).strip()

