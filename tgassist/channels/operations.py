"""Long operations of the channels product that a door starts and watches through the core
TaskManager: importing an export, reprocessing a stage; and the pipeline status report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tgassist.core.errors import LocalizedError

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.tasks import TaskView

IMPORT_TASK = "channels.import"


async def start_import(app: App, path: str | Path, *, user_id: int | None = None) -> TaskView:
    """A pending task for importing an export; `run_import` does the work and reports."""
    return await app.tasks.create(
        IMPORT_TASK,
        user_id=user_id,
        subject_type="channel_export",
        subject_id=str(path)[-64:],
        key="channels.import.queued",
    )


async def run_import(
    app: App, task_id: str, path: str | Path, *, timezone: str | None = None
) -> Any:
    """Import a Telegram Desktop export, reporting progress through the task; the result's
    counts are also the task's result. `timezone`: see `ingest.resolve_zone`."""
    from tgassist.channels.ingest import import_export

    await app.tasks.start(task_id, key="channels.import.reading")

    async def report(done: int, total: int) -> None:
        await app.tasks.progress(
            task_id,
            stage="import",
            percent=done * 100 // max(1, total),
            key="channels.import.progress",
            done=done,
            total=total,
        )

    try:
        result = await import_export(app, path, progress=report, timezone=timezone)
    except LocalizedError as err:
        await app.tasks.fail(task_id, err.key, error=str(err), **err.params)
        raise
    except Exception as err:
        await app.tasks.fail(
            task_id,
            "channels.import.failed",
            error=repr(err),
            reason=f"{type(err).__name__}: {err}",
        )
        raise
    await app.tasks.finish(
        task_id,
        asdict(result),
        key="channels.import.done",
        posts=result.posts_new + result.posts_edited + result.posts_unchanged,
        title=result.title or str(result.channel_id),
    )
    return result


REPROCESS_TASK = "channels.reprocess"


async def start_reprocess(app: App, stage: str, *, user_id: int | None = None) -> TaskView:
    """A pending reprocess task; an unknown stage is refused before anything is created."""
    from tgassist.channels.stages import STAGE_NAMES

    if stage not in STAGE_NAMES:
        raise LocalizedError(
            "channels.reprocess.unknown_stage", stage=stage, known=", ".join(STAGE_NAMES)
        )
    return await app.tasks.create(
        REPROCESS_TASK,
        user_id=user_id,
        subject_type="stage",
        subject_id=stage,
        key="channels.reprocess.queued",
    )


async def run_reprocess(
    app: App,
    task_id: str,
    stage: str,
    *,
    since: datetime | None = None,
    channel_id: int | None = None,
    limit: int | None = None,
) -> int:
    """Publish new events so `stage` runs again for the selected posts; reports through the
    task, returns how many events were published."""
    from tgassist.channels.reprocess import Selection, reprocess

    await app.tasks.start(task_id, key="channels.reprocess.queued")

    async def report(published: int) -> None:
        await app.tasks.progress(
            task_id,
            stage=stage,
            percent=0 if limit is None else published * 100 // max(1, limit),
            key="channels.reprocess.progress",
            published=published,
        )

    try:
        count = await reprocess(
            app, stage, Selection(since=since, channel_id=channel_id, limit=limit), report
        )
    except Exception as err:
        await app.tasks.fail(
            task_id,
            "channels.reprocess.failed",
            error=repr(err),
            reason=err.render() if isinstance(err, LocalizedError) else str(err),
        )
        raise
    await app.tasks.finish(
        task_id, {"published": count}, key="channels.reprocess.done", published=count, stage=stage
    )
    return count


@dataclass(frozen=True)
class PipelineStatus:
    """Per (stream, group): length, pending, lag, DLQ, consumers; plus the health blocks
    (albums waiting, OCR, vision), and the totals a user reads first."""

    streams: list[dict[str, Any]]
    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def backlog(self) -> int:
        # No group yet (no worker ever ran the stage): everything in the stream is still to do.
        return sum(
            (r["length"] if r["lag"] is None else r["lag"]) + r["pending"] for r in self.streams
        )

    @property
    def dead_letters(self) -> int:
        return sum(r["dlq"] for r in {r["stream"]: r for r in self.streams}.values())

    def as_dict(self) -> dict[str, Any]:
        return {"streams": self.streams, **self.blocks}


async def pipeline_status(app: App) -> PipelineStatus:
    from tgassist.channels.stages import HEALTH
    from tgassist.core.health import stream_report

    rows = await stream_report(app)
    blocks: dict[str, dict[str, Any]] = {}
    for name, check in HEALTH:
        try:
            blocks[name] = await check(app)
        except Exception as err:  # a broken block must not hide the streams
            blocks[name] = {"status": "down", "error": str(err)[:200]}
    return PipelineStatus(rows, blocks)


__all__ = [
    "IMPORT_TASK",
    "REPROCESS_TASK",
    "PipelineStatus",
    "pipeline_status",
    "run_import",
    "run_reprocess",
    "start_import",
    "start_reprocess",
]


async def requeue_missing(
    app: App,
    *,
    since: datetime | None = None,
    channel_id: int | None = None,
    limit: int | None = None,
) -> dict[str, int]:
    """Re-queue every stage whose result is missing in the database (after Redis lost its
    data); returns how many items each stage got."""
    from tgassist.channels.reprocess import Selection, reprocess_missing

    return await reprocess_missing(app, Selection(since=since, channel_id=channel_id, limit=limit))
