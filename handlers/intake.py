"""The office's intake: /new, a pasted ticket, a CSV/XLSX file; then first contact and dispatch."""

from __future__ import annotations

import asyncio
from pathlib import Path

from telegram import Update

from bot.domain import Role
from bot.files import too_large
from bot.importer import ImportFailed
from bot.knowledge import KnowledgeError, is_knowledge_csv
from bot.services import failed_import_lines
from bot.workflow import Actor, Dispatch, RecordFirstContact
from handlers.common import Context, alert, department_picker, forged, ident, reply, say
from templates import label, text

CONTACT_CODES = {"contacted": ("contacted", None), "switched_off": ("not_contacted", "switched_off"),
                 "no_answer": ("not_contacted", "no_answer")}
IMPORT_SUFFIXES = (".csv", ".xlsx")
KB_SUFFIXES = (".md", ".markdown", ".docx")


async def on_first_contact(update: Update, context: Context) -> None:
    """fc:<ticket>:<contacted|switched_off|no_answer>"""
    actor, s = context.actor, context.services
    parts = update.callback_query.data.split(":")
    if len(parts) != 3 or ident(parts[1]) is None or parts[2] not in CONTACT_CODES:
        await forged(update, context, actor)
        return
    ticket_id = ident(parts[1])
    status, reason = CONTACT_CODES[parts[2]]
    outcome = await s.run(s.workflow.do, actor, RecordFirstContact(ticket_id, status, reason))
    if not outcome.ok:
        await alert(update, outcome.refusal.message)
        return
    await update.callback_query.answer(text("done_alert", action=label("action", outcome.action)))
    await update.callback_query.edit_message_reply_markup(None)
    ticket = await s.run(s.tickets.get, ticket_id)
    contact = label("contact_status", ticket.contact_status) + (
        f"（{label('not_contacted_reason', ticket.not_contacted_reason)}）" if ticket.not_contacted_reason else "")
    await department_picker(update, context, ticket_id, f"{ticket.internal_no}：{contact}")


async def on_dispatch(update: Update, context: Context) -> None:
    """dp:<ticket>:<department>"""
    actor, s = context.actor, context.services
    parts = update.callback_query.data.split(":")
    if len(parts) != 3 or ident(parts[1]) is None or ident(parts[2]) is None:
        await forged(update, context, actor)
        return
    ticket_id, department_id = ident(parts[1]), ident(parts[2])
    outcome = await s.run(s.workflow.do, actor, Dispatch(ticket_id, department_id))
    if not outcome.ok:
        await alert(update, outcome.refusal.message)
        return
    name = dict(await s.run(s.organisation.departments))[department_id]
    await update.callback_query.answer(text("dispatched", department=name))
    message = update.callback_query.message
    await update.callback_query.edit_message_text(
        f"{message.text_html}\n\n{text('dispatched', department=name)}", reply_markup=None)


async def on_file(update: Update, context: Context, actor: Actor) -> bool:
    """A CSV/XLSX export sent by the office: imported whole or not at all."""
    document = update.effective_message.document
    name = (document.file_name or "").lower() if document else ""
    if document is None or not name.endswith(IMPORT_SUFFIXES + KB_SUFFIXES):
        return False
    if name.endswith(KB_SUFFIXES):
        return await on_kb_file(update, context, actor, document)
    if not actor.has_role(Role.OFFICE):
        await reply(update, context, text("import_only_office"))
        return True
    s = context.services
    if await _too_large(update, context, document):
        return True
    status = await reply(update, context, text("import_started", name=document.file_name))
    file = await context.bot.get_file(document.file_id)
    data = bytes(await file.download_as_bytearray())
    if is_knowledge_csv(data):
        return await on_kb_file(update, context, actor, document, data)
    loop = asyncio.get_running_loop()

    def progress(done: int, total: int) -> None:
        """From the import's thread: a progress line at each quarter of a large file."""
        if total >= 50 and done % max(1, total // 4) == 0:
            asyncio.run_coroutine_threadsafe(status.edit_text(text("import_progress", done=done, total=total)), loop)

    try:
        report = await s.run(s.intake.import_file, actor, Path(document.file_name).name, data, progress)
    except ImportFailed as err:
        lines = [text("import_failed"), *failed_import_lines(err)]
        await status.edit_text("\n".join(lines).replace("<", "&lt;"))
        return True
    summary = [*report.repeats, report.lines()[-1]]
    await say(context, update.effective_chat.id, "\n".join(summary).replace("<", "&lt;"))
    await status.edit_text(text("import_progress", done=len(report.imported), total=report.rows))
    return True


async def _too_large(update: Update, context: Context, document) -> bool:
    """A file over the limit is refused before it is downloaded."""
    refusal = too_large(document.file_name or "", document.file_size, context.services.intake.limits)
    if refusal:
        await reply(update, context, refusal)
    return refusal is not None


async def on_kb_file(update: Update, context: Context, actor: Actor, document, data: bytes | None = None) -> bool:
    """Policies, guides (.md, .docx) or a question/answer CSV from the office: into the knowledge base."""
    s = context.services
    if data is None:
        if await _too_large(update, context, document):
            return True
        file = await context.bot.get_file(document.file_id)
        data = bytes(await file.download_as_bytearray())
    try:
        added, updated = await s.run(s.knowledge.import_file, actor, document.file_name, data)
    except KnowledgeError as err:
        await reply(update, context, text("kb_failed", detail=str(err)).replace("<", "&lt;"))
        return True
    await reply(update, context, text("kb_imported", added=added, updated=updated))
    return True
