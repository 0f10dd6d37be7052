"""Storage hygiene: old posts' media files go, posts stay, the report says what was freed; a file
no post refers to goes after the grace period; a purged file that comes back is stored again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, func, select

from tgassist.channels.ingest import import_export
from tgassist.channels.models import MediaObject, Post, PostMedia
from tgassist.channels.retention import apply_retention
from tgassist.core.db import utcnow

EXPORT = "telegram-desktop/trantor/result.json"


async def _media(app) -> list[tuple[str | None, int]]:
    async with app.db.session() as s:
        rows = (await s.execute(select(MediaObject.blob_key, MediaObject.size))).all()
        return [(r.blob_key, r.size) for r in rows]


async def test_old_media_are_purged_and_reported(make_app, fixtures_dir: Path) -> None:
    app = await make_app(media_retention_days=30)
    await import_export(app, fixtures_dir / EXPORT)
    before = await _media(app)
    stored = [(k, size) for k, size in before if k]
    assert stored, "the fixture export carries media files"
    async with app.db.session() as s:
        posts = await s.scalar(select(func.count()).select_from(Post))

    dry = await apply_retention(app, dry_run=True)
    assert (dry.media_files, dry.media_bytes) == (len(stored), sum(s for _, s in stored))
    assert await _media(app) == before  # a dry run changes nothing
    assert all([await app.blobs.exists(k) for k, _ in stored])

    report = await apply_retention(app)
    assert report.media_files == len(stored) and report.freed_bytes == dry.freed_bytes
    assert all(k is None for k, _ in await _media(app))
    assert not any([await app.blobs.exists(k) for k, _ in stored])
    async with app.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Post)) == posts
    again = await apply_retention(app)
    assert again.media_files == 0 and again.freed_bytes == 0

    # the same files brought by an import again are stored again
    await import_export(app, fixtures_dir / EXPORT)
    restored = await _media(app)
    assert sorted(k for k, _ in restored if k) == sorted(k for k, _ in stored)
    assert all([await app.blobs.exists(k) for k, _ in stored])


async def test_recent_media_stay_and_orphans_go_after_grace(make_app, fixtures_dir: Path) -> None:
    app = await make_app(media_retention_days=0, media_orphan_grace_hours=1)
    await import_export(app, fixtures_dir / EXPORT)
    async with app.db.session() as s:
        media = (
            (await s.execute(select(MediaObject).where(MediaObject.blob_key.is_not(None))))
            .scalars()
            .first()
        )
        assert media is not None
        orphan_id, orphan_key = media.id, media.blob_key
        await s.execute(delete(PostMedia).where(PostMedia.media_id == orphan_id))
    # within the grace period nothing goes
    assert (await apply_retention(app)).orphan_files == 0
    report = await apply_retention(app, now=utcnow() + timedelta(hours=2))
    assert report.orphan_files == 1 and report.media_files == 0
    assert not await app.blobs.exists(orphan_key)
    left = [k for k, _ in await _media(app) if k]
    assert left and all([await app.blobs.exists(k) for k in left])
