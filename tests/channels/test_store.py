"""save_batch: albums across batches, the album cache, media ref counts, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tgassist.app import App
from tgassist.channels.media import store_media
from tgassist.channels.models import MediaGroup, MediaGroupItem, MediaObject, PostMedia
from tgassist.channels.service import ensure_channel
from tgassist.channels.sources.base import ChannelInfo, RawMedia, RawMessage
from tgassist.channels.store import album_key, save_batch

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def msg(
    i: int, text: str = "", grouped_id: int | None = None, photo: bytes | None = None
) -> RawMessage:
    media = [RawMedia(kind="photo", mime="image/jpeg", content=photo)] if photo is not None else []
    return RawMessage(
        message_id=i, date=T0 + timedelta(minutes=i), text=text, grouped_id=grouped_id, media=media
    )


async def channel_id(app: App) -> int:
    return (
        await ensure_channel(
            app, ChannelInfo(telegram_id=5, username="c", title="C"), source="telegram"
        )
    ).id


async def albums(app: App) -> list[tuple[int, int, str | None]]:
    async with app.db.session() as s:
        rows = (
            await s.execute(
                select(MediaGroup.grouped_id, MediaGroup.items_count, MediaGroup.caption)
            )
        ).all()
    return [tuple(r) for r in rows]


async def test_album_across_batches_without_the_redis_cache(app: App) -> None:
    cid = await channel_id(app)
    first = await save_batch(app, cid, [msg(1, "cap", 9), msg(2, "", 9)])
    await app.redis.flushdb()  # the cache is gone (restart of an embedded Redis without AOF, say)
    second = await save_batch(app, cid, [msg(3, "", 9), msg(4, "solo")])
    assert (first.albums, second.albums) == (1, 1)
    assert await albums(app) == [(9, 3, "cap")]


async def test_stale_album_cache_is_forgotten(app: App) -> None:
    cid = await channel_id(app)
    await app.redis.set(album_key(cid, 9), 999_999)  # an id the DB does not have
    saved = await save_batch(app, cid, [msg(1, "cap", 9), msg(2, "", 9)])
    assert saved.new == 2 and await albums(app) == [(9, 2, "cap")]
    async with app.db.session() as s:
        album_id = await s.scalar(select(MediaGroup.id))
    assert await app.redis.get(album_key(cid, 9)) == str(album_id)


async def test_media_stored_once_with_ref_counts(app: App) -> None:
    cid = await channel_id(app)
    batch = [
        msg(1, "a", photo=b"same bytes"),
        msg(2, "b", photo=b"same bytes"),
        msg(3, "c", photo=b"other"),
    ]
    assert await store_media(app, batch) == 2
    await save_batch(app, cid, batch)
    async with app.db.session() as s:
        counts = dict((await s.execute(select(MediaObject.size, MediaObject.ref_count))).all())
    assert counts == {10: 2, 5: 1}
    edit = [msg(2, "b edited", photo=b"other")]  # post 2 now shows the other photo
    await store_media(app, edit)
    saved = await save_batch(app, cid, edit)
    assert saved.edited == 1 and saved.media_new == 0
    async with app.db.session() as s:
        counts = dict((await s.execute(select(MediaObject.size, MediaObject.ref_count))).all())
        links = await s.scalar(select(func.count()).select_from(PostMedia))
    assert counts == {10: 1, 5: 2} and links == 3
    again = [msg(1, "a", photo=b"same bytes")]
    assert await store_media(app, again) == 0  # known sha256: no blob written
    assert (await save_batch(app, cid, again)).unchanged == 1


async def test_same_batch_twice_and_duplicate_ids(app: App) -> None:
    cid = await channel_id(app)
    batch = [msg(1, "x"), msg(2, "y", 7), msg(3, "", 7), msg(1, "x")]
    first = await save_batch(app, cid, batch)
    second = await save_batch(app, cid, batch)
    assert (first.new, first.albums) == (3, 1)
    assert (second.new, second.edited, second.unchanged, second.albums) == (0, 0, 3, 0)
    async with app.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(MediaGroupItem)) == 2
    assert await app.outbox.drain() == 4
