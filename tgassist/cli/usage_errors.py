"""Typer's usage errors (a missing argument, an unknown option or command, a bad value …) in the
CLI's language.

Typer vendors its own Click (`typer._click`), whose messages are plain English f-strings, not
gettext calls: there is no catalogue to hook. So an error is told again from what it carries —
its class and parameter for most, its English text (matched below) for those raised with
`ctx.fail(text)` only.

A value Typer refuses comes from its parameter types (`typer._coercion`): pydantic's errors for
numbers, booleans, dates, UUIDs, ranges and choices (`validation_text`), and its own English for
paths, files and lists (`VALUE_PATTERNS`); one we do not know is told by its parameter and input."""

from __future__ import annotations

import errno
import re
from typing import Any

from pydantic import ValidationError
from typer._click import exceptions as click_errors

from tgassist.cli.chrome import TYPE_KEYS
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
# Typer's own refusals of a value (`typer._param_types`, `typer._coercion`) → key
VALUE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?P<kind>path|file|dir) (?P<path>.+) does not exist\."),
        "cli.value.path_missing",
    ),
    (re.compile(r"(?P<kind>path|file|dir) (?P<path>.+) is a file\."), "cli.value.path_is_file"),
    (re.compile(r"(?P<kind>path|file|dir) (?P<path>.+) is a directory\."), "cli.value.path_is_dir"),
    (
        re.compile(r"(?P<kind>path|file|dir) (?P<path>.+) is not readable\."),
        "cli.value.path_unreadable",
    ),
    (
        re.compile(r"(?P<kind>path|file|dir) (?P<path>.+) is not writable\."),
        "cli.value.path_unwritable",
    ),
)
# a list option given one string (its default, say): Typer's text, which holds no input
NOT_ITERABLE = "Value must be an iterable."
# why a file could not be opened (`typer.FileText` …): errno → key; another is told by number
OS_ERROR_KEYS = {
    errno.ENOENT: "cli.value.os.not_found",
    errno.EISDIR: "cli.value.os.is_dir",
    errno.ENOTDIR: "cli.value.os.not_dir",
    errno.EACCES: "cli.value.os.denied",
    errno.EPERM: "cli.value.os.denied",
    errno.EROFS: "cli.value.os.read_only",
    errno.ENOSPC: "cli.value.os.no_space",
}
MISSING_KEYS = {
    "argument": "cli.usage.missing_argument",
    "option": "cli.usage.missing_option",
}


class RefusedValue(click_errors.BadParameter):
    """Typer's refusal of a value, with the input it refused (Typer's own error does not keep
    it): raised in its place by `chrome`'s hook on Typer's value coercion."""

    def __init__(self, err: click_errors.BadParameter, value: Any) -> None:
        super().__init__(err.message, ctx=err.ctx, param=err.param, param_hint=err.param_hint)
        self.value = value


def usage_error_text(err: click_errors.UsageError) -> str:
    """The message of a usage error in the CLI's language; one we do not know stays as Typer
    wrote it."""
    if isinstance(err, click_errors.MissingParameter):
        kind = err.param_type or (err.param.param_type_name if err.param else "parameter")
        text = say(MISSING_KEYS.get(kind, "cli.usage.missing_parameter"), name=_hint(err))
        choices = _choices(err)
        return f"{text} {say('cli.usage.choose_from', choices=choices)}" if choices else text
    if isinstance(err, click_errors.BadParameter):
        reason = value_error_text(err)
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


def value_error_text(err: click_errors.BadParameter) -> str:
    """Why a value was refused. A message of a command's own (`typer.BadParameter(say(…))`)
    is already in the CLI's language and stays."""
    cause = err.__cause__
    if isinstance(cause, ValidationError) and cause.errors():
        return validation_text(cause.errors()[0])
    if isinstance(cause, OSError):  # a file option that could not be opened
        why = OS_ERROR_KEYS.get(cause.errno or 0)
        reason = say(why) if why else say("cli.value.os.other", code=cause.errno)
        return say("cli.value.file_open", path=repr(cause.filename), reason=reason)
    for pattern, key in VALUE_PATTERNS:
        found = pattern.fullmatch(err.message)
        if found:
            return say(key, kind=say(TYPE_KEYS[found["kind"]]), path=found["path"])
    if isinstance(err, RefusedValue):  # Typer's English we do not know: its input, at least
        key = "cli.value.iterable" if err.message == NOT_ITERABLE else "cli.value.refused"
        return say(key, input=repr(err.value))
    return err.message


def _choices(err: click_errors.MissingParameter) -> str:
    """The values a missing choice takes, as Typer lists them after «Missing option»."""
    desc = getattr(err.param, "type_descriptor", None)
    if desc is None or not desc.is_choice:
        return ""
    from typer._param_types import normalize_choice_value

    return ", ".join(
        repr(normalize_choice_value(c, desc.case_sensitive, err.ctx)) for c in desc.choices or ()
    )


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


__all__ = ["RefusedValue", "usage_error_text", "value_error_text"]
