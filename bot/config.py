"""Settings from the environment (and a .env file), and the administrator's configuration they name.

`Settings` is the only reader of the environment in the product: storage, the
rules and the calendar take what it read as arguments. `load_configuration`
reads the files it names — the organisation file (HOTLINE_CONFIG, with its
optional [rules] and [holidays] tables), a rules override (HOTLINE_RULES) and
a holiday override (HOTLINE_HOLIDAYS) — each validated by its pydantic model.
Whatever is wrong becomes one ConfigError sentence naming the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.calendar import WorkCalendar, load_overrides, parse_overrides
from bot.configfile import ConfigError, describe, read_toml
from bot.files import FileLimits
from bot.organisation import Organisation, read_organisation
from bot.rules import Rules, load_rules
from storage.db import DEFAULT_URL
from templates import text

__all__ = ["ConfigError", "Configuration", "Settings", "load_configuration", "load_settings"]

ENV_PREFIX = "HOTLINE_"


class Settings(BaseSettings):
    """The environment: each field is the variable HOTLINE_<FIELD NAME>, also read from `.env`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8",
                                      env_ignore_empty=True, extra="ignore")

    bot_token: SecretStr | None = None  # kept out of logs and tracebacks; see `token`
    database_url: str = DEFAULT_URL
    config: Path | None = None  # the organisation file, with optional [rules] and [holidays]
    rules: Path | None = None  # a rules override, merged over bot/rules.toml
    holidays: Path | None = None  # a holiday override (examples/holidays.toml)
    form_templates: Path | None = None  # a directory of Word templates overriding templates/forms/*.docx
    evidence_dir: Path = Path("evidence")  # the bureau's copy of every piece of evidence sent in chat
    # the largest file the bot can download: 20 MB through Telegram's Bot API (getFile); more with a local server
    evidence_limit_mb: int = Field(default=20, ge=1, le=2000)
    telegram_base_url: str | None = None  # a local Bot API server, e.g. http://127.0.0.1:8081
    webhook_url: str | None = None  # serve a webhook there instead of long polling
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # files the office sends (bot/files.py): checked before they are parsed
    file_max_bytes: int = Field(default=FileLimits.max_bytes, ge=1)
    file_max_unpacked_bytes: int = Field(default=FileLimits.max_unpacked_bytes, ge=1)
    file_max_members: int = Field(default=FileLimits.max_members, ge=1)
    file_max_rows: int = Field(default=FileLimits.max_rows, ge=1)
    instance: str | None = None  # this process's name among several (default: host and process id)

    @property
    def token(self) -> str | None:
        return self.bot_token.get_secret_value() if self.bot_token else None

    @property
    def file_limits(self) -> FileLimits:
        return FileLimits(self.file_max_bytes, self.file_max_unpacked_bytes, self.file_max_members,
                          self.file_max_rows)

    @property
    def _server(self) -> str | None:
        """The Bot API server without the /bot the library appends (given with it or without)."""
        if not self.telegram_base_url:
            return None
        return self.telegram_base_url.rstrip("/").removesuffix("/bot")

    @property
    def base_url(self) -> str | None:
        return self._server and self._server + "/bot"

    @property
    def base_file_url(self) -> str | None:
        return self._server and self._server + "/file/bot"


def load_settings(env_file: Path | str | None = ".env") -> Settings:
    """The settings, or a ConfigError naming the variable that is wrong.

    A HOTLINE_ variable in the .env file that is none of the settings is refused (a typo would
    otherwise fall back to a default silently); other variables there are left alone."""
    try:
        settings = Settings(_env_file=env_file)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        error["loc"] = tuple(ENV_PREFIX + str(p).upper() if isinstance(p, str) else p for p in error["loc"])
        raise ConfigError(text("config_env_invalid", problem=describe(error))) from None
    if env_file is not None and Path(env_file).is_file():
        known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
        for name in dotenv_values(env_file):
            if name.upper().startswith(ENV_PREFIX) and name.upper() not in known:
                raise ConfigError(text("config_file_invalid", path=env_file,
                                       problem=text("config_unknown_key", field=name)))
    return settings


@dataclass
class Configuration:
    """What the settings' files say: the rules, the calendar and the organisation, all validated."""

    rules: Rules
    calendar: WorkCalendar
    organisation: Organisation = field(default_factory=Organisation)


def load_configuration(settings: Settings, rules: Path | str | None = None,
                       holidays: Path | str | None = None) -> Configuration:
    """Read and check every file the settings name; `rules` and `holidays` (command-line options) win.

    The rules are bot/rules.toml, then the rules override file, then the organisation file's
    [rules]; the holidays are the override file's years, then the organisation file's.
    """
    organisation = Organisation()
    if settings.config is not None:
        organisation = read_organisation(read_toml(settings.config), settings.config)
    loaded = load_rules(rules or settings.rules)
    if organisation.rules:
        loaded = loaded.merged(organisation.rules, settings.config, ("rules",))
    overrides = load_overrides(holidays or settings.holidays)
    if organisation.holidays:
        overrides |= parse_overrides(organisation.holidays, settings.config, ("holidays",))
    return Configuration(loaded, WorkCalendar(overrides or None), organisation)
