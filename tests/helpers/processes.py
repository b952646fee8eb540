"""`hotline-bot run` as separate processes against the local Bot API server and one database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text as sql

from storage.db import make_engine

ROOT = Path(__file__).resolve().parents[2]


def organisation_toml(organisation: dict) -> str:
    """The organisation as the HOTLINE_CONFIG file writes it."""
    out = []
    for section in ("departments", "members"):
        for item in organisation[section]:
            out.append(f"[[{section}]]")
            for key, value in item.items():
                if isinstance(value, bool):
                    out.append(f"{key} = {'true' if value else 'false'}")
                elif isinstance(value, (int, float)):
                    out.append(f"{key} = {value}")
                elif isinstance(value, list):
                    out.append(f"{key} = [{', '.join(repr(v).replace(chr(39), chr(34)) for v in value)}]")
                else:
                    out.append(f'{key} = "{value}"')
            out.append("")
    return "\n".join(out)


@contextmanager
def pg_schema(url: str):
    """A schema of its own on the tests' PostgreSQL server: the URL that reads it."""
    from sqlalchemy.engine import make_url

    schema = f"mp_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(sql(f"CREATE SCHEMA {schema}"))
    try:
        yield make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sql(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


class Bots:
    """Bot processes started, killed and stopped by their process ids."""

    def __init__(self, api, database_url: str, config: Path, folder: Path, rules: Path | None = None):
        self.api, self.url, self.config, self.folder, self.rules = api, database_url, config, folder, rules
        self.processes: dict[str, subprocess.Popen] = {}
        self.starts = 0
        self.env: dict[str, str] = {}  # more of the environment, e.g. a webhook

    def start(self, instance: str) -> subprocess.Popen:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.folder),
               "HOTLINE_DATABASE_URL": self.url, "HOTLINE_BOT_TOKEN": self.api.token,
               "HOTLINE_TELEGRAM_BASE_URL": self.api.base_url.removesuffix("/bot"),
               "HOTLINE_CONFIG": str(self.config), "HOTLINE_INSTANCE": instance,
               "PYTHONPATH": str(ROOT)}
        if self.rules:
            env["HOTLINE_RULES"] = str(self.rules)
        env.update(self.env)
        self.starts += 1
        log = open(self.folder / f"{instance}-{self.starts}.log", "w")  # noqa: SIM115 - the process owns it
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=self.folder,
                                   stdout=log, stderr=subprocess.STDOUT)
        self.processes[instance] = process
        return process

    def kill(self, instance: str) -> None:
        process = self.processes.pop(instance)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.folder.glob("*.log")))


def wait_until(condition, seconds: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()
