"""The bureau's forms (附件1-4, and 申请结单) filled from a ticket: a printable .docx and a chat message.

One source per form: the Word template templates/forms/formN.docx (or the administrator's copy,
see bot.forms.word). The chat message is read back from the filled document, so what a leader
reads in the chat is what will be printed.
"""

from __future__ import annotations

import html
from pathlib import Path

from bot.forms import word
from bot.forms.check import form_problems, style_notes
from bot.forms.data import EDIT_CHOICES, EDITABLE, cites_document, edits_of, form_data, with_edits
from templates import label, labels

__all__ = ["EDITABLE", "EDIT_CHOICES", "FORMS", "check_form", "check_reply", "edits_of", "with_edits", "cites_document", "document_lines", "form_data", "form_name", "form_problems",
           "problem_names", "render_docx", "render_text", "reply_form", "set_template_dir", "style_notes",
           "summary_docx"]

FORMS = tuple(int(n) for n in labels("form"))
_template_dir: list[Path | None] = [None]


def set_template_dir(path: Path | None) -> None:
    """The administrator's template directory (HOTLINE_FORM_TEMPLATES), for every form from now on."""
    _template_dir[0] = Path(path) if path else None


def template_dir() -> Path | None:
    return _template_dir[0]


def form_name(number: int) -> str:
    return label("form", number)


def _filled(number: int, data: dict, override: Path | None):
    return word.fill(f"form{number}", {"f": data}, override if override is not None else template_dir())


def render_docx(number: int, data: dict, path: Path, override: Path | None = None) -> Path:
    """The form as a Word document, from its template."""
    return word.save(_filled(number, data, override), path)


def document_lines(number: int, data: dict, override: Path | None = None) -> list[str]:
    """The filled form as plain lines: its paragraphs, and a table row as 「标题：内容」 pairs."""
    document = _filled(number, data, override)
    lines = []
    for cells in word.blocks(document.docx):
        cells = [c.strip() for c in cells]
        cells = [c for c in cells if not ("\n" in c and all(len(part) == 1 for part in c.split("\n")))]  # 派/单
        if len(cells) >= 2 and len(cells) % 2 == 0 and not any("：" in c or not c for c in cells[::2]):
            lines.append("　".join(f"{cells[i].replace(chr(10), '')}：{cells[i + 1]}" for i in range(0, len(cells), 2)))
        else:
            line = "　".join(c for c in cells if c)
            if line:
                lines.append(line)
    return lines


def render_text(number: int, data: dict, override: Path | None = None) -> str:
    """The form as a Telegram HTML message: the title in bold, then the form's lines."""
    lines = document_lines(number, data, override)
    if not lines:
        return f"<b>{html.escape(form_name(number))}</b>"
    head, *rest = lines
    return "\n".join([f"<b>{html.escape(form_name(number))} {html.escape(head)}</b>",
                      *(html.escape(line) for line in rest)])


def summary_docx(rows: list[dict], today: str, path: Path, override: Path | None = None) -> Path:
    """The office's report on dissatisfied and unreplied tickets (规程 三(三)4)."""
    context = {"rows": rows, "today": today}
    return word.save(word.fill(word.SUMMARY, context, override if override is not None else template_dir()), path)


def reply_form(channel: str) -> int:
    """The letter a department's reply becomes: 附件2 for a petition, 附件3 for the hotlines."""
    return 2 if channel == "petition" else 3


def check_reply(session, ticket, calc, max_chars: int, now=None) -> tuple[list[str], list[str]]:
    """(what must not leave the bureau, style notes) of the ticket's current reply, read from its letter."""
    number = reply_form(ticket.channel)
    data = form_data(session, ticket, calc, True, now)
    problems = form_problems(number, data, document_lines(number, data))
    fields = [p for p in problems if p.startswith("field:")]  # an empty field leaves 「，。」 behind: name the field
    return fields or problems, style_notes(data, max_chars)


def problem_names(problems: list[str]) -> str:
    """The problems as the handler reads them: the step's name, or the offending text quoted."""
    return "、".join(label("form_field", p[6:], p[6:]) if p.startswith("field:") else f"「{p}」" for p in problems)


def check_form(number: int, data: dict) -> list[str]:
    """What the filled form cannot go out with (placeholders, doubled punctuation, empty starred fields)."""
    return form_problems(number, data, document_lines(number, data))
