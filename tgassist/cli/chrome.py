"""Typer's own words — the help panels, «Usage:», the --help and completion options, the error
panel and its usage errors — in the CLI's language (`cli.chrome.*`, `cli.usage.*` keys).

Typer keeps these as module constants and defaults, read when help or an error is drawn, so one
`install()` at start points them at the catalogue. Typer's English stays Typer's English: the
English texts of these keys are Typer's own."""

from __future__ import annotations

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

_installed = False


def install() -> None:
    """Point Typer's texts at the catalogue, in the language the CLI speaks now. Once."""
    global _installed
    if _installed:
        return
    _installed = True
    from typer import main as typer_main
    from typer import rich_utils
    from typer._click import decorators, formatting
    from typer._click.exceptions import ClickException, UsageError

    from tgassist.cli.usage_errors import usage_error_text

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


__all__ = ["install"]
