"""What a message may show of a ticket: full details in private chat, masked in groups (SPEC §7)."""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session

from bot import forms
from bot.deadlines import DeadlineCalculator
from bot.domain import Audience
from bot.messages import KINDS
from bot.priority import is_threat
from bot.privacy import mask_address, mask_name, mask_phone, scrub_all, scrub_text
from storage import queries
from storage.models import Department, Member, Outbox, Ticket
from templates import render


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


def render_outbox(session: Session, row: Outbox, calc: DeadlineCalculator) -> str:
    """The text of a queued message, with the ticket shown as its audience may see it."""
    private = row.audience == Audience.MEMBER
    ticket = queries.ticket(session, row.ticket_id) if row.ticket_id else None
    view = ticket_view(session, ticket, calc, private) if ticket else None
    context = row.context
    if not private and ticket is not None:  # what people typed (reasons, comments) may name the citizen
        context = scrub_all(context, ticket.citizen_name, ticket.address, ticket.phone)
    form = None
    form_in_text = KINDS[row.template].form_in_text
    if ticket is not None and form_in_text is not None:  # the reply or form under decision
        number = form_in_text(ticket.channel, row.context)
        form = forms.render_text(number, forms.form_data(session, ticket, calc, private, row.created_at))
    extra = {}
    if row.template == "weekly_stats":
        from datetime import date

        from bot import stats

        result = stats.compute(session, calc, date.fromisoformat(context["from"]),
                               date.fromisoformat(context["to"]), row.created_at)
        extra["stats"] = stats.render_text(result)
    if row.template == "problem_summary":
        extra["rows"] = context["rows"]
    return render(row.template, m=context, t=view, form=form, **extra)
