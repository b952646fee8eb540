"""The forms as Word documents: the shipped templates (templates/forms/*.docx) filled with docxtpl.

An administrator's directory (HOTLINE_FORM_TEMPLATES) overrides a shipped template of the same
file name, so the office changes a sentence or a layout in Word without touching code.
"""

from __future__ import annotations

import io
from importlib import resources
from pathlib import Path

from docx.document import Document as DocumentObject
from docx.table import Table
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined

from templates import checks

SUMMARY = "summary"


def template_file(name: str, override: Path | None = None) -> Path | io.BytesIO:
    """The administrator's copy of NAME.docx when there is one, else the shipped one."""
    if override is not None and (Path(override) / f"{name}.docx").is_file():
        return Path(override) / f"{name}.docx"
    return io.BytesIO(resources.files("templates").joinpath(f"forms/{name}.docx").read_bytes())


def _environment() -> Environment:
    env = Environment(undefined=StrictUndefined, autoescape=True)
    env.filters["checks"] = checks
    return env


def fill(name: str, context: dict, override: Path | None = None) -> DocxTemplate:
    template = DocxTemplate(template_file(name, override))
    template.render(context, jinja_env=_environment(), autoescape=True)
    return template


def save(template: DocxTemplate, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    template.save(path)
    return path


def blocks(document: DocumentObject) -> list[list[str]]:
    """The document's body in order: a paragraph is [text], a table row is the texts of its cells,
    each merged cell once (a vertical merge only in its first row)."""
    out: list[list[str]] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            out.append([item.text])
        elif isinstance(item, Table):
            seen: set = set()  # the cells themselves (kept alive, so lxml hands back the same proxies)
            for row in item.rows:
                cells = []
                for cell in row.cells:
                    if cell._tc in seen or cell._tc.vMerge == "continue":
                        continue
                    seen.add(cell._tc)
                    cells.append(cell.text)
                out.append(cells)
    return out
