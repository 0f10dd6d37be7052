"""`tgassist channels …`: add, list, import, parse, remove, login."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from tgassist.cli.common import console, fail, load_settings, run, say, watch_task, with_app

channels_app = typer.Typer(help=say("cli.help.channels"), no_args_is_help=True)


def register(root: typer.Typer) -> None:
    """Add this product's command group to the root app."""
    root.add_typer(channels_app, name="channels")


def _import_with_progress(app: Any, path: Path, timezone: str | None = None) -> Any:
    """Run the import here and draw its task's progress (the same task any door can watch)."""
    import asyncio

    from tgassist.channels.service import run_import, start_import

    async def go() -> Any:
        task = await start_import(app, path)
        job = asyncio.create_task(run_import(app, task.id, path, timezone=timezone))
        await watch_task(app, task.id, poll=0.2)
        result = await job
        # Publish now so workers start at once. The report counts the rows this import wrote to
        # the outbox, not what this drain published: a running `tgassist run` relays too.
        await app.outbox.drain()
        return result

    return go()


def _print_import(result: Any) -> None:
    console.print(
        "[bold]"
        + say(
            "channels_import.report.header",
            title=result.title or "",
            channel_id=result.channel_id,
        )
        + "[/]",
        highlight=False,
    )
    lines = [
        say(
            "channels_import.report.posts",
            total=result.posts_new + result.posts_edited + result.posts_unchanged,
            new=result.posts_new,
            edited=result.posts_edited,
            unchanged=result.posts_unchanged,
        ),
        say(
            "channels_import.report.albums",
            in_export=result.albums_in_export,
            changed=result.albums,
        ),
        say("channels_import.report.media", count=result.media),
        say(
            "channels_import.report.skipped",
            total=result.skipped,
            service=result.skipped_service,
            unknown=result.skipped_unknown,
            invalid=result.skipped_invalid,
        ),
    ]
    if result.invalid_examples:
        lines.append(
            say(
                "channels_import.report.invalid_examples",
                examples="; ".join(result.invalid_examples),
            )
        )
    lines.append(say("channels_import.report.missing_media", count=result.missing_media))
    if result.legacy_id is not None:
        lines.append(
            say(
                "channels_import.report.legacy_id",
                old=result.legacy_id,
                new=result.telegram_id,
            )
        )
    if result.local_times:
        key = (
            "channels_import.report.local_times_assumed"
            if result.timezone_assumed
            else "channels_import.report.local_times"
        )
        lines.append(say(key, count=result.local_times, zone=result.timezone))
    lines.append(say("channels_import.report.outbox", count=result.events))
    for line in lines:
        console.print("  " + line, highlight=False, soft_wrap=True)


@channels_app.command("import", help=say("cli.help.channels.import"))
def import_cmd(
    path: Path = typer.Argument(..., help=say("cli.help.channels.import.path")),
    timezone: str = typer.Option(None, "--timezone", help=say("cli.help.channels.import.timezone")),
) -> None:
    settings = load_settings()
    result = run(lambda: with_app(lambda app: _import_with_progress(app, path, timezone), settings))
    _print_import(result)


@channels_app.command("add", help=say("cli.help.channels.add"))
def add(
    ref: str = typer.Argument(..., help=say("cli.help.channels.add.ref")),
) -> None:
    from tgassist.channels.service import ChannelError, add_by_username, resolve_ref

    settings = load_settings()
    try:
        decided = resolve_ref(ref)
    except ChannelError as err:
        fail(err.render())
    if decided.kind == "export":
        path = Path(decided.value)
        result = run(lambda: with_app(lambda app: _import_with_progress(app, path), settings))
        _print_import(result)
        return
    channel = run(lambda: with_app(lambda app: add_by_username(app, decided.value), settings))
    console.print(say("channels.added", name=decided.value, id=channel.id))


@channels_app.command("list", help=say("cli.help.channels.list"))
def list_cmd() -> None:
    from tgassist.channels.service import list_channels

    settings = load_settings()
    rows = run(lambda: with_app(list_channels, settings))
    if not rows:
        console.print(say("channels.cli.none"))
        return
    t = Table(title=say("channels.cli.list_title"))
    t.add_column(say("channels.cli.col.id"), justify="right")
    t.add_column(say("channels.cli.col.channel"), no_wrap=True, min_width=12)
    t.add_column(say("channels.cli.col.title"), overflow="fold", max_width=24)
    t.add_column(say("channels.cli.col.status"), overflow="fold")
    for col in ("posts", "albums", "hwm"):
        t.add_column(say(f"channels.cli.col.{col}"), justify="right", no_wrap=True)
    t.add_column(say("channels.cli.col.last_parsed"), overflow="fold")
    paused = ", " + say("channels.cli.paused")
    for c in rows:
        status = f"{c.status}, {c.source}" + ("" if c.is_active else paused)
        t.add_row(
            str(c.id),
            f"@{c.username}" if c.username else str(c.telegram_id or "-"),
            c.title or "",
            status,
            str(c.posts),
            str(c.albums),
            str(c.hwm),
            c.last_parsed_at[:16].replace("T", " ") if c.last_parsed_at else "-",
        )
    console.print(t)


@channels_app.command("remove", help=say("cli.help.channels.remove"))
def remove(ref: str = typer.Argument(..., help=say("cli.help.channels.remove.ref"))) -> None:
    from tgassist.channels.service import remove_channel

    settings = load_settings()
    channel = run(lambda: with_app(lambda app: remove_channel(app, ref), settings))
    console.print(
        say(
            "channels.removed",
            id=channel.id,
            name=channel.title or channel.username or channel.telegram_id,
        )
    )


@channels_app.command("parse", help=say("cli.help.channels.parse"))
def parse(
    ref: str = typer.Argument(None, help=say("cli.help.channels.parse.ref")),
    mode: str = typer.Option("auto", "--mode", help=say("cli.help.channels.parse.mode")),
) -> None:
    if mode not in ("auto", "historical", "incremental"):
        fail(say("channels.cli.bad_mode", value=repr(mode)))
    from tgassist.channels.service import parse_now

    settings = load_settings()
    reports = run(lambda: with_app(lambda app: parse_now(app, ref, mode), settings))
    t = Table(title=say("channels.cli.parse_title"))
    for col in ("channel", "mode", "status", "new", "edited", "albums", "hwm", "error"):
        t.add_column(say(f"channels.cli.col.{col}"), overflow="fold")
    for r in reports:
        t.add_row(
            r.channel,
            r.mode,
            r.status,
            str(r.new),
            str(r.edited),
            str(r.albums),
            str(r.hwm),
            _why(r),
        )
    console.print(t if reports else say("channels.cli.nothing_to_parse"))


def _why(report: Any) -> Text:
    """The reason a parse stopped in the operator's language, then its technical detail."""
    if report.reason is None:
        return Text(report.error or "")
    detail = f"\n{report.error}" if report.error else ""
    return Text(report.reason.render() + detail)


@channels_app.command("login", help=say("cli.help.channels.login"))
def login(
    phone: str = typer.Option(None, help=say("cli.help.channels.login.phone")),
) -> None:
    from tgassist.channels.service import interactive_login

    settings = load_settings()
    me = run(lambda: with_app(lambda app: interactive_login(app, phone), settings))
    console.print(say("channels.cli.signed_in", me=me))


from tgassist.cli import channels_read as _channels_read  # noqa: E402,F401  (search, ask, trends, digest)
