"""`tgassist backup [FILE]` and `tgassist restore FILE [--force]`."""

from __future__ import annotations

from pathlib import Path

import typer

from tgassist.backup.service import backup, default_name, restore
from tgassist.cli.common import console, load_settings, run


def register(root: typer.Typer) -> None:
    root.command("backup")(backup_cmd)
    root.command("restore")(restore_cmd)


def backup_cmd(
    file: Path = typer.Argument(
        None, help="Archive to write (default tgassist-backup-<time>.tar.gz)"
    ),
) -> None:
    """One archive of a consistent snapshot (database, Redis, vectors, graph, blobs), while the app runs."""
    settings = load_settings()
    out = file or default_name()
    with console.status("backing up…") as status:
        report = run(
            lambda: backup(settings, out, lambda step: status.update(f"backing up: {step}"))
        )
    counts = report.counts
    console.print(
        f"[green]backup written[/] {report.path} ({report.size / 1_048_576:.1f} MiB): "
        f"{sum(counts['tables'].values()) if counts['tables'] else 'all'} rows in "
        f"{len(counts['tables']) or '?'} tables, {counts['redis_keys']} Redis keys, "
        f"{sum(counts['vectors'].values())} vectors, {counts['graph'].get('posts', 0)} graph posts, "
        f"{counts['blobs']} blobs"
    )
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}")


def restore_cmd(
    file: Path = typer.Argument(..., help="Archive written by `tgassist backup`"),
    force: bool = typer.Option(False, "--force", help="Overwrite a non-empty install"),
) -> None:
    """Restore an archive into an empty install (checked whole before anything is written)."""
    settings = load_settings()
    with console.status("restoring…") as status:
        report = run(
            lambda: restore(
                settings, file, force=force, progress=lambda s: status.update(f"restoring: {s}")
            )
        )
    console.print(
        f"[green]restored[/] {report.database} database (migrated to {', '.join(report.migrated_to)}), "
        f"{report.redis_keys} Redis keys, {sum(report.vectors.values())} vectors, "
        f"{report.graph.get('posts', 0)} graph posts, {report.blobs} blobs"
    )
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}")
