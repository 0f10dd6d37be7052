"""Pydantic's validation errors (a bad setting, a bad option value) as catalogue texts in the
CLI's language, instead of pydantic's English."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from tgassist.core.i18n import catalogues, default_language, t

# pydantic error type → the `cli.value.*` key that tells it; the ctx of each type gives the
# parameters (gt, ge, lt, le, expected, pattern, min_length, max_length).
KEYS: dict[str, str] = {
    "missing": "cli.value.missing",
    "int_parsing": "cli.value.int",
    "int_type": "cli.value.int",
    "int_from_float": "cli.value.int",
    "float_parsing": "cli.value.float",
    "float_type": "cli.value.float",
    "bool_parsing": "cli.value.bool",
    "bool_type": "cli.value.bool",
    "url_parsing": "cli.value.url",
    "url_type": "cli.value.url",
    "url_scheme": "cli.value.url_scheme",
    "enum": "cli.value.choice",
    "literal_error": "cli.value.choice",
    "string_pattern_mismatch": "cli.value.pattern",
    "greater_than": "cli.value.gt",
    "greater_than_equal": "cli.value.ge",
    "less_than": "cli.value.lt",
    "less_than_equal": "cli.value.le",
    "string_too_short": "cli.value.too_short",
    "string_too_long": "cli.value.too_long",
    "datetime_parsing": "cli.value.datetime",
    "datetime_from_date_parsing": "cli.value.datetime",
    "datetime_type": "cli.value.datetime",
    "date_parsing": "cli.value.date",
    "date_from_datetime_parsing": "cli.value.date",
    "date_from_datetime_inexact": "cli.value.date",
    "date_type": "cli.value.date",
    "time_parsing": "cli.value.time",
    "time_type": "cli.value.time",
    "uuid_parsing": "cli.value.uuid",
    "uuid_type": "cli.value.uuid",
    "uuid_version": "cli.value.uuid",
    "decimal_parsing": "cli.value.float",
    "decimal_type": "cli.value.float",
}
# Typer's own checks raise these inside a pydantic validator (`typer._adapters`): an Enum or
# Literal option, a datetime option with `formats=`, a tuple option from an environment variable
_TYPER_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?P<input>.*) is not one of (?P<expected>.*)\.", re.DOTALL), "cli.value.choice"),
    (
        re.compile(r"(?P<input>.*) does not match the formats (?P<formats>.*)\.", re.DOTALL),
        "cli.value.formats",
    ),
    (
        re.compile(r"(?P<count>\d+) values are required, but (?P<given>\d+) given\."),
        "cli.value.count",
    ),
)


def validation_text(error: ErrorDetails, *, show_input: bool = True) -> str:
    """One pydantic error in the CLI's language. `show_input=False` for a secret's value."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    shown = repr(error.get("input")) if show_input else "***"
    if kind in catalogues()[default_language()]:
        return t(kind, None, **ctx)  # a validator of ours raised PydanticCustomError(key, …)
    if kind == "value_error":
        for pattern, typer_key in _TYPER_ERRORS:
            found = pattern.fullmatch(str(ctx.get("error", "")))
            if found:
                params = found.groupdict()
                if "formats" in params:  # '%Y-%m-%d' → 'ГГГГ-ММ-ДД'
                    from tgassist.cli.chrome import format_name

                    params["formats"] = format_name(params["formats"])
                return t(typer_key, None, **params)
    key = KEYS.get(kind)
    if key is None:
        return t("cli.value.invalid", None, kind=kind, input=shown)
    for name in ("expected", "expected_schemes"):  # pydantic's "'ru' or 'en'": an English word
        if name in ctx:
            ctx[name] = str(ctx[name]).replace(" or ", ", ")
    return t(key, None, input=shown, **ctx)


def settings_error_text(err: ValidationError, fields: Mapping[str, FieldInfo]) -> str:
    """The first refused setting: its variable, then why. The value of a secret or a URL (it may
    hold a password) is never shown, as the settings' `hide_input_in_errors` promises."""
    first = err.errors()[0]
    field = str(first["loc"][0]) if first.get("loc") else ""
    info = fields.get(field)
    secret = field.endswith("_url") or (info is not None and "SecretStr" in str(info.annotation))
    name = f"TGASSIST_{field.upper()}" if field else "settings"
    return f"{name}: {validation_text(first, show_input=not secret)}"


__all__ = ["settings_error_text", "validation_text"]
