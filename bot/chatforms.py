"""The step-by-step chat forms: what each asks, in which order, for which channel.

The answers of the reply form are saved into the reply itself at every step
(so a restart loses nothing); the intake and return forms keep theirs in the
member's FormDraft until they are submitted.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    key: str  # a reply field, "letter.<section>", or an intake/return field
    kind: str  # choice | text | time | points | evidence | flags
    group: str | None = None  # labels group of the choices
    optional: bool = False
    channels: tuple[str, ...] | None = None  # only for these channels
    kinds: tuple[str, ...] | None = None  # only for these 12345 kinds
    after: tuple[str, str] | None = None  # asked only when this earlier answer (key, value) was given


HOTLINES = ("12345", "962200")

REPLY_STEPS: tuple[Step, ...] = (
    Step("template", "choice", "reply_template", channels=HOTLINES),
    Step("contact_time", "time"),
    Step("contact_manner", "choice", "contact_manner"),
    Step("verified_by", "text", optional=True),
    Step("site_visit", "choice", "site_visit", optional=True),
    Step("fact_finding", "choice", "fact_finding"),
    Step("fact_note", "text", optional=True),
    Step("demand_assessment", "choice", "demand_assessment", optional=True),
    Step("demand_note", "text", optional=True),
    # 规程 二(一)2 「填写…信访答复模板（附件2）」: the letter's facts and judgement are its sentences
    Step("letter.facts", "text", channels=("petition",)),
    Step("letter.reasons", "text", optional=True, channels=("petition",)),
    Step("letter.requests", "text", optional=True, channels=("petition",)),
    Step("letter.findings", "text", optional=True, channels=("petition",)),
    Step("basis", "text"),
    Step("points", "points"),
    Step("summary", "text", optional=True),
    Step("letter.judgement", "text", channels=("petition",)),
    Step("letter.review_body", "text", optional=True, channels=("petition",)),
    Step("result", "choice", "result"),
    Step("result_other", "text", after=("result", "other")),  # 附件1 处理结果 □其他____
    Step("acceptance", "choice", "acceptance"),
    Step("satisfaction", "choice", "feedback"),  # 附件1 市民反馈, with 其他
    Step("evidence", "evidence", optional=True),
)
# steps not asked in turn, offered by 修改 on the preview
EXTRA_STEPS = {"reply": (Step("note", "text", optional=True),)}  # 附件1 备注

INTAKE_STEPS: tuple[Step, ...] = (
    Step("channel", "choice", "channel"),
    Step("kind", "choice", "kind", channels=("12345",)),
    Step("tags", "choice", "tag", optional=True, channels=("12345",), kinds=("tagged",)),
    Step("service_category", "choice", "service_category", optional=True, channels=("962200",)),
    Step("flags", "flags", "flag"),
    Step("business_category", "choice", "business_category", optional=True),
    Step("external_no", "text"),
    # SPEC §9.1: the citizen's call or visit (printed on 附件1; skipped: the receipt), apart from the bureau's
    # receipt of the transferred item, from which every deadline is counted
    Step("called_at", "time", optional=True),
    Step("received_at", "time"),
    Step("source", "choice", "ticket_source"),  # 附件1 / 附件4 工单来源
    Step("citizen_name", "text", optional=True),
    Step("phone", "text", optional=True),
    Step("address", "text", optional=True),
    Step("content", "text"),
)

RETURN_STEPS: tuple[Step, ...] = (
    Step("reason", "text"),
    Step("evidence", "evidence"),
)

PROBLEM_STEPS: tuple[Step, ...] = (
    Step("reasons", "text"),
    Step("work_done", "text"),
    Step("evidence", "evidence"),
)

ASSIST_STEPS: tuple[Step, ...] = (  # 协办: an assisting department's part of the reply
    Step("part", "text"),
    Step("evidence", "evidence", optional=True),
)

FLOWS = {"reply": REPLY_STEPS, "intake": INTAKE_STEPS, "return": RETURN_STEPS, "problem": PROBLEM_STEPS,
         "assist": ASSIST_STEPS}


def steps_for(flow: str, channel: str | None, kind: str | None = None, given=None) -> list[Step]:
    """The form's steps for this channel and kind; `given(key)` reads an earlier answer, and a step asked only
    after one answer (Step.after) is left out when that answer was not given."""
    return [s for s in FLOWS[flow] if (s.channels is None or channel is None or channel in s.channels)
            and (s.kinds is None or kind in s.kinds)
            and (s.after is None or (given is not None and given(s.after[0]) == s.after[1]))]


def step(flow: str, key: str) -> Step | None:
    return next((s for s in (*FLOWS[flow], *EXTRA_STEPS.get(flow, ())) if s.key == key), None)


def next_step(flow: str, channel: str | None, after: str | None, kind: str | None = None, given=None) -> Step | None:
    steps = steps_for(flow, channel, kind, given)
    if after is None:
        return steps[0] if steps else None
    keys = [s.key for s in steps]
    if after not in keys:
        return None
    index = keys.index(after) + 1
    return steps[index] if index < len(steps) else None


def position(flow: str, channel: str | None, key: str, kind: str | None = None, given=None) -> tuple[int, int]:
    keys = [s.key for s in steps_for(flow, channel, kind, given)]
    return (keys.index(key) + 1 if key in keys else 0), len(keys)


def reply_value(reply, key: str):
    if reply is None:
        return None
    if key.startswith("letter."):
        return (reply.letter or {}).get(key.split(".", 1)[1])
    if key == "evidence":
        return None
    return getattr(reply, key)
