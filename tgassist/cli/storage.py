"""`tgassist storage prune`: apply the storage retention rules now (the scheduler runs them daily)."""

from __future__ import annotations

import typer

from tgassist.cli.common import console, load_settings, run, say, with_app

storage_app = typer.Typer(help=say("cli.help.storage"), no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(storage_app, name="storage")


@storage_app.command("prune", help=say("cli.help.storage.prune"))
def prune(
    dry_run: bool = typer.Option(False, "--dry-run", help=say("cli.help.storage.prune.dry_run")),
) -> None:
    from tgassist.channels.service import apply_retention

    settings = load_settings()
    report = run(lambda: with_app(lambda app: apply_retention(app, dry_run=dry_run), settings))
    key = "ops.cli.prune.would_free" if report.dry_run else "ops.cli.prune.freed"
    line = say(
        key,
        mib=f"{report.freed_bytes / 1_048_576:.1f}",
        media=report.media_files,
        orphans=report.orphan_files,
    )
    if report.missing_files:
        line += " " + say("ops.cli.prune.missing", count=report.missing_files)
    console.print(line, highlight=False)
