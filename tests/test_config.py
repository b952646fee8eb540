"""Typed configuration: the environment, the rules and the override files, the organisation file.

Whatever is wrong stops every command with one Chinese sentence naming the file and the key, exit status 1.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.app import build_application
from bot.cli import main
from bot.config import Settings, load_configuration, load_settings
from bot.rules import load_rules

RECEIVED = ["--received", "2026-09-29T10:00"]
COMMANDS = {
    "deadline": ["deadline", *RECEIVED, "--immediate"],
    "db upgrade": ["db", "upgrade"],
    "import": ["import", "tickets.csv"],
    "report": ["report", "--from", "2026-09-28", "--to", "2026-10-04", "--out", "week.xlsx"],
    "kb": ["kb", "search", "低保"],
    "run": ["run"],
}


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A clean directory (no .env) and environment, with its own database."""
    for name in ("BOT_TOKEN", "CONFIG", "RULES", "HOLIDAYS", "TELEGRAM_BASE_URL", "WEBHOOK_URL", "WEBHOOK_PORT",
                 "EVIDENCE_DIR", "EVIDENCE_LIMIT_MB"):
        monkeypatch.delenv(f"HOTLINE_{name}", raising=False)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path}/hotline.db")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def refused(capsys, argv: list[str]) -> str:
    """The command's sentence on standard error; it must exit 1 and print nothing else."""
    code = main(argv)
    out = capsys.readouterr()
    assert code == 1, out
    assert out.out == ""
    assert out.err.count("\n") == 1 and "Traceback" not in out.err
    return out.err.rstrip("\n")


def write(path, content: str):
    path.write_text(content, encoding="utf-8")
    return path


# --- the rules and the holiday override -----------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_a_typo_in_a_rules_override_stops_every_command(home, capsys, command):
    rules = write(home / "rules.toml", '[stage.reply]\n"962200" = { workingdays = 4 }\n')
    assert refused(capsys, ["--rules", str(rules), *COMMANDS[command]]) == (
        f"配置文件 {rules} 有误：stage.reply.962200.workingdays 是未知的键")


@pytest.mark.parametrize(
    ("override", "sentence"),
    [
        ('[stage.reply]\n"962200" = { working_days = "4" }\n', "stage.reply.962200.working_days 应为整数"),
        ('[stage.replly]\n"962200" = { working_days = 4 }\n', "stage.replly 是未知的键"),
        ('[stage.reply]\n"96220" = { working_days = 4 }\n', "stage.reply.96220 是未知的键"),
        ("[workflow]\nreturn_requires_evidence = 1\n", "workflow.return_requires_evidence 应为布尔值"),
        ('[lists]\ntags = "中国政府网民留言"\n', "lists.tags 应为列表"),
        ("[lists]\ntags = [1]\n", "lists.tags[1] 应为文本"),
        ('[reports]\ndigest_time = "8点半"\n', 'reports.digest_time 应为时刻，如 "08:30"'),
        ('[warnings]\nworking_hours = ["17:30", "08:30"]\n', "warnings.working_hours 的开始时刻应早于结束时刻"),
        ("[delivery]\noverall_per_second = 0\n", "delivery.overall_per_second 应大于 0"),
        ('[stage.reply]\n"962200" = { working_days = -1 }\n', "stage.reply.962200.working_days 应不小于 0"),
        ('[stage.reply]\n"962200" = { immediate = false }\n', "stage.reply.962200.immediate 只能是 true"),
        ('[overall."12345"]\nordinary = { overall = true }\n', "overall.12345.ordinary 是办结时效本身，不能写 overall = true"),
        ('timezone = "Asia/Songjiang"\n', 'timezone 不是已知的时区，如 "Asia/Shanghai"'),
    ],
)
def test_a_wrong_rules_override_is_one_sentence(home, capsys, override, sentence):
    rules = write(home / "rules.toml", override)
    assert refused(capsys, ["--rules", str(rules), *COMMANDS["deadline"]]) == f"配置文件 {rules} 有误：{sentence}"


def test_the_rules_file_of_the_environment_is_checked_too(home, capsys, monkeypatch):
    rules = write(home / "mine.toml", "[delivery]\nburst_merge_over = 2.5\n")
    monkeypatch.setenv("HOTLINE_RULES", str(rules))
    assert refused(capsys, COMMANDS["db upgrade"]) == f"配置文件 {rules} 有误：delivery.burst_merge_over 应为整数"


def test_an_override_replaces_a_deadline_rule_whole():
    rules = load_rules({"stage": {"reply": {"12345": {"working_days": 5}}}})
    assert rules.stage_rule("reply", "12345").working_days == 5
    assert rules.stage_rule("reply", "12345", "ordinary").working_days == 6  # the shipped rule beside it stays
    assert rules.delivery.overall_per_second == 30 and rules.workflow.extension_max_working_days == 10


@pytest.mark.parametrize(
    ("holidays", "sentence"),
    [
        ('[2027]\nholiday = ["2027-01-01"]\n', "2027.holiday 是未知的键"),
        ('[2027]\nholidays = ["2027-02-30"]\n', '2027.holidays[1] 应为日期，如 "2027-01-01"'),
        ('[2027]\nholidays = ["2028-01-01"]\n', "2027.holidays 中的 2028-01-01 不在 2027 年"),
        ('[x2027]\nholidays = []\n', "x2027 不是年份，如 [2027]"),
        ('[2027]\nholidays = [2027-01-01]\nworkdays = ["2027-01-01"]\n', "2027 中的 2027-01-01 既是假日又是调休上班日"),
    ],
)
def test_a_wrong_holiday_override_is_one_sentence(home, capsys, holidays, sentence):
    path = write(home / "holidays.toml", holidays)
    assert refused(capsys, ["--holidays", str(path), *COMMANDS["deadline"]]) == f"配置文件 {path} 有误：{sentence}"


# --- missing and broken files ----------------------------------------------------------------


@pytest.mark.parametrize("option", ["--rules", "--holidays"])
def test_a_missing_override_file(home, capsys, option):
    missing = home / "nowhere.toml"
    assert refused(capsys, [option, str(missing), *COMMANDS["deadline"]]) == f"配置文件 {missing} 不存在"


def test_a_missing_config_file(home, capsys, monkeypatch):
    missing = home / "hotline.toml"
    monkeypatch.setenv("HOTLINE_CONFIG", str(missing))
    assert refused(capsys, COMMANDS["run"]) == f"配置文件 {missing} 不存在"


def test_a_broken_toml_file(home, capsys, monkeypatch):
    config = write(home / "hotline.toml", '[[departments]]\ncode = "office"\nname = 局办公室\n')
    monkeypatch.setenv("HOTLINE_CONFIG", str(config))
    assert refused(capsys, COMMANDS["report"]) == f"配置文件 {config} 不是有效的 TOML：第 3 行第 8 列有误"


def test_a_config_file_that_is_not_utf8(home, capsys, monkeypatch):
    config = home / "hotline.toml"
    config.write_bytes('[[departments]]\nname = "局办公室"\n'.encode("gbk"))
    monkeypatch.setenv("HOTLINE_CONFIG", str(config))
    assert refused(capsys, COMMANDS["kb"]) == f"配置文件 {config} 不是 UTF-8 编码的文本"


def test_hotline_bot_run_says_it_in_one_sentence(tmp_path):
    """Through the installed entry point: exit 1, one line, no English, no traceback."""
    missing = tmp_path / "none.toml"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HOTLINE_BOT_TOKEN": "1:X",
           "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/run.db", "HOTLINE_CONFIG": str(missing)}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"配置文件 {missing} 不存在\n")


# --- the organisation file -------------------------------------------------------------------

OFFICE = '[[departments]]\ncode = "office"\nname = "局办公室"\noffice = true\n\n'


@pytest.mark.parametrize(
    ("config", "sentence"),
    [
        (OFFICE + '[[members]]\nname = "王芳"\ntelegram = 1001\n', "members[1].telegram 是未知的键"),
        (OFFICE + '[[members]]\nname = "王芳"\ntelegram_id = "1001"\n', "members[1].telegram_id 应为整数"),
        (OFFICE + '[[members]]\ntelegram_id = 1001\n', "缺少必填项 members[1].name"),
        (OFFICE + '[[members]]\nname = "王芳"\nroles = "office"\n', "members[1].roles 应为列表"),
        (OFFICE + '[[members]]\nname = "王芳"\nroles = ["pilot"]\n',
         "members[1].roles[1] 的 pilot 不是已知的角色，可选：office、handler、business_leader、petition_leader、"
         "main_leader、admin"),
        (OFFICE + '[[members]]\nname = "李强"\nroles = ["handler"]\n',
         "members[1].roles 的角色 handler 须指明科室（department，或写作 handler:科室代码）"),
        (OFFICE + '[[members]]\nname = "李强"\ndepartment = "jiuzhu"\nroles = ["handler"]\n',
         "members[1].roles 的科室 jiuzhu 不在 departments 中"),
        (OFFICE + '[[departments]]\ncode = "office"\nname = "办公室"\n', "departments[2].code 的 office 重复出现"),
        (OFFICE + '[[departments]]\ncode = "jiuzhu"\n', "缺少必填项 departments[2].name"),
        ('[[department]]\ncode = "office"\nname = "局办公室"\n', "department 是未知的键"),
        (OFFICE + '[rules.stage.reply]\n"962200" = { working_days = "4" }\n',
         "rules.stage.reply.962200.working_days 应为整数"),
        (OFFICE + '[holidays.2027]\nholidays = ["2027-13-01"]\n', 'holidays.2027.holidays[1] 应为日期，如 "2027-01-01"'),
    ],
)
def test_a_wrong_organisation_file_is_one_sentence(home, capsys, monkeypatch, config, sentence):
    path = write(home / "hotline.toml", config)
    monkeypatch.setenv("HOTLINE_CONFIG", str(path))
    assert refused(capsys, COMMANDS["run"]) == f"配置文件 {path} 有误：{sentence}"


def test_the_config_file_rules_and_holidays_come_on_top_of_the_override_files(home):
    rules = write(home / "rules.toml", '[stage.reply]\n"962200" = { working_days = 5 }\npetition = { working_days = 9 }\n')
    holidays = write(home / "holidays.toml", '[2027]\nholidays = ["2027-01-01"]\n')
    config = write(home / "hotline.toml", OFFICE + '[rules.stage.reply]\n"962200" = { working_days = 3 }\n\n'
                                                   '[holidays.2028]\nholidays = ["2028-01-03"]\n')
    loaded = load_configuration(Settings(config=config, rules=rules, holidays=holidays, _env_file=None))
    assert loaded.rules.stage_rule("reply", "962200").working_days == 3
    assert loaded.rules.stage_rule("reply", "petition").working_days == 9
    assert loaded.calendar.source(2027) == loaded.calendar.source(2028) == "override"
    assert [d.code for d in loaded.organisation.departments] == ["office"]


# --- the environment -------------------------------------------------------------------------


def test_settings_from_the_environment(home, monkeypatch):
    monkeypatch.setenv("HOTLINE_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("HOTLINE_CONFIG", "examples/config.toml")
    monkeypatch.setenv("HOTLINE_WEBHOOK_PORT", "8088")
    monkeypatch.setenv("HOTLINE_WEBHOOK_URL", "")  # empty is unset
    settings = load_settings()
    assert settings.token == "123:abc" and "123:abc" not in repr(settings)
    assert str(settings.config) == "examples/config.toml" and settings.webhook_port == 8088
    assert settings.webhook_url is None and settings.rules is None
    assert settings.database_url == f"sqlite:///{home}/hotline.db"
    assert str(settings.evidence_dir) == "evidence" and settings.evidence_limit_mb == 20  # the defaults


def test_the_evidence_store_and_its_limit_are_configurable(home, monkeypatch, capsys):
    """The bureau's copy of the evidence where the bureau keeps its files; a local Bot API server allows more."""
    monkeypatch.setenv("HOTLINE_EVIDENCE_DIR", "/srv/hotline/evidence")
    monkeypatch.setenv("HOTLINE_EVIDENCE_LIMIT_MB", "2000")
    settings = load_settings()
    assert str(settings.evidence_dir) == "/srv/hotline/evidence" and settings.evidence_limit_mb == 2000
    monkeypatch.setenv("HOTLINE_EVIDENCE_LIMIT_MB", "0")
    assert "HOTLINE_EVIDENCE_LIMIT_MB" in refused(capsys, COMMANDS["run"])


def test_settings_from_a_dotenv_file_under_the_environment(home, monkeypatch):
    monkeypatch.delenv("HOTLINE_DATABASE_URL")
    write(home / ".env", "HOTLINE_BOT_TOKEN=1:FROM-FILE\nHOTLINE_HOLIDAYS=holidays.toml\nHOTLINE_WEBHOOK_PORT=9000\n"
                         "EDITOR=vi\n")
    monkeypatch.setenv("HOTLINE_WEBHOOK_PORT", "9100")
    settings = load_settings()
    assert settings.token == "1:FROM-FILE" and str(settings.holidays) == "holidays.toml"
    assert settings.webhook_port == 9100  # the environment wins over the file
    assert settings.database_url == "sqlite:///hotline.db"
    assert load_settings(env_file=None).token is None


def test_a_typo_in_the_dotenv_file_stops_the_start(home, capsys):
    write(home / ".env", "HOTLINE_BOT_TOKEN=1:X\nHOTLINE_DATABSE_URL=sqlite:///other.db\n")
    assert refused(capsys, COMMANDS["run"]) == "配置文件 .env 有误：HOTLINE_DATABSE_URL 是未知的键"


def test_a_wrong_variable_stops_the_start(home, capsys, monkeypatch):
    monkeypatch.setenv("HOTLINE_WEBHOOK_PORT", "八四四三")
    assert refused(capsys, COMMANDS["run"]) == "环境变量或 .env 文件有误：HOTLINE_WEBHOOK_PORT 应为整数"


@pytest.mark.parametrize("given", ["http://127.0.0.1:8081", "http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot",
                                   "http://127.0.0.1:8081/bot/"])
def test_the_bot_api_server_with_or_without_bot(given):
    settings = Settings(telegram_base_url=given, _env_file=None)
    assert settings.base_url == "http://127.0.0.1:8081/bot"
    assert settings.base_file_url == "http://127.0.0.1:8081/file/bot"
    assert Settings(_env_file=None).base_url is None


# --- the rules at work -----------------------------------------------------------------------


def test_the_rate_limiter_follows_the_rules():
    rules = load_rules({"delivery": {"overall_per_second": 12, "group_per_minute": 7}})
    limiter = build_application(SimpleNamespace(rules=rules), "1:X", jobs=False).bot.rate_limiter
    assert (limiter._base_limiter.max_rate, limiter._base_limiter.time_period) == (12, 1)
    assert (limiter._group_max_rate, limiter._group_time_period) == (7, 60)
    unpaced = build_application(SimpleNamespace(rules=rules), "1:X", group_rate=0, jobs=False).bot.rate_limiter
    assert unpaced._group_max_rate == 0


def test_the_examples_load(home, monkeypatch):
    examples = Path(__file__).resolve().parent.parent / "examples"
    monkeypatch.setenv("HOTLINE_CONFIG", str(examples / "config.toml"))
    monkeypatch.setenv("HOTLINE_RULES", str(examples / "rules.toml"))
    monkeypatch.setenv("HOTLINE_HOLIDAYS", str(examples / "holidays.toml"))
    loaded = load_configuration(load_settings(env_file=examples / "env.example"))
    assert loaded.rules.stage_rule("reply", "962200").working_days == 4  # config.toml's [rules] comes last
    assert loaded.rules.delivery.overall_per_second == 20 and len(loaded.organisation.members) == 4
