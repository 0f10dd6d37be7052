"""Typer's own words — the help panels, «Usage:», the type column (`<int>`), the --help and
completion options, the error panel and its usage errors — in the CLI's language (`cli.chrome.*`,
`cli.type.*`, `cli.usage.*` keys).

Typer keeps these as module constants and defaults, read when help or an error is drawn, so one
`install()` at start points them at the catalogue. Typer's English stays Typer's English: the
English texts of these keys are Typer's own."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from tgassist.cli.common import say

# typer.rich_utils constant → key
RICH_TEXTS: dict[str, str] = {
    "ARGUMENTS_PANEL_TITLE": "cli.chrome.arguments",
    "OPTIONS_PANEL_TITLE": "cli.chrome.options",
    "COMMANDS_PANEL_TITLE": "cli.chrome.commands",
    "ERRORS_PANEL_TITLE": "cli.chrome.error",
    "DEFAULT_STRING": "cli.chrome.default",
    "ENVVAR_STRING": "cli.chrome.envvar",
    "REQUIRED_LONG_STRING": "cli.chrome.required",
    "DEPRECATED_STRING": "cli.chrome.deprecated",
    "ABORTED_TEXT": "cli.chrome.aborted",
    "RICH_HELP": "cli.chrome.try_help",
}
# the usage line's placeholders → key
METAVARS: dict[str, str] = {
    "[OPTIONS]": "cli.chrome.options_metavar",
    "COMMAND [ARGS]...": "cli.chrome.command_metavar",
}
# parameters Typer adds to every app → key of their help
FRAMEWORK_HELP: dict[str, str] = {
    "install_completion": "cli.chrome.install_completion",
    "show_completion": "cli.chrome.show_completion",
}

# the type names Typer writes in the type column (`<int>`) → key; the English texts are Typer's
TYPE_KEYS: dict[str, str] = {
    "str": "cli.type.str",
    "int": "cli.type.int",
    "float": "cli.type.float",
    "Decimal": "cli.type.decimal",
    "bool": "cli.type.bool",
    "datetime": "cli.type.datetime",
    "date": "cli.type.date",
    "time": "cli.type.time",
    "UUID": "cli.type.uuid",
    "path": "cli.type.path",
    "file": "cli.type.file",
    "dir": "cli.type.dir",
    "FileText": "cli.type.file_text",
    "FileTextWrite": "cli.type.file_text_write",
    "FileBinaryRead": "cli.type.file_binary_read",
    "FileBinaryWrite": "cli.type.file_binary_write",
}
# strftime codes of a datetime option's formats (`<%Y-%m-%d>`) → key
FORMAT_KEYS: dict[str, str] = {
    "%Y": "cli.type.format.year",
    "%m": "cli.type.format.month",
    "%d": "cli.type.format.day",
    "%H": "cli.type.format.hour",
    "%M": "cli.type.format.minute",
    "%S": "cli.type.format.second",
}


@functools.cache
def install() -> None:
    """Point Typer's texts at the catalogue, in the language the CLI speaks now. Once."""
    from typer import main as typer_main
    from typer import rich_utils
    from typer._click import decorators, formatting
    from typer._click.exceptions import BadParameter, ClickException, UsageError

    from tgassist.cli.usage_errors import RefusedValue, usage_error_text

    for name, key in RICH_TEXTS.items():
        setattr(rich_utils, name, say(key))
    usage = say("cli.chrome.usage")

    class UsageHighlighter(rich_utils.OptionHighlighter):
        highlights = [
            *rich_utils.OptionHighlighter.highlights,
            rf"(?P<usage>{re.escape(usage)} )",  # the usage line's style, in any language
        ]

    rich_utils.highlighter = UsageHighlighter()

    write_usage = formatting.HelpFormatter.write_usage
    metavars = {english: say(key) for english, key in METAVARS.items()}

    def localized_write_usage(
        self: formatting.HelpFormatter, prog: str, args: str = "", prefix: str | None = None
    ) -> None:
        for english, text in metavars.items():
            args = args.replace(english, text)
        write_usage(self, prog, args, f"{usage} " if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = localized_write_usage  # type: ignore[method-assign]

    help_option = decorators.help_option

    def localized_help_option(param_decls: list[str]) -> Callable[[Any], Any]:
        add = help_option(param_decls)

        def apply(command: Any) -> Any:
            command = add(command)
            command.params[-1].help = say("cli.chrome.help_option")
            return command

        return apply

    decorators.help_option = localized_help_option

    completion_arguments = typer_main.get_install_completion_arguments

    def localized_completion_arguments() -> tuple[Any, Any]:
        params: tuple[Any, Any] = completion_arguments()
        for param in params:
            param.help = say(FRAMEWORK_HELP[param.name or ""])
        return params

    typer_main.get_install_completion_arguments = localized_completion_arguments

    format_error = rich_utils.rich_format_error

    def localized_format_error(self: ClickException) -> None:  # Typer's signature
        # NoArgsIsHelpError carries the help page, already localized, and Typer skips it by name
        if isinstance(self, UsageError) and type(self).__name__ != "NoArgsIsHelpError":
            self = UsageError(usage_error_text(self), self.ctx)
        format_error(self)

    rich_utils.rich_format_error = localized_format_error

    from typer._coercion import RuntimeParam

    coerce = RuntimeParam.coerce

    def coerce_keeping_input(self: RuntimeParam, value: Any, param: Any, ctx: Any) -> Any:
        # Typer's refusal does not keep the input; the error panel names it
        try:
            return coerce(self, value, param, ctx)
        except RefusedValue:
            raise
        except BadParameter as err:
            raise RefusedValue(err, value) from err.__cause__

    RuntimeParam.coerce = coerce_keeping_input  # type: ignore[method-assign]

    _install_type_column()
    from tgassist.cli import completion

    completion.install()


def type_name(annotation: Any) -> str:
    """A parameter's type as the help's type column names it (`int`, `list[str]`), localized;
    a type of no key of ours (a class of the command's own) is just «value»."""
    from typing import get_args, get_origin

    if get_origin(annotation) is list:
        return say("cli.type.list", item=type_name(get_args(annotation)[0]))
    name = getattr(annotation, "__name__", "")
    return say(TYPE_KEYS[name]) if name in TYPE_KEYS else say("cli.type.value")


def format_name(fmt: str) -> str:
    """A strftime format (`%Y-%m-%d`) as a reader knows it (ГГГГ-ММ-ДД, or Typer's `%Y-%m-%d`)."""
    return re.sub(
        r"%[A-Za-z]", lambda m: say(FORMAT_KEYS.get(m[0], "cli.type.format.other"), code=m[0]), fmt
    )


def range_text(min: float | None, max: float | None) -> str | None:  # noqa: A002 (Typer's names)
    """A number range (Typer's `1<=x<=500`) in the CLI's language."""
    if min is None and max is None:
        return None
    if min is None:
        return say("cli.type.range_max", max=max)
    if max is None:
        return say("cli.type.range_min", min=min)
    return say("cli.type.range_min_max", min=min, max=max)


def _install_type_column() -> None:
    """The type column (`<int>`, `<path>`, `<int range> [1<=x<=500]`) told from the parameter's
    type, as Typer's `display_type` tells it, but in the CLI's language. A choice shows the values
    the user types, as they are."""
    from typing import get_args

    from typer import core
    from typer._param_types import normalize_choice_value
    from typer.core import _TyperParameter

    def display_type(self: _TyperParameter, ctx: Any) -> str:
        desc = self.type_descriptor
        if desc.is_choice:
            if self.show_choices:
                values = (
                    normalize_choice_value(c, desc.case_sensitive, ctx) for c in desc.choices or ()
                )
            else:
                values = (type_name(type(c)) for c in desc.choices or ())
            label = "|".join(dict.fromkeys(values))
            if desc.is_list:
                label = say("cli.type.list", item=label)
        elif desc.is_list:
            label = type_name(desc.annotation)
        elif desc.is_tuple:
            label = ",".join(type_name(arg) for arg in get_args(desc.annotation))
        elif desc.is_datetime:
            formats = desc.parameter_info.formats
            label = "|".join(map(format_name, formats)) if formats else type_name(desc.annotation)
        elif desc.is_ranged:
            label = say("cli.type.range", type=type_name(desc.annotation))
        elif desc.is_path:
            label = say(TYPE_KEYS[desc.path_type])
        else:
            label = type_name(desc.annotation)
        return f"<{label}>"

    _TyperParameter.display_type = display_type  # type: ignore[method-assign]
    core.describe_number_range = range_text  # the range after the type: `[1<=x<=500]`


__all__ = ["install"]
