"""The `tgassist` command line (Typer + Rich). Commands call service layers; no logic here."""

from __future__ import annotations

import typer

from tgassist.cli import core
from tgassist.cli.common import say

app = typer.Typer(
    help=say("cli.help.app"),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
core.register(app)


def _register_products() -> None:
    # Product command groups register themselves; each lives in its own module.
    from tgassist.cli import backup, campaigns, channels, events, pipeline, storage

    for module in (channels, pipeline, events, campaigns, backup, storage):
        module.register(app)


_register_products()


def main() -> None:
    app()


__all__ = ["app", "main"]
