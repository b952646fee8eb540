"""热点、焦点、难点 (办法 第十九条) from the tickets' content: the words, counted per ticket.

- 热点: the words in the most tickets of the period.
- 焦点: the words whose number of tickets rose most against the previous period of the same length.
- 难点: the words in the most tickets that went wrong (overdue, returned, redone or 不满意); the
  caller passes only those tickets' content.

A period of more tickets than the sample is read every n-th ticket (storage/queries/statistics.py)
and each word's count multiplied by n: an estimate, exact for periods within the sample.
"""

from __future__ import annotations

import logging
from collections import Counter

# Words that say nothing about a topic in a citizen's complaint.
STOPWORDS = frozenset(["来电", "反映", "市民", "要求", "表示", "希望", "问题", "情况", "工单", "相关", "进行", "目前", "现在", "已经", "没有", "一直", "无法", "能否", "是否", "如何", "怎么", "什么", "为何", "因为", "所以", "但是", "而且", "以及", "或者", "其中", "这个", "那个", "自己", "我们", "他们", "她们", "本人", "其母", "其父", "母亲", "父亲", "之前", "之后", "来信", "来访", "咨询", "投诉", "一个", "两个", "多次", "仍然", "尚未", "不能", "可以", "需要", "提交", "办理", "处理", "协调", "帮助", "尽快", "及时", "关于", "对于"])  # noqa: E501

TOP = 10


def _chinese(word: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in word)


def word_counts(contents: list[str | tuple], weight: int = 1) -> Counter:
    """word -> in how many tickets it appears (each content standing for `weight` tickets of a sample).
    A content given as (content, caller's name, address) is read without them: a topic is never a caller
    (the figures go to groups, SPEC §7)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    counts: Counter = Counter()
    for row in contents:
        content, *callers = row if isinstance(row, tuple) else (row,)
        for value in callers:
            if content and value and value.strip():
                content = content.replace(value.strip(), " ")
        counts.update({w for w in jieba.lcut(content or "") if len(w) >= 2 and w not in STOPWORDS and _chinese(w)})
    if weight != 1:
        for word in counts:
            counts[word] *= weight
    return counts


def top(counts: Counter, n: int = TOP) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]


def topics(contents: list[str], n: int = TOP) -> list[tuple[str, int]]:
    return top(word_counts(contents), n)


def risen(current: Counter, previous: Counter, n: int = TOP) -> list[tuple[str, int, int]]:
    """(word, tickets now, tickets before) of the words in more tickets now than before, most risen first;
    a word in one ticket only is noise, not a focus."""
    rows = [(w, c, previous.get(w, 0)) for w, c in current.items() if c >= 2 and c > previous.get(w, 0)]
    return sorted(rows, key=lambda r: (-(r[1] - r[2]), -r[1], r[0]))[:n]


def rising(now: list[str], before: list[str], n: int = TOP) -> list[tuple[str, int, int]]:
    return risen(word_counts(now), word_counts(before), n)
