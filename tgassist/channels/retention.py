"""Storage hygiene: old posts' media and orphaned media files are removed from the blob store.

The rows stay (a post keeps its text, OCR and tags; a media object keeps its sha256, so the same
file is recognised if it comes back); only the bytes go, and `blob_key` becomes NULL. The job
reports what it freed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import and_, exists, select, update

from tgassist.channels.models import MediaObject, Post, PostMedia
from tgassist.core.db import utcnow
from tgassist.core.product import Job

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)

BATCH = 500


@dataclass(frozen=True)
class RetentionReport:
    """What one pass freed (or would free, on a dry run)."""

    media_files: int
    media_bytes: int
    orphan_files: int
    orphan_bytes: int
    missing_files: int
    dry_run: bool

    @property
    def freed_bytes(self) -> int:
        return self.media_bytes + self.orphan_bytes


def _old_media(cutoff: datetime) -> object:
    """Media with a file whose posts are all older than `cutoff`."""
    recent_post = exists().where(
        and_(
            PostMedia.media_id == MediaObject.id, PostMedia.post_id == Post.id, Post.date >= cutoff
        )
    )
    any_post = exists().where(PostMedia.media_id == MediaObject.id)
    return (
        select(MediaObject.id, MediaObject.blob_key, MediaObject.size)
        .where(MediaObject.blob_key.is_not(None), any_post, ~recent_post)
        .order_by(MediaObject.id)
    )


def _orphans(cutoff: datetime) -> object:
    """Media with a file that no post refers to any more (a removed channel, an edited post)."""
    any_post = exists().where(PostMedia.media_id == MediaObject.id)
    return (
        select(MediaObject.id, MediaObject.blob_key, MediaObject.size)
        .where(MediaObject.blob_key.is_not(None), ~any_post, MediaObject.created_at < cutoff)
        .order_by(MediaObject.id)
    )


async def _purge(app: App, query: object, dry_run: bool) -> tuple[int, int, int]:
    files = size = missing = 0
    last_id = 0
    while True:
        async with app.db.session() as session:
            rows = (
                await session.execute(query.where(MediaObject.id > last_id).limit(BATCH))  # type: ignore[attr-defined]
            ).all()
        if not rows:
            return files, size, missing
        last_id = rows[-1].id
        purged: list[int] = []
        for row in rows:
            if not await app.blobs.exists(row.blob_key):
                missing += 1
            elif not dry_run:
                await app.blobs.delete(row.blob_key)
            files += 1
            size += int(row.size or 0)
            purged.append(row.id)
        if not dry_run:
            async with app.db.session() as session:
                await session.execute(
                    update(MediaObject).where(MediaObject.id.in_(purged)).values(blob_key=None)
                )


async def apply_retention(
    app: App, *, now: datetime | None = None, dry_run: bool = False
) -> RetentionReport:
    """One pass of the retention rules in the settings."""
    now = now or utcnow()
    settings = app.settings
    media = (0, 0, 0)
    if settings.media_retention_days > 0:
        cutoff = now - timedelta(days=settings.media_retention_days)
        media = await _purge(app, _old_media(cutoff), dry_run)
    orphans = await _purge(
        app, _orphans(now - timedelta(hours=settings.media_orphan_grace_hours)), dry_run
    )
    report = RetentionReport(
        media_files=media[0],
        media_bytes=media[1],
        orphan_files=orphans[0],
        orphan_bytes=orphans[1],
        missing_files=media[2] + orphans[2],
        dry_run=dry_run,
    )
    log.info(
        "storage retention applied",
        dry_run=dry_run,
        media_files=report.media_files,
        orphan_files=report.orphan_files,
        freed_bytes=report.freed_bytes,
        already_missing=report.missing_files,
    )
    return report


async def retention_job(app: App) -> RetentionReport:
    return await apply_retention(app)


JOBS: tuple[Job, ...] = (Job("channels_storage_retention", retention_job, cron="30 3 * * *"),)

__all__ = ["JOBS", "RetentionReport", "apply_retention"]
