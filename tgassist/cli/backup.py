"""`tgassist backup [FILE]` and `tgassist restore FILE [--force]`."""

from __future__ import annotations

from pathlib import Path

import typer

from tgassist.backup.service import backup, default_name, restore
from tgassist.cli.common import console, load_settings, run, say


def register(root: typer.Typer) -> None:
    root.command("backup", help=say("cli.help.backup"))(backup_cmd)
    root.command("restore", help=say("cli.help.restore"))(restore_cmd)


def backup_cmd(
    file: Path = typer.Argument(None, help=say("cli.help.backup.file")),
) -> None:
    settings = load_settings()
    out = file or default_name()
    with console.status(say("ops.cli.backup.running")) as status:
        report = run(
            lambda: backup(
                settings, out, lambda step: status.update(say("ops.cli.backup.step", step=step))
            )
        )
    counts = report.counts
    tables = counts["tables"]
    console.print(
        "[green]"
        + say("ops.cli.backup.written")
        + "[/] "
        + say(
            "ops.cli.backup.report",
            path=str(report.path),
            mib=f"{report.size / 1_048_576:.1f}",
            rows=sum(tables.values()) if tables else "?",
            tables=len(tables) or "?",
            redis_keys=counts["redis_keys"],
            vectors=sum(counts["vectors"].values()),
            graph_posts=counts["graph"].get("posts", 0),
            blobs=counts["blobs"],
        ),
        highlight=False,
    )
    for note in report.notes:
        console.print(f"[yellow]{say('ops.cli.note')}[/] {note.render()}")


def restore_cmd(
    file: Path = typer.Argument(..., help=say("cli.help.restore.file")),
    force: bool = typer.Option(False, "--force", help=say("cli.help.restore.force")),
) -> None:
    settings = load_settings()
    with console.status(say("ops.cli.restore.running")) as status:
        report = run(
            lambda: restore(
                settings,
                file,
                force=force,
                progress=lambda s: status.update(say("ops.cli.restore.step", step=s)),
            )
        )
    console.print(
        "[green]"
        + say("ops.cli.restore.done")
        + "[/] "
        + say(
            "ops.cli.restore.report",
            database=report.database,
            migrations=", ".join(report.migrated_to),
            redis_keys=report.redis_keys,
            vectors=sum(report.vectors.values()),
            graph_posts=report.graph.get("posts", 0),
            blobs=report.blobs,
        ),
        highlight=False,
    )
    for note in report.notes:
        console.print(f"[yellow]{say('ops.cli.note')}[/] {note.render()}")
