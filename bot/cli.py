"""The `hotline-bot` command line."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from bot.calendar import MAX_DAYS
from bot.config import ConfigError, Configuration, Settings, load_configuration, load_settings
from bot.deadlines import DeadlineCalculator
from bot.domain import Channel, Stage
from bot.rules import DeadlineRule
from templates import text


class CliError(Exception):
    """A message for the user about the command's arguments; the command exits with status 2.

    A configuration that cannot be used (the environment, a file it names) is a ConfigError:
    one sentence naming the file and the key, exit status 1, for every command.
    """


def _parse_time(value: str, tz) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:  # the value as typed, on one line
        raise CliError(text("cli_bad_time", value="".join(c if c.isprintable() else "?" for c in value))) from exc
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def _days(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = -1
    if not 0 <= n <= MAX_DAYS:
        raise argparse.ArgumentTypeError(text("cli_bad_number", value=value, max=MAX_DAYS))
    return n


def cmd_deadline(args: argparse.Namespace, settings: Settings, config: Configuration) -> int:
    rules = config.rules
    calc = DeadlineCalculator(rules, config.calendar)
    received = _parse_time(args.received, rules.tz)
    out: dict = {"received": received.isoformat()}
    if args.channel is None:
        if args.working_days is not None:
            rule = DeadlineRule(working_days=args.working_days)
        elif args.natural_days is not None:
            rule = DeadlineRule(natural_days=args.natural_days)
        else:
            rule = DeadlineRule(immediate=True)
        deadline = calc.compute(rule, received)
    else:
        channel = Channel(args.channel)
        kinds = rules.kinds(channel)
        kind = args.kind
        if kinds and kind is None:
            raise CliError(text("cli_kind_required", choices=", ".join(kinds)))
        if kind is not None and kinds and kind not in kinds:
            raise CliError(text("cli_bad_channel_kind", channel=channel, kind=kind, choices=", ".join(kinds)))
        stage = args.stage or (Stage.OVERALL if kinds else Stage.REPLY)
        if not kinds and kind is not None and kind not in (Stage.REPLY, "reply"):
            raise CliError(text("cli_bad_channel_kind", channel=channel, kind=kind, choices=Stage.REPLY))
        overall = calc.overall(channel, kind, received)
        deadline = calc.stage(stage, channel, kind, received, overall)
        if deadline is None:
            raise CliError(text("cli_no_stage", channel=channel, stage=stage))
        out.update(channel=str(channel), kind=kind, stage=str(stage))
    out.update(deadline.as_dict())
    if deadline.calendar_fallback:
        out["notice"] = text("calendar_fallback", years="、".join(map(str, deadline.fallback_years)))
    print(json.dumps(out, ensure_ascii=False))
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings, config: Configuration) -> int:
    from storage.db import upgrade

    revision = upgrade(settings.database_url)
    print(text("cli_db_upgraded", revision=revision))
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings, config: Configuration) -> int:
    from bot.importer import ImportFailed, import_file
    from storage.db import Database

    db = Database(settings.database_url)
    db.upgrade()
    calc = DeadlineCalculator(config.rules, config.calendar)
    try:
        report = import_file(db, calc, args.file, dry_run=args.dry_run, limits=settings.file_limits)
    except ImportFailed as exc:
        print(text("import_failed"), file=sys.stderr)
        for line in exc.lines():
            print("  " + line, file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings, config: Configuration) -> int:
    from bot.app import run_bot

    return run_bot(settings, config)


def cmd_demo(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path

    from bot.sandbox.demo import run_demo

    return asyncio.run(run_demo(Path(args.out) if args.out else None))


def cmd_report(args: argparse.Namespace, settings: Settings, config: Configuration) -> int:
    from datetime import date
    from pathlib import Path

    from bot import stats
    from storage.db import Database

    try:
        start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    except ValueError as exc:
        raise CliError(text("cli_bad_time", value=f"{args.start} {args.end}")) from exc
    if end < start:
        raise CliError(text("cli_bad_period"))
    rules = config.rules
    try:  # what is late and what is not yet due depends on when the figures are taken
        at = datetime.fromisoformat(args.at) if args.at else datetime.now(rules.tz)
    except ValueError as exc:
        raise CliError(text("cli_bad_time", value=args.at)) from exc
    at = at if at.tzinfo else at.replace(tzinfo=rules.tz)
    calc = DeadlineCalculator(rules, config.calendar)
    db = Database(settings.database_url)  # read only: no migration here
    with db.session() as session:
        result = stats.compute(session, calc, start, end, at)
        path = stats.workbook(result, Path(args.out), session, calc)
    print(stats.render_text(result).replace("<b>", "").replace("</b>", ""))
    print(text("report_written", path=path))
    return 0


def cmd_kb(args: argparse.Namespace, settings: Settings, config: Configuration) -> int:
    from pathlib import Path

    from bot import knowledge
    from storage.db import Database

    db = Database(settings.database_url)
    db.upgrade()
    with db.session() as session:
        if args.kb_command == "import":
            for name in args.files:
                try:
                    drafts = knowledge.parse_file(name, Path(name).read_bytes(), settings.file_limits)
                except OSError as exc:
                    raise CliError(text("kb_failed", detail=f"{name}：{exc.strerror or exc}")) from exc
                except knowledge.KnowledgeError as exc:
                    raise CliError(text("kb_failed", detail=exc)) from exc
                added, updated = knowledge.save(session, drafts, None, datetime.now(config.rules.tz))
                print(text("kb_cli_imported", name=name, added=added, updated=updated))
        else:
            for hit in knowledge.search(session, " ".join(args.query), limit=args.limit):
                print(f"{hit.score:6.2f}  {hit.title}（{hit.source or ''}）[{hit.category or ''}]\n        {hit.snippet}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline-bot", description="Work orders of petitions, the 12345 and the 962200 hotlines")
    parser.add_argument("--rules", help="rules override file (TOML); default $HOTLINE_RULES")
    parser.add_argument("--holidays", help="holiday override file (TOML); default $HOTLINE_HOLIDAYS")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("deadline", help="compute a deadline (working days, natural days, immediate, or by ticket)")
    p.add_argument("--received", required=True, help="ISO 8601 local time, e.g. 2026-09-29T10:00")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--working-days", type=_days)
    how.add_argument("--natural-days", type=_days)
    how.add_argument("--immediate", action="store_true")
    how.add_argument("--channel", choices=[c.value for c in Channel])
    p.add_argument("--kind", help="12345: ordinary, tagged, review, consultation, threat, suishenpai, urgent, epidemic")
    p.add_argument("--stage", choices=[s.value for s in Stage], help="a stage instead of the default")
    p.set_defaults(func=cmd_deadline)

    p = sub.add_parser("db", help="database maintenance")
    dbsub = p.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", help="apply the migrations")
    up.set_defaults(func=cmd_db_upgrade)

    p = sub.add_parser("run", help="run the bot (HOTLINE_BOT_TOKEN, HOTLINE_CONFIG, HOTLINE_DATABASE_URL, ...)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="a scripted day through the real bot and a local Bot API server")
    p.add_argument("--out", help="folder for the database and the Word forms (default: a new temporary one)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("report", help="statistics of a period as an Excel workbook")
    p.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    p.add_argument("--at", help="the figures as they stood at this moment, YYYY-MM-DDTHH:MM (default: now)")
    p.add_argument("--out", required=True, help="the .xlsx file to write")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("kb", help="the knowledge base: import entries, search")
    kbsub = p.add_subparsers(dest="kb_command", required=True)
    imp = kbsub.add_parser("import", help="Markdown (# 标题 per entry), .docx, or a 问题/答案 CSV")
    imp.add_argument("files", nargs="+")
    imp.set_defaults(func=cmd_kb)
    find = kbsub.add_parser("search", help="ranked search, as /kb in chat")
    find.add_argument("query", nargs="+")
    find.add_argument("--limit", type=int, default=5)
    find.set_defaults(func=cmd_kb)

    p = sub.add_parser("import", help="import tickets from a CSV or XLSX export")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check the file, import nothing")
    p.set_defaults(func=cmd_import)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "deadline" and args.kind and not args.channel:
        parser.error("--kind needs --channel")
    if args.command == "deadline" and args.stage and not args.channel:
        parser.error("--stage needs --channel")
    try:
        if args.command == "demo":  # the demo brings its own organisation and rules
            return args.func(args)
        settings = load_settings()
        return args.func(args, settings, load_configuration(settings, args.rules, args.holidays))
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:  # the database is unreachable, or refuses: one sentence, as `run` says it
        print(text("cli_db_error", detail=str(exc).splitlines()[0]), file=sys.stderr)
        return 2
    except (ValueError, OverflowError) as exc:  # a date past what a datetime can hold (year 1 or 9999)
        print(text("cli_out_of_range", detail=exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
