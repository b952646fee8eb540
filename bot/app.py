"""The composition root: the Application, every handler registered in one place, the jobs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
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
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.config import load_configuration
from bot.organisation import apply_config
from bot.privacy import for_group, ticket_numbers
from bot.services import Services
from bot.workflow import PRESSES
from handlers import evidence, forms, intake, lookup, org, problems, router, tickets
from handlers.common import Context, HotlineContext, forged
from handlers.delivery import Deliverer
from handlers.gate import Gate
from storage.db import Database
from templates import labels, text

log = logging.getLogger(__name__)
# The library's limiter logs every 429 it passes on as an exception; RetryingLimiter and the outbox decide.
logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)

OUTBOX_INTERVAL = timedelta(seconds=1)  # the database paces what goes out; this is only how often to look
SCAN_INTERVAL = timedelta(minutes=1)  # the database says what is due; this is only how often to look
# The scheduler's duties run in one process at a time: the holder renews its lease at every scan, another
# process takes over once it has not for this long.
SCHEDULER_LEASE = 3 * SCAN_INTERVAL.total_seconds()
# Polling Telegram and processing the inbox: one process at a time, renewed at every poll and every update.
UPDATES_LEASE, POLL_SECONDS, STANDBY_SECONDS = 15.0, 5, 2.0
RETRIES = 4  # an edit or a callback answer Telegram refused for a while (429, 5xx, a reset) is tried again
# Idempotent calls, tried again after a 429 or a network fault; a send is not (the outbox retries it itself).
RETRIED = {"editMessageText", "editMessageReplyMarkup", "editMessageCaption", "answerCallbackQuery",
           "deleteMessage", "setMyCommands", "getFile", "getChat", "getMe", "setWebhook", "deleteWebhook"}
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
    """Warnings, daily rounds, digests: whatever the database says is due and not yet done; in the one
    process that holds the scheduler's lease."""
    s = context.services
    if not await s.run(s.inbox.hold, "scheduler", SCHEDULER_LEASE):
        return
    await s.run(s.clock.tick)
    await context.sender.flush()


class RetryingLimiter(AIORateLimiter):
    """The pace of the library, and a second chance: an edit or a callback answer that met a 429, a 5xx or a
    reset is tried again (so a card is not left with buttons for a step already taken); an answer to a press
    too old to answer is let go (the press itself still takes effect and edits its card)."""

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        for attempt in range(RETRIES + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest as err:  # a NetworkError too, but never worth a second try
                if endpoint == "answerCallbackQuery" and "query is too old" in str(err).lower():
                    log.info("a press answered too late: %s", err)
                    return True
                raise
            except RetryAfter as err:
                if endpoint not in RETRIED or attempt == RETRIES:
                    raise
                delay = err.retry_after
                await asyncio.sleep(delay if isinstance(delay, (int, float)) else delay.total_seconds())
            except NetworkError:
                if endpoint not in RETRIED or attempt == RETRIES:
                    raise
                await asyncio.sleep(0.2 * 2 ** attempt)
        raise AssertionError("unreachable")


# What a message shows: its text or its caption.
SHOWN = ("text", "caption")


class GroupSafeBot(ExtBot):
    """Every text, caption and edit bound for a group passes `bot.privacy.for_group` on its way out (SPEC §7,
    办法 第二十三条: every group, the office's too): the citizens of the tickets it names masked, and any
    phone, identity or house number — whichever handler, message kind or future feature wrote it."""

    def __init__(self, *args, citizens=None, prefix: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._citizens, self._prefix = citizens, prefix  # async (ticket numbers) -> [Citizen]

    async def _do_post(self, endpoint, data, **kwargs):
        chat = data.get("chat_id")
        if isinstance(chat, int) and chat < 0 and any(isinstance(data.get(k), str) for k in SHOWN):
            shown = " ".join(data[k] for k in SHOWN if isinstance(data.get(k), str))
            numbers = ticket_numbers(shown, self._prefix)
            people = await self._citizens(numbers) if numbers and self._citizens else []
            for key in SHOWN:
                if isinstance(data.get(key), str):
                    data[key] = for_group(data[key], people)
        return await super()._do_post(endpoint, data, **kwargs)


async def on_error(update: object, context: Context) -> None:
    """A fault of ours: logged, and the person told in one sentence instead of a spinner that never stops.
    Telegram's own trouble (a 429 or a network fault after the retries) is one line in the log."""
    if isinstance(context.error, TelegramError):
        log.warning("update %s: Telegram: %s", getattr(update, "update_id", "?"), context.error)
    else:
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
                      group_rate: float | None = None, jobs: bool = True, second_pace: bool = True) -> Application:
    """`group_rate` (messages a minute into one group; 0: unpaced) defaults to the rules' delivery section;
    `second_pace` False: no pace counted in seconds (overall, per private chat) — for a script whose clock
    stands still, where every message would fall in the same second."""
    delivery = services.rules.delivery
    urls = {"base_url": base_url, "base_file_url": base_file_url or base_url.replace("/bot", "/file/bot")} \
        if base_url else {}
    bot = GroupSafeBot(
        token, **urls,
        defaults=Defaults(tzinfo=services.rules.tz, parse_mode=ParseMode.HTML),
        rate_limiter=RetryingLimiter(overall_max_rate=delivery.overall_per_second, overall_time_period=1,
                                     group_max_rate=delivery.group_per_minute if group_rate is None else group_rate,
                                     group_time_period=60, max_retries=0),
        request=HTTPXRequest(connection_pool_size=256), get_updates_request=HTTPXRequest(connection_pool_size=1),
        citizens=lambda numbers: services.run(services.tickets.citizens, numbers),
        prefix=services.rules.internal_number_prefix,
    )
    builder = (
        ApplicationBuilder()
        .bot(bot)
        .context_types(ContextTypes(context=HotlineContext))
        .post_init(on_start)
    )
    if not jobs:
        builder = builder.job_queue(None)
    app = builder.build()
    app.bot_data["services"] = services
    if not second_pace:
        services.outbox.second_pace = False
    app.bot_data["deliverer"] = Deliverer(app)
    register(app)
    return app


async def probe(settings) -> None:
    """Ask Telegram who we are once, before polling, so a bad token or server is one clear sentence."""
    kwargs = {"base_url": settings.base_url, "base_file_url": settings.base_file_url} if settings.base_url else {}
    async with Bot(settings.token, **kwargs) as bot:
        await bot.get_me()


def services_from(settings, config, db: Database) -> Services:
    """The services `hotline-bot run` works with, as the settings and the configuration name them: the office's
    Word templates (HOTLINE_FORM_TEMPLATES), the evidence store and its limit, the limits of files sent in."""
    return Services(db, config.rules, config.calendar, form_templates=settings.form_templates,
                    evidence_dir=settings.evidence_dir, evidence_limit_mb=settings.evidence_limit_mb,
                    file_limits=settings.file_limits)


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
    services = services_from(settings, config, db)
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
    app.bot_data["services"].name_instance(settings.instance)
    try:
        asyncio.run(serve(app, settings))
    except InvalidToken:
        return fail(text("run_bad_token"))
    except NetworkError as exc:
        return fail(text("run_unreachable", detail=exc))
    return 0


# --- updates: stored before they are acknowledged, processed from the database ------------------------------


async def serve(app: Application, settings) -> None:
    """Poll Telegram (or serve the webhook), storing every update in the inbox before the next poll tells
    Telegram it arrived; process the inbox in order; deliver the outbox. Until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    arrived = asyncio.Event()
    await app.initialize()
    server = None
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        if settings.webhook_url:
            secret = hashlib.sha256(settings.token.encode()).hexdigest()[:32]
            server = await webhook_server(app, settings.webhook_port, secret, arrived)
            await app.bot.set_webhook(settings.webhook_url, allowed_updates=Update.ALL_TYPES, secret_token=secret)
        else:
            await app.bot.delete_webhook()
        await updates_loop(app, stop, arrived, polling=not settings.webhook_url)
    finally:
        if server is not None:
            server.close()
        s = app.bot_data["services"]
        with contextlib.suppress(Exception):
            await s.run(s.inbox.release, "updates")
            await s.run(s.inbox.release, "scheduler")
        if app.running:
            await app.stop()
        await app.shutdown()


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)


async def updates_loop(app: Application, stop: asyncio.Event, arrived: asyncio.Event, polling: bool = True) -> None:
    """The process holding the `updates` lease polls and processes; the others deliver and stand by."""
    s, offset = app.bot_data["services"], None
    while not stop.is_set():
        if not await s.run(s.inbox.hold, "updates", UPDATES_LEASE):
            offset = None
            await _wait(stop, STANDBY_SECONDS)
            continue
        if polling:
            try:
                updates = await app.bot.get_updates(offset=offset, timeout=POLL_SECONDS,
                                                    allowed_updates=Update.ALL_TYPES)
            except TelegramError as err:
                log.warning("getUpdates: %s", err)
                await _wait(stop, 1.0)
                continue
            if updates:
                await s.run(s.inbox.store, [(u.update_id, u.to_dict()) for u in updates])
                offset = updates[-1].update_id + 1  # acknowledged by the next poll, once stored
        await process_inbox(app, stop)
        if not polling:
            arrived.clear()
            await _wait(arrived, 1.0)


async def process_inbox(app: Application, stop: asyncio.Event | None = None) -> int:
    """Process the stored updates in order, each marked done after its handlers ran (a repeated one after a
    crash meets the workflow's compare-and-set: "already decided"). Returns how many were processed."""
    s, count = app.bot_data["services"], 0
    while stop is None or not stop.is_set():
        batch = await s.run(s.inbox.pending)
        if not batch:
            break
        for update_id, payload in batch:
            if not await s.run(s.inbox.hold, "updates", UPDATES_LEASE):
                return count  # another process has taken over
            if not await s.run(s.inbox.attempt, update_id):
                log.error("update %s set aside after repeated attempts", update_id)
                continue
            error = None
            try:
                await app.process_update(Update.de_json(payload, app.bot))
            except Exception as err:  # noqa: BLE001 - the update is done, with its fault on record
                log.exception("update %s", update_id)
                error = f"{type(err).__name__}: {err}"
            await s.run(s.inbox.done, update_id, error)
            count += 1
    return count


async def webhook_server(app: Application, port: int, secret: str, arrived: asyncio.Event) -> asyncio.Server:
    """Telegram's webhook, on any number of processes behind one URL: each update is stored in the inbox
    before it is answered 200 (then Telegram forgets it); the process holding the lease processes it."""
    s = app.bot_data["services"]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        status = "400 Bad Request"
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length") or 0))
            if headers.get("x-telegram-bot-api-secret-token") != secret:
                status = "403 Forbidden"
            else:
                update = json.loads(body)
                await s.run(s.inbox.store, [(int(update["update_id"]), update)])
                arrived.set()
                status = "200 OK"
        except (ValueError, KeyError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as err:
            log.warning("webhook: %s", err)
        except Exception:  # the database: not answered 200, so Telegram sends it again
            log.exception("webhook: the update could not be stored")
            status = "503 Service Unavailable"
        writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "0.0.0.0", port)
