"""What `--install-completion` and `--show-completion` say (the shell's script is no text of
ours), in the CLI's language (`cli.completion.*` keys).

Typer echoes these as plain English from its completion callbacks, so `install()` swaps the two
callbacks for ones that check the shell first (an unknown shell is told here, before Typer's
English) and then let Typer do the work."""

from __future__ import annotations

import functools
import sys
from typing import Any

from tgassist.cli.common import say


@functools.cache
def install() -> None:
    """Point the completion options at the callbacks below. Once, before the app is built."""
    from typer import completion, main

    arguments = main.get_install_completion_arguments
    callbacks = {"install_completion": install_callback, "show_completion": show_callback}

    def localized_arguments() -> tuple[Any, Any]:
        params: tuple[Any, Any] = arguments()
        for param in params:
            param.callback = callbacks[param.name or ""]
        return params

    main.get_install_completion_arguments = localized_arguments

    shell_complete = completion.shell_complete

    def localized_shell_complete(
        cli: Any, ctx_args: Any, prog_name: str, complete_var: str, instruction: str
    ) -> int:
        # `_TGASSIST_COMPLETE=complete_bash`: what the installed script sets; anything else is
        # a broken script or a hand-set variable
        kind, _, shell = instruction.partition("_")
        if kind not in ("source", "complete") or shell not in _shells():
            _err(say("cli.completion.bad_instruction", instruction=instruction))
            return 1
        return int(shell_complete(cli, ctx_args, prog_name, complete_var, instruction))

    completion.shell_complete = localized_shell_complete


def _shells() -> tuple[str, ...]:
    from typer._completion_shared import Shells

    return tuple(s.value for s in Shells)


def _err(text: str) -> None:
    from typer import echo

    echo(text, err=True)


def _shell(value: Any) -> str:
    """The shell asked for (`--install-completion bash` where detection is off), else the one
    this process runs under; exits with a message when it has no completion script."""
    from typer._completion_shared import _get_shell_name

    shell = value if isinstance(value, str) else _get_shell_name()
    if shell is None:
        _err(say("cli.completion.shell_unknown", shells=", ".join(_shells())))
        sys.exit(1)
    if shell not in _shells():
        _err(say("cli.completion.shell_unsupported", shell=shell, shells=", ".join(_shells())))
        sys.exit(1)
    return str(shell)


def install_callback(ctx: Any, param: Any, value: Any) -> Any:
    if not value or ctx.resilient_parsing:
        return value
    from typer import echo, secho
    from typer._completion_shared import install

    shell, path = install(shell=_shell(value))
    secho(say("cli.completion.installed", shell=shell, path=path), fg="green")
    echo(say("cli.completion.restart"))
    sys.exit(0)


def show_callback(ctx: Any, param: Any, value: Any) -> Any:
    if not value or ctx.resilient_parsing:
        return value
    from typer.completion import show_callback as typer_show

    return typer_show(ctx, param, _shell(value))


__all__ = ["install"]
