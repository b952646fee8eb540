"""What a message may show of a ticket: full details in private chat, masked in groups (SPEC §7)."""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session

from bot import forms
from bot.deadlines import DeadlineCalculator
from bot.domain import Audience, Role
from bot.messages import KINDS
from bot.priority import is_threat
from bot.privacy import mask_address, mask_name, mask_phone, scrub_all, scrub_text
from bot.workflow import SENT_BACK
from storage import queries
from storage.models import Department, Member, Outbox, Ticket
from templates import label, render

# 前几轮意见 as a phone shows it: the latest so many send-backs, each cut to so many characters (the rest of
# them, and the whole words, in 办理记录)
ROUNDS_SHOWN, ROUND_CHARS = 4, 60


def ticket_view(session: Session, ticket: Ticket, calc: DeadlineCalculator, private: bool) -> dict:
    department = session.get(Department, ticket.department_id) if ticket.department_id else None
    handler = session.get(Member, ticket.handler_id) if ticket.handler_id else None
    calmed_by = session.get(Member, ticket.calmed_by_id) if ticket.calmed_by_id else None
    deadlines = []
    for row in queries.open_stages(session, ticket.id):
        deadlines.append({"stage": row.stage, "due": calc.local(row.due_at), "fallback": row.calendar_fallback,
                          "fallback_year": calc.local(row.due_at).year, "capped": row.capped})
    history = []
    links, linked = queries.linked_tickets(session, ticket.id)  # one query, the newest 20 (a repeat caller's)
    for link, other in links:
        history.append({"internal_no": other.internal_no, "channel": other.channel, "status": other.status,
                        "received_at": calc.local(other.received_at), "satisfaction": other.satisfaction,
                        "matched_on": link.matched_on})
    history.sort(key=lambda h: h["received_at"])
    assists = queries.assists_of(session, ticket.id)
    evidence = Counter(e.owner_id for e in queries.attachments_of(session, ticket.id, "assist_evidence")) if assists \
        else Counter()
    assists = [{"department": session.get(Department, a.department_id).name, "part": a.part,
                "part_at": calc.local(a.part_at) if a.part_at else None, "evidence": evidence[a.id]} for a in assists]
    return {
        "assists": assists,
        "urges": queries.count_events(session, ticket.id, "urge"),
        "history": history,
        "linked": linked,
        "id": ticket.id,
        "internal_no": ticket.internal_no,
        "external_no": ticket.external_no,
        "channel": ticket.channel,
        "kind": ticket.kind,
        "status": ticket.status,
        "received_at": calc.local(ticket.received_at),
        "called_at": calc.local(ticket.called_at or ticket.received_at),
        "source": ticket.source,
        "citizen": ticket.citizen_name if private else mask_name(ticket.citizen_name),
        "phone": ticket.phone if private else mask_phone(ticket.phone),
        "address": ticket.address if private else mask_address(ticket.address),
        "content": ticket.content if private else scrub_text(ticket.content, ticket.citizen_name, ticket.address,
                                                            ticket.phone),
        "city_urged": ticket.city_urged,
        "threat": is_threat(ticket),
        "calmed_at": calc.local(ticket.calmed_at) if ticket.calmed_at else None,
        "calmed_by": calmed_by.name if calmed_by else None,
        "sensitive": ticket.sensitive,
        "emergency": ticket.emergency,
        "repeat": ticket.repeat,
        "department": department.name if department else None,
        "handler": handler.name if handler else None,
        "overall_due": calc.local(ticket.overall_due_at) if ticket.overall_due_at else None,
        "calendar_fallback": ticket.calendar_fallback,
        "deadlines": deadlines,
        "private": private,
        # the petition's 受理告知书 (who, when, how) and 录入上海分系统 (规程 二(一)1, 3)
        "notice_at": calc.local(ticket.acceptance_notice_sent_at) if ticket.acceptance_notice_sent_at else None,
        "notice_manner": ticket.acceptance_notice_manner,
        "notice_by": (session.get(Member, ticket.acceptance_notice_by_id).name
                      if ticket.acceptance_notice_by_id else None),
        "city_system_ref": ticket.city_system_ref,
        "letter_no": ticket.letter_no,
    }


def earlier_rounds(session: Session, ticket: Ticket, before_event_id: int | None, private: bool
                   ) -> tuple[list[dict], int]:
    """Who sent the reply back before the message's own event, and their words (SENT_BACK), newest last: the
    latest ROUNDS_SHOWN of them and how many earlier ones are left out. The round is the reply's (a 重办 starts
    the next); the office's 重办 is the office's, not one person's; for a group the words are scrubbed."""
    shown, round_ = [], 1
    for event in queries.events_named(session, ticket.id, ("submit_reply", *SENT_BACK), before_event_id):
        payload = event.payload or {}
        if event.action == "submit_reply":
            round_ = payload.get("round") or round_
            continue
        if event.action == "fail_review":
            who = label("role", Role.OFFICE)
            reasons = [str(r) for r in payload.get("reasons") or []]
            words = reasons[0] if len(reasons) == 1 else " ".join(f"{n}. {r}" for n, r in enumerate(reasons, 1))
        else:
            member = session.get(Member, event.actor_id) if event.actor_id else None
            who, words = (member.name if member else ""), str(payload.get("comment") or "")
        if not private:
            words = scrub_text(words, ticket.citizen_name, ticket.address, ticket.phone)
        words = " ".join(words.split())
        if len(words) > ROUND_CHARS:
            words = words[:ROUND_CHARS - 1] + "…"
        shown.append({"round": round_, "who": who, "action": event.action, "words": words})
    return shown[-ROUNDS_SHOWN:], max(0, len(shown) - ROUNDS_SHOWN)


def render_outbox(session: Session, row: Outbox, calc: DeadlineCalculator) -> str:
    """The text of a queued message, with the ticket shown as its audience may see it."""
    private = row.audience == Audience.MEMBER
    ticket = queries.ticket(session, row.ticket_id) if row.ticket_id else None
    view = ticket_view(session, ticket, calc, private) if ticket else None
    context = row.context
    if not private and ticket is not None:  # what people typed (reasons, comments) may name the citizen
        context = scrub_all(context, ticket.citizen_name, ticket.address, ticket.phone)
    form, data = None, None
    kind = KINDS[row.template]
    if ticket is not None and kind.form_in_text is not None:  # the reply or form under decision
        number = kind.form_in_text(ticket.channel, row.context)
        data = forms.form_data(session, ticket, calc, private, row.created_at)
        form = forms.render_text(number, data)
    extra = {}
    if ticket is not None and kind.rounds:
        extra["earlier"], extra["earlier_more"] = earlier_rounds(session, ticket, row.event_id, private)
    if row.template == "weekly_stats":
        from datetime import date

        from bot import stats

        result = stats.compute(session, calc, date.fromisoformat(context["from"]),
                               date.fromisoformat(context["to"]), row.created_at)
        extra["stats"] = stats.render_text(result)
    if row.template == "problem_summary":
        extra["rows"] = context["rows"]
    return render(row.template, m=context, t=view, form=form, data=data, **extra)
