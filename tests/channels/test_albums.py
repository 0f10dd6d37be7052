"""Album assembly: summary building, assembly when complete, replays, an item that never arrives."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from sqlalchemy import delete, select

from tests.channels.enrich_util import (
    album,
    assert_no_backlog,
    channel,
    message,
    photo,
    save,
    stream_events,
    text_image,
)
from tests.util import run_pipeline
from tgassist.app import App
from tgassist.channels.albums import AlbumTracker, ItemVision, build_summary, summary_key
from tgassist.channels.events import (
    ALBUM_ASSEMBLED,
    ALBUMS_OVERDUE,
    ALBUMS_PARSED,
    POSTS_PARSED,
    PostParsed,
)
from tgassist.channels.models import Post
from tgassist.channels.stages import HEALTH, JOBS, STAGES
from tgassist.core.models import OutboxRow
from tgassist.settings import Settings


def _media(
    sha: str, text: str = "", labels: list[str] | None = None, desc: str | None = None
) -> dict[str, object]:
    return {
        "sha256": sha,
        "status": "ok",
        "ocr_text": text,
        "labels": labels or [],
        "description": desc,
    }


def test_summary_prioritises_dedupes_and_normalises() -> None:
    items = [
        ItemVision(
            1, 0, "skipped", [{"sha256": "s0", "status": "skipped", "ocr_text": "", "labels": []}]
        ),
        ItemVision(
            2,
            1,
            "ok",
            [_media("a", "Скидка 50%\n  Скидка   50% \nwww.shop.ru", ["Sale!", "shop"], "Баннер")],
        ),
        ItemVision(
            3, 2, "ok", [_media("b", "скидка 50%\nТолько сегодня\n.", ["sale", "Shop"], "Баннер")]
        ),
        ItemVision(
            4, 3, "ok", [_media("a", "Скидка 50%\nwww.shop.ru", ["sale"])]
        ),  # the same picture again
        ItemVision(5, 4, "missing", []),
    ]
    s = build_summary(
        album_id=9, channel_id=3, tenant="t", caption="Распродажа", items=items, timed_out=True
    )
    assert s["ocr_text"].splitlines() == ["Скидка 50%", "www.shop.ru", "Только сегодня"]
    assert s["labels"] == [{"label": "sale", "count": 2}, {"label": "shop", "count": 2}]
    assert s["descriptions"] == ["Баннер"]
    assert (s["items_count"], s["analysed"], s["with_text"], s["status"]) == (5, 4, 3, "partial")
    assert [i["post_id"] for i in s["items"]] == [1, 2, 3, 4, 5]  # items stay in album order
    assert summary_key("t", 9) == "album/t/9_vision_summary_v1.json"


async def test_tracker_state_lives_24h_and_knows_completion(app: App) -> None:
    t = AlbumTracker(app.redis, ttl_sec=86400)
    await t.on_analysed(5, 11, "ok")  # an item can come before the album itself
    state = await t.on_parsed(5, 1, [11, 12], "подпись")
    assert state.known and not state.complete
    state = await t.on_analysed(5, 12, "failed")
    assert state.complete and state.caption == "подпись"
    assert 86000 < await app.redis.ttl("album:state:5") <= 86400
    assert await t.pending() == 1
    await t.finish(5)
    assert await t.pending() == 0 and await t.load(5) is None


async def _album_posts(app: App, texts: list[str]) -> tuple[int, list[int]]:
    cid = await channel(app)
    msgs = [
        message("Подпись альбома" if i == 0 else "", [photo(text_image(t))], grouped_id=777)
        for i, t in enumerate(texts)
    ]
    ids = await save(app, cid, msgs)
    async with app.db.session() as session:
        album_id = await session.scalar(
            select(Post.album_id).where(Post.id == next(iter(ids.values())))
        )
    assert album_id is not None
    return album_id, list(ids.values())


async def test_album_is_assembled_once_with_its_summary(app: App) -> None:
    album_id, post_ids = await _album_posts(app, ["Первая", "Вторая", "Hello World"])
    await run_pipeline(app, STAGES)
    events = await stream_events(app, ALBUM_ASSEMBLED)
    assert [(e["album_id"], e["items_count"], e["analysed"], e["timed_out"]) for e in events] == [
        (album_id, 3, 3, False)
    ]
    summary = json.loads(await app.blobs.get(summary_key("default", album_id)))
    assert summary["status"] == "complete" and summary["caption"] == "Подпись альбома"
    assert summary["ocr_text"].splitlines() == [
        "Hello World",
        "Первая",
        "Вторая",
    ]  # most text first
    meta = (await album(app, album_id)).meta["enrichment"]
    assert meta["summary_key"] == summary_key("default", album_id) and meta["post_ids"] == post_ids
    assert await app.graph.posts_of_album(album_id) == post_ids
    payload = await app.vectors.get(post_ids[1])  # an item without text: caption + its own OCR
    assert payload is not None and payload["album_id"] == album_id and "Вторая" in payload["text"]
    # Replays of the album's events change nothing.
    for stream in (ALBUMS_PARSED, POSTS_PARSED):
        for _id, fields in await app.redis.xrange(stream):
            await app.redis.xadd(stream, fields)
    await run_pipeline(app, STAGES)
    assert len(await stream_events(app, ALBUM_ASSEMBLED)) == 1
    assert await AlbumTracker(app.redis).pending() == 0
    await assert_no_backlog(app)


async def test_album_whose_item_never_arrives_is_assembled_on_timeout(
    settings_factory: Callable[..., Settings],
) -> None:
    app = await App.start(settings_factory(album_assembly_timeout_sec=0.2))
    await app.redis.flushdb()
    try:
        album_id, post_ids = await _album_posts(app, ["Первая", "Вторая", "Третья"])
        lost = post_ids[2]
        async with app.db.session() as session:  # its posts.parsed event is lost
            rows = (
                await session.scalars(select(OutboxRow).where(OutboxRow.stream == POSTS_PARSED))
            ).all()
            await session.execute(
                delete(OutboxRow).where(
                    OutboxRow.id.in_(
                        [r.id for r in rows if json.loads(r.payload)["post_id"] == lost]
                    )
                )
            )
        await run_pipeline(app, STAGES)
        assert await stream_events(app, ALBUM_ASSEMBLED) == []
        health = dict(HEALTH)
        assert (await health["albums"](app))["pending"] == 1
        await asyncio.sleep(0.3)
        job = next(j for j in JOBS if j.name == "album_timeouts")
        # The graph is embedded and this process does not hold it: the job only asks the
        # worker that does (the album_overdue stage), it never opens LadybugDB itself.
        assert await job.func(app) == 1
        assert await stream_events(app, ALBUM_ASSEMBLED) == []
        assert await app.redis.xlen(ALBUMS_OVERDUE) == 1
        await run_pipeline(app, STAGES)
        await app.outbox.drain()
        events = await stream_events(app, ALBUM_ASSEMBLED)
        assert [(e["analysed"], e["timed_out"]) for e in events] == [(2, True)]
        summary = json.loads(await app.blobs.get(summary_key("default", album_id)))
        assert summary["status"] == "partial"
        assert [i["status"] for i in summary["items"]] == ["ok", "ok", "missing"]
        assert (await album(app, album_id)).meta["enrichment"]["timed_out"] is True
        assert await job.func(app) == 0  # nothing pending any more
        # The item turns up after all: the album is assembled again, now complete.
        async with app.db.session() as session:
            row = await session.get(Post, lost)
        assert row is not None
        await app.bus.publish(
            POSTS_PARSED,
            PostParsed(
                post_id=lost,
                channel_id=row.channel_id,
                message_id=row.message_id,
                date=row.date,
                media_sha256=["x"],
                album_id=album_id,
                grouped_id=777,
            ),
        )
        await run_pipeline(app, STAGES)
        events = await stream_events(app, ALBUM_ASSEMBLED)
        assert [(e["analysed"], e["timed_out"]) for e in events] == [(2, True), (3, False)]
        assert (await album(app, album_id)).meta["enrichment"]["status"] == "complete"
        await assert_no_backlog(app)
    finally:
        await app.redis.flushdb()
        await app.close()


async def test_overdue_albums_are_assembled_in_place_by_the_process_holding_the_graph(
    settings_factory: Callable[..., Settings],
) -> None:
    """`tgassist run` (scheduler and the worker holding the embedded stores in one process)
    assembles overdue albums directly; no request goes through the stream."""
    from tgassist.core.locks import owner_id

    app = await App.start(settings_factory(album_assembly_timeout_sec=0.2))
    await app.redis.flushdb()
    try:
        album_id, _ = await _album_posts(app, ["Одна", "Две"])
        async with app.db.session() as session:  # no item's posts.parsed event arrives
            await session.execute(delete(OutboxRow).where(OutboxRow.stream == POSTS_PARSED))
        await run_pipeline(app, STAGES)
        await asyncio.sleep(0.3)
        await app.redis.set("lock:stages:embedded-stores", owner_id(), ex=30)  # held here
        job = next(j for j in JOBS if j.name == "album_timeouts")
        assert await job.func(app) == 1
        assert await app.redis.xlen(ALBUMS_OVERDUE) == 0
        await app.outbox.drain()
        events = await stream_events(app, ALBUM_ASSEMBLED)
        assert [(e["album_id"], e["timed_out"]) for e in events] == [(album_id, True)]
    finally:
        await app.redis.flushdb()
        await app.close()
