"""Reading an administrator's TOML file, and saying in one Chinese sentence what is wrong with it.

Every configuration file (the rules, a rules or holiday override, the
organisation file) and the environment go through pydantic models; a
`ValidationError` becomes a `ConfigError` whose message names the file and the
key, e.g. 「配置文件 /etc/hotline/rules.toml 有误：stage.reply.962200.working_days 应为整数」.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from templates import label, text


class ConfigError(ValueError):
    """A configuration that keeps the bot from starting; the message is one sentence for the administrator."""


class Strict(BaseModel):
    """A table of a configuration file: no unknown key, no coercion (a "4" is not a 4)."""

    model_config = ConfigDict(extra="forbid", strict=True)


M = TypeVar("M", bound=BaseModel)

# pydantic's error types, by the type the administrator is told (templates/labels.toml, config_type).
_TYPES = ("int", "float", "string", "bool", "list", "tuple", "set", "dict", "model", "model_attributes", "date", "time")
_TYPE_ERRORS = {
    **{f"{name}_type": name for name in _TYPES},
    "int_parsing": "int",
    "int_from_float": "int",
    "float_parsing": "float",
    "bool_parsing": "bool",
    "date_parsing": "date",
    "date_from_datetime_inexact": "date",
    "date_from_datetime_parsing": "date",
    "time_parsing": "time",
}
_LIMITS = {"greater_than_equal": ("ge", "config_at_least"), "less_than_equal": ("le", "config_at_most"),
           "greater_than": ("gt", "config_above"), "less_than": ("lt", "config_below")}


def problem(kind: str, **values: Any) -> PydanticCustomError:
    """An error of our own validators; `kind` is its template in templates/text.toml."""
    return PydanticCustomError(kind, kind, values)


def key_of(loc: Sequence[str | int], prefix: Sequence[str] = ()) -> str:
    """stage.reply.962200.working_days; the n-th table of a list as members[n] (counted from 1)."""
    out = ""
    for part in (*prefix, *loc):
        if part == "[key]":
            continue
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def describe(error: dict, prefix: Sequence[str] = ()) -> str:
    """One pydantic error, in Chinese: what is wrong with which key."""
    kind, ctx = error["type"], dict(error.get("ctx") or {})
    key = key_of(error["loc"], prefix)
    if "at" in ctx:
        key = ".".join(k for k in (key, str(ctx.pop("at"))) if k)
    if kind.startswith("config_"):
        return text(kind, field=key, **ctx)
    if kind == "extra_forbidden":
        return text("config_unknown_key", field=key)
    if kind == "missing":
        return text("config_missing", field=key)
    if kind in _TYPE_ERRORS:
        return text("config_type", field=key, type=label("config_type", _TYPE_ERRORS[kind]))
    if kind in _LIMITS:
        name, template = _LIMITS[kind]
        limit = ctx[name]
        return text(template, field=key, limit=int(limit) if float(limit).is_integer() else limit)
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        choices = re.findall(r"'([^']*)'", expected) or [expected.lower()]
        if len(choices) == 1:
            return text("config_equals", field=key, value=choices[0])
        return text("config_one_of", field=key, choices="、".join(choices))
    if kind == "string_too_short":
        return text("config_empty", field=key)
    if kind == "too_short":
        return text("config_at_least_items", field=key, count=ctx.get("min_length"))
    if kind == "too_long":
        return text("config_at_most_items", field=key, count=ctx.get("max_length"))
    return text("config_bad_value", field=key)


def from_validation(exc: ValidationError, where: Path | str | None, prefix: Sequence[str] = ()) -> ConfigError:
    """The first error of a validation, as one sentence naming the file (or the configuration) and the key."""
    what = describe(exc.errors(include_url=False)[0], prefix)
    if where is None:
        return ConfigError(text("config_invalid", problem=what))
    return ConfigError(text("config_file_invalid", path=where, problem=what))


def check(model: type[M], data: Any, where: Path | str | None, prefix: Sequence[str] = ()) -> M:
    """`data` validated as `model`; a ConfigError naming `where` (a file) and the key otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation(exc, where, prefix) from None


_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_toml(path: Path | str) -> dict:
    """An administrator's TOML file; a missing, unreadable or malformed one is a ConfigError naming the file."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(text("config_file_missing", path=path)) from None
    except OSError:
        raise ConfigError(text("config_file_unreadable", path=path)) from None
    except UnicodeDecodeError:
        raise ConfigError(text("config_file_not_utf8", path=path)) from None
    except tomllib.TOMLDecodeError as exc:
        at = _POSITION.search(str(exc))
        if at is None:
            raise ConfigError(text("config_file_not_toml", path=path)) from None
        raise ConfigError(text("config_file_not_toml_at", path=path, line=at[1], column=at[2])) from None
