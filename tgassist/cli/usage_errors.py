"""Typer's usage errors (a missing argument, an unknown option or command, a bad value …) in the
CLI's language.

Typer vendors its own Click (`typer._click`), whose messages are plain English f-strings, not
gettext calls: there is no catalogue to hook. So an error is told again from what it carries —
its class and parameter for most, its English text (matched below) for those raised with
`ctx.fail(text)` only."""

from __future__ import annotations

import re

from pydantic import ValidationError
from typer._click import exceptions as click_errors

from tgassist.cli.common import say
from tgassist.cli.validation import validation_text

# Errors that carry nothing but their English text: pattern → key (named groups → parameters).
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Got unexpected extra argument\(s\) \((?P<args>.*)\)"), "cli.usage.extra_args"),
    (
        re.compile(r"No such command (?P<name>.+?)\.(?: Did you mean (?P<matches>.+)\?)?"),
        "cli.usage.no_such_command",
    ),
    (re.compile(r"Missing command\."), "cli.usage.missing_command"),
    (re.compile(r"Option (?P<name>.+) requires an argument\."), "cli.usage.option_needs_value"),
    (
        re.compile(r"Option (?P<name>.+) requires (?P<count>\d+) arguments\."),
        "cli.usage.option_needs_values",
    ),
    (re.compile(r"Option (?P<name>.+) does not take a value\."), "cli.usage.option_takes_no_value"),
    (
        re.compile(r"Argument (?P<name>.+) takes (?P<count>\d+) values\."),
        "cli.usage.argument_needs_values",
    ),
)
MISSING_KEYS = {
    "argument": "cli.usage.missing_argument",
    "option": "cli.usage.missing_option",
}


def usage_error_text(err: click_errors.UsageError) -> str:
    """The message of a usage error in the CLI's language; one we do not know stays as Typer
    wrote it."""
    if isinstance(err, click_errors.MissingParameter):
        kind = err.param_type or (err.param.param_type_name if err.param else "parameter")
        return say(MISSING_KEYS.get(kind, "cli.usage.missing_parameter"), name=_hint(err))
    if isinstance(err, click_errors.BadParameter):
        cause = err.__cause__
        reason = (
            validation_text(cause.errors()[0])
            if isinstance(cause, ValidationError) and cause.errors()
            else err.message
        )
        hint = _hint(err)
        if hint:
            return say("cli.usage.invalid_value_for", name=hint, reason=reason)
        return say("cli.usage.invalid_value", reason=reason)
    if isinstance(err, click_errors.NoSuchOption) and err.message.startswith("No such option: "):
        text = say("cli.usage.no_such_option", name=err.option_name)
        if err.possibilities:
            options = ", ".join(sorted(err.possibilities))
            text += " " + say("cli.usage.possible_options", options=options)
        return text
    return _by_pattern(err.message)


def _hint(err: click_errors.BadParameter) -> str:
    if err.param_hint is not None:
        hint = err.param_hint
    elif err.param is not None:
        hint = err.param.get_error_hint()
    else:
        return ""
    return hint if isinstance(hint, str) else " / ".join(repr(h) for h in hint)


def _by_pattern(message: str) -> str:
    for pattern, key in PATTERNS:
        found = pattern.fullmatch(message)
        if found is None:
            continue
        params = {k: v for k, v in found.groupdict().items() if v is not None}
        matches = params.pop("matches", None)
        text = say(key, **params)
        if matches:
            text += " " + say("cli.usage.did_you_mean", options=matches)
        return text
    return message


__all__ = ["usage_error_text"]
