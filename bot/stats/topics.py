"""热点、焦点、难点 (办法 第十九条) from the tickets' content: the words, counted per ticket.

- 热点: the words in the most tickets of the period.
- 焦点: the words whose number of tickets rose most against the previous period of the same length.
- 难点: the words in the most tickets that went wrong (overdue, returned, redone or 不满意); the
  caller passes only those tickets' content.
"""

from __future__ import annotations

import logging
from collections import Counter

# Words that say nothing about a topic in a citizen's complaint.
STOPWORDS = frozenset(["来电", "反映", "市民", "要求", "表示", "希望", "问题", "情况", "工单", "相关", "进行", "目前", "现在", "已经", "没有", "一直", "无法", "能否", "是否", "如何", "怎么", "什么", "为何", "因为", "所以", "但是", "而且", "以及", "或者", "其中", "这个", "那个", "自己", "我们", "他们", "她们", "本人", "其母", "其父", "母亲", "父亲", "之前", "之后", "来信", "来访", "咨询", "投诉", "一个", "两个", "多次", "仍然", "尚未", "不能", "可以", "需要", "提交", "办理", "处理", "协调", "帮助", "尽快", "及时", "关于", "对于"])  # noqa: E501

TOP = 10


def _chinese(word: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in word)


def word_counts(contents: list[str]) -> Counter:
    """word -> in how many tickets it appears."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    counts: Counter = Counter()
    for content in contents:
        counts.update({w for w in jieba.lcut(content or "") if len(w) >= 2 and w not in STOPWORDS and _chinese(w)})
    return counts


def topics(contents: list[str], top: int = TOP) -> list[tuple[str, int]]:
    return sorted(word_counts(contents).items(), key=lambda item: (-item[1], item[0]))[:top]


def rising(now: list[str], before: list[str], top: int = TOP) -> list[tuple[str, int, int]]:
    """(word, tickets now, tickets before) of the words in more tickets now than before, most risen first;
    a word in one ticket only is noise, not a focus."""
    current, previous = word_counts(now), word_counts(before)
    risen = [(w, n, previous.get(w, 0)) for w, n in current.items() if n >= 2 and n > previous.get(w, 0)]
    return sorted(risen, key=lambda r: (-(r[1] - r[2]), -r[1], r[0]))[:top]
