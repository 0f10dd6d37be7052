"""The `tgassist` command line (Typer + Rich). Commands call service layers; no logic here."""

from __future__ import annotations

import typer

from tgassist.cli import chrome, core
from tgassist.cli.common import say

chrome.install()  # Typer's own words in the CLI's language, before any help is built
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
