"""The composition root: the Application, every handler registered in one place, the jobs."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from datetime import timedelta

# RetryAfter.retry_after as a timedelta (the coming default of python-telegram-bot); delivery reads both.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, BotCommand, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.config import load_configuration
from bot.organisation import apply_config
from bot.services import Services
from bot.workflow import PRESSES
from handlers import evidence, forms, intake, lookup, org, problems, router, tickets
from handlers.common import Context, HotlineContext, forged
from handlers.delivery import Deliverer
from handlers.gate import Gate
from storage.db import Database
from templates import labels, text

log = logging.getLogger(__name__)

OUTBOX_INTERVAL = timedelta(seconds=5)
SCAN_INTERVAL = timedelta(minutes=1)  # the database says what is due; this is only how often to look
# Ticket buttons that open a chat form of their own, by their press names.
FLOW_PRESSES = rf"^t:({'|'.join(name for name, (_, press) in PRESSES.items() if press.flow)}):"
COMMANDS = ("start", "help", "todo", "mine", "ticket", "search", "kb", "stats", "new", "form", "problems", "link",
            "unlink", "whoami", "bind", "members", "reload", "cancel")

# Handler groups: the gate resolves who acts (and stops strangers); 0 answers the update; 90 sends what the
# answer queued.
GATE, ANSWER, DELIVER = -1, 0, 90


def register(app: Application) -> None:
    """Every handler of the bot, in one place."""
    open_to_strangers = [
        CommandHandler("start", router.cmd_start),
        CommandHandler("help", org.cmd_help),
        CommandHandler("whoami", org.cmd_whoami),
        CallbackQueryHandler(org.on_join_ask, pattern=r"^ja$"),
    ]
    app.add_handler(TypeHandler(Update, Gate(open_to_strangers)), group=GATE)
    app.add_handlers([
        *open_to_strangers,
        CommandHandler("bind", org.cmd_bind),
        CommandHandler("members", org.cmd_members),
        CommandHandler("reload", org.cmd_reload),
        CommandHandler("new", forms.cmd_new),
        CommandHandler("cancel", router.cmd_cancel),
        CommandHandler("ticket", lookup.cmd_ticket),
        MessageHandler(filters.Regex(r"^/ticket_\w+"), lookup.cmd_ticket),
        CommandHandler("form", lookup.cmd_form),
        CommandHandler("mine", lookup.cmd_mine),
        CommandHandler("todo", lookup.cmd_todo),
        CommandHandler("search", lookup.cmd_search),
        CommandHandler("stats", lookup.cmd_stats),
        CommandHandler("kb", lookup.cmd_kb),
        CommandHandler("link", problems.cmd_link),
        CommandHandler("unlink", problems.cmd_unlink),
        CommandHandler("problems", problems.cmd_problems),
        CallbackQueryHandler(problems.on_follow_up, pattern=r"^fu:"),
        CallbackQueryHandler(lookup.on_stats_button, pattern=r"^st:"),
        CallbackQueryHandler(evidence.on_show_evidence, pattern=r"^ev:\d+$"),
        CallbackQueryHandler(forms.on_flow_press, pattern=FLOW_PRESSES),
        CallbackQueryHandler(tickets.on_ticket_button, pattern=r"^t:"),
        CallbackQueryHandler(tickets.on_department_picked, pattern=r"^tp:"),
        CallbackQueryHandler(lookup.on_history, pattern=r"^h:"),
        CallbackQueryHandler(intake.on_first_contact, pattern=r"^fc:"),
        CallbackQueryHandler(intake.on_dispatch, pattern=r"^dp:"),
        CallbackQueryHandler(router.on_form_button, pattern=r"^(f|fx|fe):"),
        CallbackQueryHandler(org.on_bind, pattern=r"^b:"),
        CallbackQueryHandler(org.on_join_decide, pattern=r"^j:"),
        CallbackQueryHandler(org.on_member, pattern=r"^m:"),
        CallbackQueryHandler(on_unknown_button),
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, router.on_private_text),
        MessageHandler(filters.ChatType.PRIVATE & (filters.Document.ALL | filters.PHOTO | filters.VOICE
                                                   | filters.AUDIO | filters.VIDEO), router.on_private_media),
    ], group=ANSWER)
    app.add_handler(TypeHandler(Update, deliver_after_update), group=DELIVER)
    app.add_error_handler(on_error)


async def on_unknown_button(update: Update, context: Context) -> None:
    await forged(update, context, context.actor)


async def deliver_after_update(update: Update, context: Context) -> None:
    await context.sender.flush()


async def deliver_job(context: Context) -> None:
    await context.sender.flush()


async def scan_job(context: Context) -> None:
    """Warnings, daily rounds, digests: whatever the database says is due and not yet done."""
    s = context.services
    await s.run(s.clock.tick)
    await context.sender.flush()


async def on_error(update: object, context: Context) -> None:
    """A fault of ours: logged, and the person told in one sentence instead of a spinner that never stops."""
    log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text("error_try_again"), show_alert=True)
        elif update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE:
            await context.bot.send_message(update.effective_chat.id, text("error_try_again"))
    except TelegramError:  # already answered, or the chat is gone: the log keeps it
        pass


def reload_on_hangup(app: Application) -> None:
    """SIGHUP reads the organisation file again, as /reload does (the change audited as by "signal")."""
    s: Services = app.bot_data["services"]

    async def reload() -> None:
        result = await s.run(s.organisation.reload, None, "signal")
        log.info("organisation file reloaded on SIGHUP: %s", result)

    def hangup() -> None:
        app.bot_data["reloading"] = asyncio.get_running_loop().create_task(reload())

    asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, hangup)


async def on_start(app: Application) -> None:
    descriptions = labels("command")
    await app.bot.set_my_commands([BotCommand(c, descriptions[c]) for c in COMMANDS])
    if app.job_queue is not None:
        # Nothing is persisted in APScheduler: both jobs are rebuilt here at every start, and the first
        # scan right away does, once, whatever fell due while the bot was down.
        late_ok = {"misfire_grace_time": 300, "coalesce": True, "max_instances": 1}
        app.job_queue.run_repeating(deliver_job, interval=OUTBOX_INTERVAL, first=1, name="outbox",
                                    job_kwargs=late_ok)
        app.job_queue.run_repeating(scan_job, interval=SCAN_INTERVAL, first=0, name="scan", job_kwargs=late_ok)
    if app.bot_data["services"].organisation.read_file is not None and hasattr(signal, "SIGHUP"):
        reload_on_hangup(app)
    await app.bot_data["deliverer"].flush()


def build_application(services: Services, token: str, base_url: str | None = None, base_file_url: str | None = None,
                      group_rate: float | None = None, jobs: bool = True) -> Application:
    """`group_rate` (messages a minute into one group; 0: unpaced) defaults to the rules' delivery section."""
    delivery = services.rules.delivery
    builder = (
        ApplicationBuilder()
        .token(token)
        .defaults(Defaults(tzinfo=services.rules.tz, parse_mode=ParseMode.HTML))
        .context_types(ContextTypes(context=HotlineContext))
        .rate_limiter(AIORateLimiter(overall_max_rate=delivery.overall_per_second, overall_time_period=1,
                                     group_max_rate=delivery.group_per_minute if group_rate is None else group_rate,
                                     group_time_period=60, max_retries=0))
        .post_init(on_start)
    )
    if base_url:
        builder = builder.base_url(base_url).base_file_url(base_file_url or base_url.replace("/bot", "/file/bot"))
    if not jobs:
        builder = builder.job_queue(None)
    app = builder.build()
    app.bot_data["services"] = services
    app.bot_data["deliverer"] = Deliverer(app)
    register(app)
    return app


async def probe(settings) -> None:
    """Ask Telegram who we are once, before polling, so a bad token or server is one clear sentence."""
    kwargs = {"base_url": settings.base_url, "base_file_url": settings.base_file_url} if settings.base_url else {}
    async with Bot(settings.token, **kwargs) as bot:
        await bot.get_me()


def run_bot(settings, config) -> int:
    """`hotline-bot run`: upgrade the database, load the organisation, poll (or serve a webhook).

    `settings` and `config` (bot/config.py: Settings, Configuration) were read and checked before."""
    def fail(message: str) -> int:
        print(message, file=sys.stderr)
        return 1

    if not settings.token:
        return fail(text("run_no_token"))
    try:
        db = Database(settings.database_url)
        db.upgrade()
        with db.session() as session:
            apply_config(session, config.organisation)
    except SQLAlchemyError as exc:
        return fail(text("cli_db_error", detail=str(exc).splitlines()[0]))
    services = Services(db, config.rules, config.calendar, form_templates=settings.form_templates,
                        evidence_dir=settings.evidence_dir, evidence_limit_mb=settings.evidence_limit_mb,
                        file_limits=settings.file_limits)
    if settings.config is not None:
        services.organisation.read_file = lambda: load_configuration(settings).organisation
    app = build_application(services, settings.token, settings.base_url, settings.base_file_url)
    try:
        asyncio.run(probe(settings))
    except InvalidToken:
        return fail(text("run_bad_token"))
    except NetworkError as exc:
        return fail(text("run_unreachable", detail=exc))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        if settings.webhook_url:
            app.run_webhook(listen="0.0.0.0", port=settings.webhook_port, webhook_url=settings.webhook_url,
                            allowed_updates=Update.ALL_TYPES)
        else:
            app.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        return fail(text("run_bad_token"))
    except NetworkError as exc:
        return fail(text("run_unreachable", detail=exc))
    return 0
