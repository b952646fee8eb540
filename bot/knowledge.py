"""The knowledge base (办法 第十八条; SPEC §6): policies, FAQ, guides, searched from the chat.

Entries come from Markdown (one per `# 标题` heading), Word (.docx, the first
paragraph is the title) or a CSV of question/answer; each has a title,
source, date and category (lines `来源：` `日期：` `类别：` in the text, or
columns). An entry with the same source and title as an earlier one is a new
version; the old one is kept, no longer current.

Ranking: the words of the title (counted twice) and the body are cut with
jieba (search mode); a query is cut the same way and scored with BM25 (k1 1.5,
b 0.75) over the current entries, plus 1 for each typed term found verbatim in
the title. The snippet is the text around the first term found in the body.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session

from bot.files import YEARS, BadFile, FileLimits, check_file, decode_text, plausible
from storage import queries
from storage.models import KnowledgeEntry
from templates import text

K1, B = 1.5, 0.75
SNIPPET = 40
META = {"来源": "source", "日期": "published", "类别": "category", "类型": "kind", "发布日期": "published"}
KINDS = {"政策": "policy", "政策解读": "policy", "问答": "faq", "便民问答": "faq", "办事指南": "guide",
         "指南": "guide", "服务机构": "institution"}


class KnowledgeError(ValueError):
    pass


@dataclass
class Draft:
    title: str
    body: str
    source: str | None = None
    published: date | None = None
    category: str | None = None
    kind: str = "policy"


@dataclass
class Hit:
    id: int
    key: str
    version: int
    title: str
    source: str | None
    published: date | None
    category: str | None
    score: float
    snippet: str


def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def words(text: str) -> list[str]:
    """Search words: jieba's search-mode cut, without single characters and punctuation."""
    return [w.lower() for w in _jieba().lcut_for_search(text or "")
            if len(w.strip()) >= 2 and not re.fullmatch(r"[\W_]+", w)]


def _meta(draft: Draft, line: str) -> bool:
    match = re.match(r"^\s*([\u4e00-\u9fff]{2,4})\s*[:：]\s*(.+?)\s*$", line)
    if not match or match.group(1) not in META:
        return False
    field, value = META[match.group(1)], match.group(2)
    if field == "published":
        try:
            draft.published = date.fromisoformat(value.replace("/", "-").replace(".", "-"))
        except ValueError as exc:
            raise KnowledgeError(f"{draft.title}：日期 {value}") from exc
        if not plausible(draft.published):
            raise KnowledgeError(f"{draft.title}：" + text("file_bad_date", value=value, first=YEARS[0],
                                                          last=YEARS[-1]))
    elif field == "kind":
        draft.kind = KINDS.get(value, "policy")
    else:
        setattr(draft, field, value)
    return True


def _from_lines(title: str, lines: list[str]) -> Draft:
    draft = Draft(title=title.strip(), body="")
    body = [line for line in lines if not _meta(draft, line)]
    draft.body = "\n".join(body).strip()
    return draft


def parse_markdown(source: str) -> list[Draft]:
    drafts, title, lines = [], None, []
    for line in source.splitlines():
        if line.startswith("# "):
            if title is not None:
                drafts.append(_from_lines(title, lines))
            title, lines = line[2:], []
        elif title is not None:
            lines.append(line)
    if title is not None:
        drafts.append(_from_lines(title, lines))
    return drafts


def parse_docx(data: bytes, name: str = "") -> list[Draft]:
    from docx import Document

    try:  # python-docx raises many kinds for a damaged document
        paragraphs = [p.text for p in Document(io.BytesIO(data)).paragraphs if p.text.strip()]
    except Exception as exc:
        raise KnowledgeError(text("file_unreadable", name=name)) from exc
    if not paragraphs:
        return []
    return [_from_lines(paragraphs[0], paragraphs[1:])]


def parse_csv(data: bytes, name: str = "") -> list[Draft]:
    # newline="": the csv module splits lines itself, so CR-only line ends (Excel for Mac) read as lines
    reader = csv.DictReader(io.StringIO(decode_text(name, data), newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise KnowledgeError(text("file_csv_broken", name=name, row=reader.reader.line_num,
                                  max=csv.field_size_limit())) from exc
    drafts = []
    for number, row in enumerate(rows, start=2):
        question, answer = (row.get("问题") or "").strip(), (row.get("答案") or "").strip()
        if not question or not answer:
            raise KnowledgeError(f"第{number}行：问题和答案都不能为空")
        draft = Draft(title=(row.get("标题") or question).strip(), body=f"问：{question}\n答：{answer}", kind="faq")
        for column, value in row.items():
            if column in META and value:
                _meta(draft, f"{column}：{value}")
        drafts.append(draft)
    return drafts


def is_knowledge_csv(data: bytes) -> bool:
    """A question/answer CSV (its header names 问题 and 答案), in any encoding decode_text reads."""
    try:
        head = decode_text("", re.split(rb"[\r\n]", data[:2000], maxsplit=1)[0])
    except BadFile:
        return False
    return "问题" in head and "答案" in head


def parse_file(name: str, data: bytes, limits: FileLimits | None = None) -> list[Draft]:
    """The entries of a file, checked (size, unpacked size) before it is parsed; KnowledgeError otherwise."""
    suffix = Path(name).suffix.lower()
    if suffix not in (".md", ".markdown", ".txt", ".docx", ".csv"):
        raise KnowledgeError(f"{name}：只支持 .md、.docx 和 问题/答案 CSV")
    try:
        check_file(name, data, limits)
        if suffix == ".docx":
            drafts = parse_docx(data, name)
        elif suffix == ".csv":
            drafts = parse_csv(data, name)
        else:
            drafts = parse_markdown(decode_text(name, data))
    except BadFile as bad:
        raise KnowledgeError(str(bad)) from bad
    if not drafts:
        raise KnowledgeError(f"{name}：没有找到条目（Markdown 每条以“# 标题”开头）")
    return drafts


def save(session: Session, drafts: list[Draft], member_id: int | None, now) -> tuple[int, int]:
    """(new entries, new versions); unchanged entries are left alone."""
    added = updated = 0
    for draft in drafts:
        key = f"{draft.source or ''}|{draft.title}"[:160]
        current = queries.knowledge_current_by_key(session, key)
        if current is not None and (current.body, current.category, current.published) == (
                draft.body, draft.category, draft.published):
            continue
        version = 1
        if current is not None:
            current.current = False
            version = current.version + 1
            updated += 1
        else:
            added += 1
        tokens = " ".join(words(draft.title) * 2 + words(draft.body))
        session.add(KnowledgeEntry(key=key, version=version, kind=draft.kind, title=draft.title,
                                   source=draft.source, published=draft.published, category=draft.category,
                                   body=draft.body, tokens=tokens, created_by_id=member_id, created_at=now))
        session.flush()
    return added, updated


def snippet(body: str, terms: list[str]) -> str:
    flat = re.sub(r"\s+", " ", body)
    positions = [flat.lower().find(t) for t in terms if flat.lower().find(t) >= 0]
    if not positions:
        return flat[:SNIPPET * 2] + ("…" if len(flat) > SNIPPET * 2 else "")
    at = min(positions)
    start, end = max(0, at - SNIPPET), min(len(flat), at + SNIPPET)
    return ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")


_SIZES: dict[tuple, tuple[int, int]] = {}  # (newest entry id, category) -> (entries, words): kept until one is added


def _size(session: Session, category: str | None) -> tuple[int, int]:
    """The current entries and their words in all (BM25's n and average length), counted again only when an
    entry or a version was added since (its id is then new)."""
    key = (queries.knowledge_newest(session), category)
    if key not in _SIZES:
        if len(_SIZES) > 64:
            _SIZES.clear()
        _SIZES[key] = queries.knowledge_size(session, category)
    return _SIZES[key]


def search(session: Session, query: str, limit: int = 5, category: str | None = None) -> list[Hit]:
    terms = list(dict.fromkeys(words(query)))
    typed = [t.lower() for t in query.split() if t.strip()]
    if not terms and not typed:
        return []
    # only the entries that can score are read; the counts of all come from the database (BM25)
    n, total = _size(session, category)
    if not n:
        return []
    candidates = queries.knowledge_candidates(session, terms, typed, category)
    # each candidate's words as " w1 w2 … ": a term's frequency is a count of " term " (no parsing of every
    # entry); only the best `limit` are then read whole and cut a snippet from
    spaced = [f" {c.tokens} " for c in candidates]
    tf = {term: [d.count(f" {term} ") for d in spaced] for term in terms}
    df = {term: sum(1 for f in counts if f) for term, counts in tf.items()}
    average = total / n or 1
    scored = []
    for i, candidate in enumerate(candidates):
        length = candidate.tokens.count(" ") + 1 if candidate.tokens else 0
        score = 0.0
        for term in terms:
            f = tf[term][i]
            if f:
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                score += idf * f * (K1 + 1) / (f + K1 * (1 - B + B * length / average))
        score += sum(1.0 for t in typed if t in candidate.title.lower())
        if score > 0:
            scored.append((-round(score, 3), candidate.id))
    best = sorted(scored)[:limit]
    entries = {e.id: e for e in queries.knowledge_entries(session, [entry_id for _, entry_id in best])}
    return [Hit(e.id, e.key, e.version, e.title, e.source, e.published, e.category, -score,
                snippet(e.body, typed + terms)) for score, e in ((score, entries[i]) for score, i in best)]


def citation(hit_or_entry) -> str:
    """How a reply cites an entry as its basis: 《标题》（来源，日期）."""
    parts = [p for p in (hit_or_entry.source,
                         hit_or_entry.published.isoformat() if hit_or_entry.published else None) if p]
    return f"《{hit_or_entry.title}》" + (f"（{'，'.join(parts)}）" if parts else "")
