"""The interface the chat handlers talk to, split by use case; nothing here knows Telegram.

Every public method is one use case in one transaction and returns plain data.
Handlers await them on a worker thread through `Services.run`, so the event
loop never waits for the database:

    s = context.services
    detail = await s.run(s.tickets.detail, context.actor, number, private)
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from bot import forms
from bot.calendar import WorkCalendar
from bot.deadlines import DeadlineCalculator
from bot.files import FileLimits
from bot.rules import Rules
from bot.services.clock import Clock
from bot.services.documents import Documents
from bot.services.drafts import Draft, Drafts
from bot.services.evidence import Evidence, EvidenceFile, EvidenceStore
from bot.services.inbox import Inbox
from bot.services.intake import Intake, IntakeCard, failed_import_lines
from bot.services.knowledge import Knowledge
from bot.services.organisation import Organisation, Whoami
from bot.services.outbox import Delivery, OpenButtons, Outbox, SentMessage, holder_name
from bot.services.tickets import TicketDetail, Tickets
from bot.services.workflow import WorkflowService
from bot.workflow import Workflow
from storage.db import Database

T = TypeVar("T")

__all__ = ["Delivery", "Draft", "EvidenceFile", "IntakeCard", "OpenButtons", "SentMessage", "Services", "TicketDetail", "Whoami",
           "failed_import_lines"]


class Services:
    """Every service, wired once, on one database, one set of rules and one clock."""

    def __init__(self, db: Database, rules: Rules, calendar: WorkCalendar,
                 clock: Callable[[], datetime] | None = None, files_dir: Path | None = None,
                 form_templates: Path | None = None, evidence_dir: Path | None = None,
                 evidence_limit_mb: int = 20, file_limits: FileLimits | None = None):
        self.rules = rules
        forms.set_template_dir(form_templates)  # the administrator's Word templates (HOTLINE_FORM_TEMPLATES)
        calc = DeadlineCalculator(rules, calendar)
        core = Workflow(rules, calc, clock)
        shared = (db, rules, calc, core, files_dir or Path(tempfile.mkdtemp(prefix="hotline-forms-")))
        self.workflow = WorkflowService(*shared)
        self.organisation = Organisation(*shared)
        self.intake = Intake(*shared)
        self.tickets = Tickets(*shared)
        self.drafts = Drafts(*shared)
        self.documents = Documents(*shared)
        self.knowledge = Knowledge(*shared)
        self.outbox = Outbox(*shared)
        self.clock = Clock(*shared)
        self.evidence = Evidence(*shared, store=EvidenceStore(evidence_dir or shared[-1] / "evidence"),
                                 limit_bytes=evidence_limit_mb * 1024 * 1024)
        self.intake.limits = self.knowledge.limits = file_limits or FileLimits()  # HOTLINE_FILE_MAX_*
        self.inbox = Inbox(*shared)

    def name_instance(self, instance: str | None) -> None:
        """Claims and leases in this process's name (HOTLINE_INSTANCE: a restart resumes them at once)."""
        self.outbox.holder = self.inbox.holder = holder_name(instance)

    async def run(self, fn: Callable[..., T], *args, **kw) -> T:
        """Call a service method on a worker thread."""
        return await asyncio.to_thread(fn, *args, **kw)
