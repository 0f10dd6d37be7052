"""`tgassist pipeline …`: status of the enrichment streams, reprocessing a stage."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import typer
from rich.table import Table

from tgassist.cli.common import console, fail, load_settings, run, say, watch_task, with_app

pipeline_app = typer.Typer(help=say("cli.help.pipeline"), no_args_is_help=True)


def register(root: typer.Typer) -> None:
    """Add the pipeline command group to the root app."""
    root.add_typer(pipeline_app, name="pipeline")


@pipeline_app.command("status", help=say("cli.help.pipeline.status"))
def status(
    as_json: bool = typer.Option(False, "--json", help=say("cli.help.pipeline.status.json")),
) -> None:
    from tgassist.channels.service import pipeline_status

    settings = load_settings()
    status_view = run(lambda: with_app(pipeline_status, settings))
    report = status_view.as_dict()
    if as_json:
        console.print_json(json.dumps(report, default=str))
        return
    table = Table(title=say("channels.cli.pipeline_title"))
    for col in ("stream", "group", "length", "pending", "lag", "dlq", "consumers"):
        table.add_column(
            say(f"core.cli.col.{col}"), justify="left" if col in ("stream", "group") else "right"
        )
    for r in report["streams"]:
        busy = r["pending"] or r["dlq"] or (r["length"] if r["lag"] is None else r["lag"])
        style = "red" if r["dlq"] else "yellow" if busy else None
        table.add_row(
            r["stream"],
            r["group"],
            str(r["length"]),
            str(r["pending"]),
            say("channels.cli.no_group") if r["lag"] is None else str(r["lag"]),
            str(r["dlq"]),
            str(r["consumers"]),
            style=style,
        )
    console.print(table)
    for name in ("ocr", "vision", "albums"):
        block = report.get(name) or {}
        extra = ", ".join(f"{k}={v}" for k, v in block.items() if k != "status")
        console.print(
            f"{name}: [bold]{block.get('status', '?')}[/]" + (f" ({extra})" if extra else "")
        )
    console.print(
        say("channels.cli.backlog", backlog=status_view.backlog, dead=status_view.dead_letters)
    )


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(say("channels.cli.bad_since", value=repr(value)))
        raise
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@pipeline_app.command("reprocess", help=say("cli.help.pipeline.reprocess"))
def reprocess_cmd(
    stage: str = typer.Option(None, "--stage", help=say("cli.help.pipeline.reprocess.stage")),
    since: str = typer.Option(None, "--since", help=say("cli.help.pipeline.reprocess.since")),
    channel: int = typer.Option(None, "--channel", help=say("cli.help.pipeline.reprocess.channel")),
    limit: int = typer.Option(None, "--limit", help=say("cli.help.pipeline.reprocess.limit")),
    missing: bool = typer.Option(
        False, "--missing", help=say("cli.help.pipeline.reprocess.missing")
    ),
) -> None:
    import asyncio

    from tgassist.channels.service import requeue_missing, run_reprocess, start_reprocess

    if missing:
        if stage:
            fail(say("channels.cli.stage_and_missing"))
        counts = run(
            lambda: with_app(
                lambda app: requeue_missing(
                    app, since=_parse_since(since), channel_id=channel, limit=limit
                ),
                load_settings(),
            )
        )
        queued = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
        console.print(
            say("channels.cli.requeued", queued=queued)
            if queued
            else say("channels.cli.nothing_missing")
        )
        return
    if not stage:
        fail(say("channels.cli.stage_or_missing"))
    settings = load_settings()
    after = _parse_since(since)

    async def go(app: Any) -> int:
        task = await start_reprocess(app, stage)
        job = asyncio.create_task(
            run_reprocess(app, task.id, stage, since=after, channel_id=channel, limit=limit)
        )
        await watch_task(app, task.id, poll=0.2)
        return await job

    count = run(lambda: with_app(go, settings))
    console.print(say("channels.cli.reprocessed", count=count, stage=stage))
