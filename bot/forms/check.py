"""What must not leave the bureau (规程 三(二) 办结规范): placeholders, doubled punctuation, an
empty starred field; and the style notes of 「注意语气语调，语言表达事实清楚、条理清晰，简明扼要」."""

from __future__ import annotations

import re

from bot.forms.data import cites_document

# the seed templates' fill-in marks, and jinja left unrendered
PLACEHOLDER = re.compile(r"X{2,}|X月X日|[\[\]【】]|\{\{|\{%|（(?:信访事项|信访人|处理机关|适用的)[^）]*）|……")
DOUBLED = re.compile(r"[。，；：、]{2,}|：。|，。")
# fields each form cannot go without (附件4: its starred cells; 附件2/3: what their sentences need)
REQUIRED = {
    2: ("letter.facts", "basis", "letter.judgement"),
    3: ("contact_when", "contact_way", "acceptance"),
    4: ("site_visit", "fact_finding_code", "demand_assessment", "summary", "points_text", "contact_time",
        "contact_manner_code", "resolved", "satisfaction"),
}
BARE = re.compile(r"^(已核实|已处理|已解决|已答复|已联系|核实|属实|同上)[。！]?$")
INTERNAL = re.compile(r"SJMZ-\d{4}-\d+|\b[a-z]+_[a-z_]+\b")


def _value(data: dict, key: str):
    if "." in key:
        head, tail = key.split(".", 1)
        return (data.get(head) or {}).get(tail)
    return data.get(key)


def form_problems(number: int, data: dict, lines: list[str]) -> list[str]:
    """Why the filled form cannot go out: field keys left empty (`field:<key>`), then the offending text."""
    problems = [f"field:{key}" for key in REQUIRED.get(number, ()) if _value(data, key) in (None, "", [], {})]
    for line in lines:
        for match in (*PLACEHOLDER.finditer(line), *DOUBLED.finditer(line)):
            problems.append(match.group(0))
    return problems


def style_notes(data: dict, max_chars: int) -> list[str]:
    """Codes of labels.style_note for the department's reply (规程 三(二))."""
    notes = []
    texts = [data.get("summary") or "", data.get("fact_note") or "", *(data.get("points") or [])]
    if sum(len(t) for t in texts) > max_chars:
        notes.append("too_long")
    if data.get("basis") and not cites_document(data["basis"]):
        notes.append("basis_no_document")
    if any(BARE.match(t.strip()) for t in texts if t.strip()) or BARE.match((data.get("basis") or "").strip()):
        notes.append("bare_verified")
    if any(INTERNAL.search(t) for t in [*texts, data.get("basis") or ""]):
        notes.append("internal_code")
    return notes
