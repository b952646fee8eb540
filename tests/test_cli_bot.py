"""`hotline-bot demo` and `hotline-bot run`: the scripted day, and one clear sentence when it cannot start."""

from __future__ import annotations

import subprocess
import sys

from bot.sandbox.demo import run_demo
from bot.sandbox.localapi import LocalBotApi


async def test_demo_closes_all_three_channels_and_returns_one(tmp_path):
    lines = []
    assert await run_demo(tmp_path, echo=lines.append) == 0
    output = "\n".join(lines)
    assert "SJMZ-2026-000001 12345    closed" in output
    assert "SJMZ-2026-000002 petition closed" in output
    assert "SJMZ-2026-000003 962200   closed" in output
    assert "SJMZ-2026-000004 12345    returned" in output
    assert "SJMZ-2026-000005 12345    accepted" in output and "重复件</b>" not in output and "🔁 重复件" in output
    assert "延期 2 个工作日已获 陈刚 同意" in output and "知识库" in output and "最低生活保障审批时限" in output
    assert "不满意报告待签字" in output and "不满意及未回复工单核查情况" in output
    for name in ("附件1", "附件2", "附件3", "附件4", "受理告知书", "申请结单"):
        assert name in output
    assert "SH-XF-2026-0931-01" in output and "局办公室调整了：交办意见" in output
    assert len(list((tmp_path / "forms").glob("*.docx"))) >= 7
    assert "👆 陈刚 点 [同意]" in output and "🤖 → 社会救助科群" in output


def run(env: dict, tmp_path) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/run.db"}
    return subprocess.run([sys.executable, "-m", "bot.cli", "run"], env={**base, **env}, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


def test_run_without_a_token(tmp_path):
    result = run({}, tmp_path)
    assert result.returncode == 1 and "未设置 HOTLINE_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_a_rejected_token(tmp_path):
    with LocalBotApi() as api:
        base = api.base_url.removesuffix("/bot")
        result = run({"HOTLINE_BOT_TOKEN": "999:WRONG", "HOTLINE_TELEGRAM_BASE_URL": base}, tmp_path)
    assert result.returncode == 1 and "拒绝了 HOTLINE_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_an_unreachable_server(tmp_path):
    result = run({"HOTLINE_BOT_TOKEN": "1:X", "HOTLINE_TELEGRAM_BASE_URL": "http://127.0.0.1:9"}, tmp_path)
    assert result.returncode == 1 and "无法连接 Telegram 服务器" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_a_bad_config(tmp_path):
    config = tmp_path / "hotline.toml"
    config.write_text("[[members]]\nname = \"x\"\nroles = [\"pilot\"]\n", encoding="utf-8")
    result = run({"HOTLINE_BOT_TOKEN": "1:X", "HOTLINE_CONFIG": str(config)}, tmp_path)
    assert result.returncode == 1 and "hotline.toml 有误：members[1].roles[1] 的 pilot 不是已知的角色" in result.stderr
    missing = run({"HOTLINE_BOT_TOKEN": "1:X", "HOTLINE_CONFIG": str(tmp_path / "none.toml")}, tmp_path)
    assert missing.returncode == 1 and missing.stderr == f"配置文件 {tmp_path / 'none.toml'} 不存在\n"


def test_run_serves_members_through_polling(tmp_path):
    import signal
    import time

    config = tmp_path / "hotline.toml"
    config.write_text('[[departments]]\ncode = "office"\nname = "局办公室"\noffice = true\n\n'
                      '[[members]]\nname = "王芳"\ntelegram_id = 1001\nroles = ["office"]\n', encoding="utf-8")
    with LocalBotApi() as api:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/r.db",
               "HOTLINE_BOT_TOKEN": api.token, "HOTLINE_TELEGRAM_BASE_URL": api.base_url.removesuffix("/bot"),
               "HOTLINE_CONFIG": str(config)}
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            api.send_text(api.user(1001, "王芳"), "/whoami")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any("角色：局办公室" in s.text for s in api.sent):
                time.sleep(0.1)
            assert any("角色：局办公室" in s.text for s in api.sent), process.stderr.read() if process.poll() else ""
            assert [c["command"] for c in api.commands][:2] == ["start", "help"]
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


def test_the_example_config_loads(tmp_path, monkeypatch):
    from pathlib import Path

    from bot.config import load_configuration, load_settings
    from bot.organisation import apply_config
    from storage.db import Database

    example = Path(__file__).resolve().parent.parent / "examples" / "config.toml"
    monkeypatch.setenv("HOTLINE_CONFIG", str(example))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path}/c.db")
    settings = load_settings(env_file=None)
    config = load_configuration(settings)
    assert config.rules.stage_rule("reply", "962200").working_days == 4
    db = Database(settings.database_url)
    db.upgrade()
    with db.session() as session:
        assert set(apply_config(session, config.organisation)) == {"王芳", "李强", "陈刚", "孙伟"}
