"""Core commands: run, worker, scheduler, api, db, status, dlq, secret-key."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from tgassist.cli.common import console, fail, load_settings, run, say, with_app

db_app = typer.Typer(help=say("cli.help.db"), no_args_is_help=True)
dlq_app = typer.Typer(help=say("cli.help.dlq"), no_args_is_help=True)


STREAM_COLUMNS = ("stream", "group", "length", "pending", "lag", "dlq", "consumers")


def register(root: typer.Typer) -> None:
    root.command("run", help=say("cli.help.run"))(run_all)
    root.command("worker", help=say("cli.help.worker"))(worker)
    root.command("scheduler", help=say("cli.help.scheduler"))(scheduler)
    root.command("api", help=say("cli.help.api"))(api)
    root.command("bot", help=say("cli.help.bot"))(bot)
    root.command("status", help=say("cli.help.status"))(status)
    root.command("secret-key", help=say("cli.help.secret_key"))(secret_key)
    root.add_typer(db_app, name="db")
    root.add_typer(dlq_app, name="dlq")


def _serve(**roles: Any) -> None:
    from tgassist.runtime import Roles, serve

    settings = load_settings()
    run(lambda: serve(settings, Roles(**roles)))


def run_all() -> None:
    _serve(api=True, worker=True, scheduler=True, bot=True)


def worker(
    stages: str = typer.Option(None, help=say("cli.help.worker.stages")),
) -> None:
    from tgassist.core.errors import LocalizedError
    from tgassist.products import select_stages

    load_settings()  # the error below speaks TGASSIST_LANGUAGE
    try:
        select_stages(stages)
    except LocalizedError as err:
        fail(err.render())
    _serve(worker=True, stages=stages)


def scheduler() -> None:
    _serve(scheduler=True)


def api() -> None:
    _serve(api=True)


@db_app.command("upgrade", help=say("cli.help.db.upgrade"))
def db_upgrade(
    revision: str = typer.Argument("heads", help=say("cli.help.db.upgrade.revision")),
) -> None:
    from tgassist.core.db import upgrade
    from tgassist.core.errors import LocalizedError

    settings = load_settings()

    async def go() -> None:
        from tgassist.app import App

        app = await App.start(settings, migrate=False)  # proves the URLs answer first
        try:
            await upgrade(settings.db_url, revision)
        except Exception as err:
            lines = str(err).strip().splitlines()
            raise LocalizedError(
                "core.cli.upgrade_failed",
                revision=revision,
                error=lines[0] if lines else type(err).__name__,
            ) from err
        finally:
            await app.close()

    run(go)
    console.print(say("core.cli.upgraded", revision=revision))


def bot() -> None:
    settings = load_settings()
    if settings.bot_token is None:
        fail(say("core.cli.no_bot_token"))
    _serve(bot=True)


def status() -> None:
    from tgassist.core import health

    settings = load_settings()
    report: dict[str, Any] = run(lambda: with_app(health.details, settings))
    t = Table(title=say("core.cli.status.backends"))
    for col in ("backend", "status", "details"):
        t.add_column(say(f"core.cli.col.{col}"))
    for name in ("db", "redis"):
        block = report[name]
        t.add_row(
            name,
            _colour(block["status"]),
            ", ".join(f"{k}={v}" for k, v in block.items() if k != "status"),
        )
    console.print(t)
    streams = Table(title=say("core.cli.status.streams"))
    for col in STREAM_COLUMNS:
        streams.add_column(
            say(f"core.cli.col.{col}"),
            justify="right" if col not in ("stream", "group") else "left",
        )
    for r in report.get("streams", {}).get("items", []):
        streams.add_row(
            r["stream"],
            r["group"],
            str(r["length"]),
            str(r["pending"]),
            say("channels.cli.no_group") if r["lag"] is None else str(r["lag"]),
            f"[red]{r['dlq']}[/]" if r["dlq"] else "0",
            str(r["consumers"]),
        )
    console.print(streams)
    workers = Table(title=say("core.cli.status.workers"))
    for col in ("worker", "stages", "heartbeat", "processed", "failed", "dead_lettered"):
        workers.add_column(say(f"core.cli.col.{col}"))
    for w in report.get("workers", {}).get("items", []):
        workers.add_row(
            w["name"],
            ", ".join(w.get("stages", [])),
            w.get("at", ""),
            str(w.get("processed", 0)),
            str(w.get("failed", 0)),
            str(w.get("dead_lettered", 0)),
        )
    console.print(
        workers
        if report.get("workers", {}).get("items")
        else f"[dim]{say('core.cli.status.no_workers')}[/]"
    )
    scheduler_status = report.get("scheduler", {}).get("status", "unknown")
    jobs = Table(title=say("core.cli.status.scheduler", status=_state(scheduler_status)))
    jobs.add_column(say("core.cli.col.job"))
    jobs.add_column(say("core.cli.col.next_run"))
    for name, nxt in report.get("scheduler", {}).get("jobs", {}).items():
        jobs.add_row(name, nxt or "-")
    console.print(jobs)
    for name, block in report.items():
        if isinstance(block, dict) and name not in (
            "db",
            "redis",
            "streams",
            "workers",
            "scheduler",
        ):
            console.print(
                f"[bold]{name}[/]: {_colour(block.get('status', '?'))} "
                + ", ".join(f"{k}={v}" for k, v in block.items() if k != "status")
            )


STATES = ("ok", "down", "paused", "not running", "lost", "recovering", "unknown")


def _state(status: str) -> str:
    """A health status in the operator's language (an unknown one as it came)."""
    if status not in STATES:
        return status
    return say(f"core.cli.state.{status.replace(' ', '_')}")


def _colour(status: str) -> str:
    colour = {"ok": "green", "down": "red"}.get(status, "yellow")
    return f"[{colour}]{_state(status)}[/]"


@dlq_app.command("list", help=say("cli.help.dlq.list"))
def dlq_list(
    stream: str = typer.Argument(None, help=say("cli.help.dlq.list.stream")),
    limit: int = typer.Option(20, help=say("cli.help.dlq.list.limit")),
) -> None:
    from tgassist.products import all_stages

    settings = load_settings()
    streams = [stream] if stream else sorted({s.stream for s in all_stages()})

    async def go(app: Any) -> list[Any]:
        return [(s, await app.bus.dlq_list(s, count=limit)) for s in streams]

    result = run(lambda: with_app(go, settings))
    t = Table(title=say("core.cli.dlq.title"))
    for col in ("stream", "dlq_id", "original_id", "group", "deliveries", "failed_at", "error"):
        t.add_column(say(f"core.cli.col.{col}"), overflow="fold")
    total = 0
    for s, letters in result:
        for d in letters:
            total += 1
            t.add_row(
                s, d.id, d.original_id, d.group, str(d.deliveries), d.failed_at, d.error[:200]
            )
    console.print(t if total else say("core.cli.dlq.none"))


@dlq_app.command("replay", help=say("cli.help.dlq.replay"))
def dlq_replay(
    stream: str = typer.Argument(..., help=say("cli.help.dlq.replay.stream")),
    group: str = typer.Option(None, help=say("cli.help.dlq.replay.group")),
) -> None:
    settings = load_settings()

    async def go(app: Any) -> int:
        return int(await app.bus.dlq_replay(stream, group=group))

    n = run(lambda: with_app(go, settings))
    console.print(say("core.cli.dlq.replayed", count=n, stream=stream))


def secret_key() -> None:
    from tgassist.core.crypto import SecretBox

    console.print(SecretBox.generate_key())
