"""Shared CLI plumbing: settings, the App, one-line errors instead of tracebacks."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from tgassist.core.errors import LocalizedError, TgassistError
from tgassist.core.i18n import LANGUAGES, locale_language, set_default_language, t
from tgassist.core.logging import configure_logging
from tgassist.core.redact import mask_secrets
from tgassist.settings import Settings

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)


def load_settings() -> Settings:
    set_default_language(cli_language())  # a refused setting is told in the CLI's language too
    try:
        settings = Settings()
    except ValidationError as err:
        from tgassist.cli.validation import settings_error_text

        fail(settings_error_text(err, Settings.model_fields))
    configure_logging(settings.log_level, settings.log_json, settings.env == "production")
    set_default_language(settings.language)  # the CLI speaks TGASSIST_LANGUAGE
    return settings


def say(key: str, /, **params: object) -> str:
    """A catalogue text in the CLI's language (TGASSIST_LANGUAGE)."""
    return t(key, None, **params)


def cli_language(environ: Mapping[str, str] = os.environ, env_file: Path = Path(".env")) -> str:
    """The language `Settings.language` will have, known before the settings are read (they may
    be invalid, and `--help` must not need them): TGASSIST_LANGUAGE from the environment, then
    from `.env`, else the system locale."""
    lang = environ.get("TGASSIST_LANGUAGE")
    if lang is None and env_file.is_file():
        from dotenv import dotenv_values

        lang = dotenv_values(env_file).get("TGASSIST_LANGUAGE")
    lang = (lang or "").strip().lower()
    return lang if lang in LANGUAGES else locale_language(environ)


# Before any command module is imported: their --help texts are rendered at import time, and a
# command that refuses its arguments before it loads the settings speaks this language too.
set_default_language(cli_language())


def error_text(err: BaseException) -> str:
    return err.render() if isinstance(err, LocalizedError) else str(err)


def fail(message: str, code: int = 1) -> None:
    message = mask_secrets(message)  # never a password from TGASSIST_*_URL on the terminal
    prefix = say("core.cli.error")
    err_console.print(f"[bold red]{prefix}[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


# what a yes/no question accepts, in either language (a Latin keyboard answers «y» in Russian too)
YES = {"y", "yes", "д", "да"}
NO = {"n", "no", "н", "нет"}


def confirm(question: str) -> None:
    """Ask a yes/no question in the CLI's language, «no» by default; anything but «yes» aborts
    («Прервано.»). Typer's `confirm` asks «[y/N]» and takes English answers only."""
    while True:
        try:
            answer = input(f"{question} {say('cli.confirm.suffix')}: ").strip().lower()
        except (KeyboardInterrupt, EOFError):
            console.print()  # «Прервано.» on a line of its own, not after the question
            raise typer.Abort() from None
        if answer in YES:
            return
        if answer in NO or not answer:
            raise typer.Abort()
        err_console.print(say("cli.confirm.again"), highlight=False)


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run an async command; project errors become one red line and exit code 1."""
    try:
        return asyncio.run(coro_fn())  # type: ignore[arg-type]
    except TgassistError as err:
        fail(error_text(err))
    except KeyboardInterrupt:
        err_console.print(say("core.cli.interrupted"))
        sys.exit(130)
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except (
        Exception
    ) as err:  # a bug or an unforeseen fault: one line for the user, the trace in the log
        logging.getLogger("tgassist.cli").debug("unexpected error", exc_info=True)
        fail(say("core.cli.unexpected", kind=type(err).__name__, error=str(err)))
    raise AssertionError("unreachable")


async def watch_task(app: Any, task_id: str, *, show: bool = True, poll: float = 0.5) -> Any:
    """Draw a progress bar from `app.tasks.watch` until the task ends; return its final view."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar_view = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        disable=not show,
        transient=True,  # the bar goes; the command prints the outcome
    )
    with bar_view:
        bar = bar_view.add_task(say("core.task.queued"), total=100)
        async for p in app.tasks.watch(task_id, poll_sec=poll):
            text = p.message.render() if p.message else say(f"core.task.status.{p.status}")
            bar_view.update(bar, completed=p.percent, description=text[:70])
    return await app.tasks.get(task_id)


async def with_app(fn: Callable[..., Awaitable[T]], settings: Settings, migrate: bool = True) -> T:
    """Start the App (migrating the DB), run `fn(app)`, close."""
    from tgassist.app import App

    app = await App.start(settings, migrate=migrate)
    try:
        return await fn(app)
    finally:
        await app.close()
