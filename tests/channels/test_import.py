"""Importing Telegram Desktop exports end to end: acceptance on the real fixtures, idempotency, edits, faults."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tgassist.app import App
from tgassist.channels.events import ALBUMS_PARSED, POSTS_PARSED
from tgassist.channels.ingest import import_export
from tgassist.channels.models import (
    Channel,
    MediaGroup,
    MediaGroupItem,
    MediaObject,
    ParserRun,
    Post,
    PostMedia,
)
from tgassist.channels.service import channel_lock
from tgassist.channels.sources.base import SourceError
from tgassist.core.models import OutboxRow


async def count(app: App, model: type, *where: object) -> int:
    async with app.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def stream_events(app: App, stream: str) -> list[dict[str, object]]:
    return [json.loads(fields["data"]) for _, fields in await app.redis.xrange(stream)]


async def test_acceptance_real_exports_imported_once(app: App, fixtures_dir: Path) -> None:
    exports = fixtures_dir / "telegram-desktop"
    pachum = await import_export(app, exports / "pachum")
    trantor = await import_export(app, exports / "trantor")
    published = await app.outbox.drain()

    assert (pachum.posts_new, pachum.albums, pachum.missing_media, pachum.skipped) == (6, 1, 6, 0)
    assert (trantor.posts_new, trantor.albums, trantor.missing_media, trantor.skipped) == (
        53,
        5,
        12,
        4,
    )
    assert trantor.media == 8  # the 9 photos present, less the service message's channel photo
    assert await count(app, Post) == 59
    assert await count(app, MediaGroup) == 6
    async with app.db.session() as s:
        sizes = dict((await s.execute(select(MediaGroup.grouped_id, MediaGroup.items_count))).all())
        caption = await s.scalar(select(MediaGroup.caption).where(MediaGroup.grouped_id == -11))
        photo = (await s.execute(select(MediaObject).limit(1))).scalar_one()
        missing = await s.scalar(select(Post.media_missing).where(Post.message_id == 12))
    assert sizes == {-3858: 6, -11: 3, -15: 2, -33: 2, -53: 3, -68: 2}
    assert caption and caption.startswith("B站播放时长最长的内容是高等数学")
    assert await app.blobs.exists(photo.blob_key) and photo.ref_count == 1 and photo.width
    assert missing and missing[0]["reason"] == "file_missing"

    posts = await stream_events(app, POSTS_PARSED)
    albums = await stream_events(app, ALBUMS_PARSED)
    assert published == len(posts) + len(albums) == 59 + 6
    assert {p["trigger"] for p in posts} == {"new"}
    album = next(a for a in albums if a["grouped_id"] == -53)
    assert album["items_count"] == 3 and len(album["post_ids"]) == 3
    with_media = next(p for p in posts if p["message_id"] == 33)
    assert len(with_media["media_sha256"]) == 1 and with_media["grouped_id"] == -33

    again = await import_export(app, exports / "trantor")
    assert (
        again.posts_new,
        again.posts_edited,
        again.posts_unchanged,
        again.albums,
        again.media,
    ) == (0, 0, 53, 0, 0)
    assert await app.outbox.drain() == 0
    assert await count(app, Post) == 59 and await count(app, MediaGroupItem) == 18
    assert await count(app, PostMedia) == 8
    assert await count(app, ParserRun, ParserRun.status == "ok") == 3


async def test_edit_updates_post_and_publishes_edit(
    app: App, fixtures_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "trantor"
    shutil.copytree(fixtures_dir / "telegram-desktop" / "trantor", root)
    await import_export(app, root)
    await app.outbox.drain()
    data = json.loads((root / "result.json").read_text(encoding="utf-8"))
    target = next(m for m in data["messages"] if m["id"] == 53)  # an album's captioned first item
    target["text_entities"] = [{"type": "plain", "text": "new caption"}]
    target["edited_unixtime"] = str(int(target["date_unixtime"]) + 60)
    (root / "result.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    result = await import_export(app, root)
    assert (result.posts_new, result.posts_edited, result.albums) == (0, 1, 1)
    await app.outbox.drain()
    edits = [p for p in await stream_events(app, POSTS_PARSED) if p["trigger"] == "edit"]
    assert [p["message_id"] for p in edits] == [53]
    album = (await stream_events(app, ALBUMS_PARSED))[-1]
    assert album["caption"] == "new caption" and album["items_count"] == 3
    async with app.db.session() as s:
        assert await s.scalar(select(Post.text).where(Post.message_id == 53)) == "new caption"


async def test_truncated_export_writes_nothing(
    app: App, fixtures_dir: Path, tmp_path: Path
) -> None:
    raw = (fixtures_dir / "telegram-desktop" / "trantor" / "result.json").read_bytes()
    (tmp_path / "result.json").write_bytes(raw[: len(raw) // 3])
    with pytest.raises(SourceError, match="result.json is cut off"):
        await import_export(app, tmp_path)
    assert (
        await count(app, Channel) == 0
        and await count(app, Post) == 0
        and await count(app, OutboxRow) == 0
    )


async def test_deleted_photo_is_missing_media_and_post_kept(
    app: App, fixtures_dir: Path, tmp_path: Path
) -> None:
    """A photo deleted from the export folder: counted as missing media, its post imported."""
    root = tmp_path / "trantor"
    shutil.copytree(fixtures_dir / "telegram-desktop" / "trantor", root)
    (root / "photos" / "photo_20@18-07-2023_17-12-13.jpg").unlink()
    result = await import_export(app, root)
    assert result.posts_new == 53 and result.missing_media == 13


async def test_import_refused_while_channel_is_parsed(app: App, fixtures_dir: Path) -> None:
    from tgassist.channels.service import ChannelBusy

    await import_export(app, fixtures_dir / "telegram-desktop" / "pachum")
    async with app.db.session() as s:
        channel_id = await s.scalar(select(Channel.id))
    async with channel_lock(app, channel_id):
        with pytest.raises(ChannelBusy, match="try again later"):
            await import_export(app, fixtures_dir / "telegram-desktop" / "pachum")
