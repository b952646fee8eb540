"""Settings from the environment (and a .env file) and the administrator's TOML configuration."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

from bot.calendar import WorkCalendar, load_overrides, parse_overrides
from bot.rules import Rules, RulesError, load_rules, read_toml
from templates import text


class ConfigError(Exception):
    """A setting that keeps the bot from starting; the message is for the administrator."""


@dataclass
class Settings:
    token: str | None
    database_url: str
    config_path: Path | None
    base_url: str | None = None
    base_file_url: str | None = None
    webhook_url: str | None = None
    webhook_port: int = 8443
    config: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, env_file: str | None = ".env") -> Settings:
        if env_file and Path(env_file).exists():
            load_dotenv(env_file, override=False)
        base = os.environ.get("HOTLINE_TELEGRAM_BASE_URL") or None
        config_path = os.environ.get("HOTLINE_CONFIG") or None
        settings = cls(
            token=os.environ.get("HOTLINE_BOT_TOKEN") or None,
            database_url=os.environ.get("HOTLINE_DATABASE_URL") or "sqlite:///hotline.db",
            config_path=Path(config_path) if config_path else None,
            base_url=(base.rstrip("/") + "/bot") if base else None,
            base_file_url=(base.rstrip("/") + "/file/bot") if base else None,
            webhook_url=os.environ.get("HOTLINE_WEBHOOK_URL") or None,
            webhook_port=int(os.environ.get("HOTLINE_WEBHOOK_PORT") or 8443),
        )
        settings.config = read_config(settings.config_path)
        return settings

    def rules(self) -> Rules:
        try:
            return load_rules(self.config.get("rules") or None)
        except RulesError as exc:
            raise ConfigError(str(exc)) from exc

    def calendar(self) -> WorkCalendar:
        try:
            overrides = parse_overrides(self.config["holidays"]) if self.config.get("holidays") else None
            if overrides is None and os.environ.get("HOTLINE_HOLIDAYS"):
                overrides = load_overrides(os.environ["HOTLINE_HOLIDAYS"])
        except RulesError as exc:
            raise ConfigError(str(exc)) from exc
        return WorkCalendar(overrides)


def read_config(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        return read_toml(path)
    except RulesError as exc:
        raise ConfigError(text("config_error", detail=exc)) from exc
