"""Enrichment stages end to end on the real bus: tagging, persistence, crawl, indexing, faults."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from tests.channels.enrich_util import (
    assert_no_backlog,
    channel,
    enrichment,
    message,
    save,
    stream_events,
)
from tests.channels.web import serve
from tests.fakes.openai_server import FakeOpenAI, FakeResponse
from tests.util import run_pipeline
from tgassist.app import App
from tgassist.channels.events import (
    POSTS_INDEXED,
    POSTS_PARSED,
    POSTS_TAGGED,
    PostParsed,
    PostTagged,
)
from tgassist.channels.index import point_id
from tgassist.channels.stages import STAGES
from tgassist.core.worker import Worker
from tgassist.settings import Settings

FOOTBALL = "Сборная Германии по футболу выиграла матч. Подольски забил гол. #футбол"


async def test_text_post_is_tagged_persisted_indexed_and_in_the_graph(app: App) -> None:
    cid = await channel(app)
    ids = await save(app, cid, [message(FOOTBALL)])
    pid = next(iter(ids.values()))
    await run_pipeline(app, STAGES)
    tags = await enrichment(app, pid, "tags")
    assert (
        tags is not None and "футбол" in tags.data["tags"] and "topic:sports" in tags.data["tags"]
    )
    assert tags.provider == "offline"
    payload = await app.vectors.get(pid)
    assert payload is not None and payload["channel_id"] == cid and "футбол" in payload["tags"]
    assert await app.graph.tags_of_post(pid) == sorted(tags.data["tags"])
    indexed = await stream_events(app, POSTS_INDEXED)
    assert [(e["post_id"], e["vector_id"]) for e in indexed] == [(pid, point_id(pid))]
    assert await enrichment(app, pid, "crawl") is None  # no links, no crawl
    await assert_no_backlog(app)


async def test_replays_and_reprocessing_never_index_twice(app: App) -> None:
    cid = await channel(app)
    ids = await save(app, cid, [message(FOOTBALL), message("Центробанк повысил ключевую ставку")])
    await run_pipeline(app, STAGES)
    # The same events again (a relay crash after XADD): every group skips them by event id.
    for _id, fields in await app.redis.xrange(POSTS_PARSED):
        await app.redis.xadd(POSTS_PARSED, fields)
    worker = await run_pipeline(app, STAGES)
    assert worker.stats.skipped >= 4 and worker.stats.processed == 0
    # New events for the same posts (reprocess): the work is redone, the index still has one point each.
    for post_id in ids.values():
        await app.bus.publish(
            POSTS_PARSED,
            PostParsed(
                post_id=post_id,
                channel_id=cid,
                message_id=0,
                date=message().date,
                trigger="reprocess",
            ),
        )
    await run_pipeline(app, STAGES)
    assert await app.vectors.count() == 2
    assert await app.graph.post_count(cid) == 2
    reprocessed = [e for e in await stream_events(app, POSTS_INDEXED) if e["source"] == "reprocess"]
    assert len(reprocessed) == 2
    await assert_no_backlog(app)


async def test_tag_persistence_keeps_the_newest_event(app: App) -> None:
    cid = await channel(app)
    pid = next(iter((await save(app, cid, [message("текст")])).values()))
    newer = PostTagged(post_id=pid, channel_id=cid, tags=["новый"], trigger="vision_retag")
    older = PostTagged(
        post_id=pid,
        channel_id=cid,
        tags=["старый"],
        occurred_at=newer.occurred_at - timedelta(seconds=5),
    )
    stage = [s for s in STAGES if s.name == "tag_persistence"]
    await app.bus.publish(POSTS_TAGGED, newer)
    await app.bus.publish(POSTS_TAGGED, older)  # arrives last, but happened first
    await Worker(app, stage).run_until_idle()
    row = await enrichment(app, pid, "tags")
    assert (
        row is not None and row.data["tags"] == ["новый"] and row.data["trigger"] == "vision_retag"
    )


async def test_links_are_crawled_and_page_title_joins_the_index(
    settings_factory: Callable[..., Settings], fixtures_dir: Path
) -> None:
    with serve(fixtures_dir / "web") as web:
        app = await App.start(settings_factory(crawl_allow_loopback=True, crawl_timeout_sec=2.0))
        await app.redis.flushdb()
        try:
            cid = await channel(app)
            text = (
                f"Разбор статьи {web.url('/page/football.ua.podolski.html')} и ещё https://t.me/channel/5 "
                f"и {web.url('/never-ends')} и {web.url('/redirect?to=http://10.0.0.1/admin')}"
            )
            pid = next(iter((await save(app, cid, [message(text)])).values()))
            await run_pipeline(app, STAGES)
            crawl = await enrichment(app, pid, "crawl")
            assert crawl is not None and crawl.status == "ok"
            outcomes = {p["url"].split("/", 3)[-1]: p["outcome"] for p in crawl.data["pages"]}
            assert outcomes == {
                "page/football.ua.podolski.html": "ok",
                "never-ends": "timeout",
                "redirect?to=http://10.0.0.1/admin": "blocked",
            }  # t.me skipped by policy
            page = crawl.data["pages"][0]
            assert (
                page["title"] == "Подольски завершил карьеру в сборной"
                and "Подольски" in page["text"]
            )
            payload = await app.vectors.get(pid)
            assert payload is not None and "Подольски завершил карьеру в сборной" in payload["text"]
            sources = sorted(
                e["source"] for e in await stream_events(app, POSTS_INDEXED) if e["post_id"] == pid
            )
            assert sources == ["enriched", "tagged"] and await app.vectors.count() == 1
            await assert_no_backlog(app)
        finally:
            await app.redis.flushdb()
            await app.close()


async def test_links_to_loopback_are_refused_in_production_settings(
    app: App, fixtures_dir: Path
) -> None:
    with serve(fixtures_dir / "web") as web:
        cid = await channel(app)
        pid = next(
            iter(
                (
                    await save(app, cid, [message(f"см. {web.url('/page/lemire.me.json.html')}")])
                ).values()
            )
        )
        await run_pipeline(app, STAGES)
        assert web.hits == []  # the guard refused before connecting
    crawl = await enrichment(app, pid, "crawl")
    assert crawl is not None and crawl.status == "failed"
    assert (
        crawl.data["pages"][0]["outcome"] == "blocked"
        and "127.0.0.1" in crawl.data["pages"][0]["error"]
    )
    assert await app.vectors.get(pid) is not None  # the post is indexed all the same
    await assert_no_backlog(app)


async def test_llm_faults_in_the_tagging_stage_fall_back_to_offline_tags(
    settings_factory: Callable[..., Settings],
) -> None:
    with FakeOpenAI() as fake:
        app = await App.start(
            settings_factory(
                llm_provider="openai",
                llm_base_url=fake.url,
                llm_api_key="k",
                llm_timeout_sec=0.5,
                llm_max_retries=0,
            )
        )
        await app.redis.flushdb()
        try:
            fake.queue(
                "not json",
                "still not json",
                "nope",
                FakeResponse.slow(3.0, content='{"tags": ["гол"]}'),
            )
            cid = await channel(app)
            ids = await save(
                app, cid, [message(FOOTBALL), message("Подольски завершил карьеру в сборной")]
            )
            await run_pipeline(app, STAGES)
            for pid in ids.values():
                row = await enrichment(app, pid, "tags")
                assert row is not None and row.provider == "offline" and row.data["tags"]
                assert await app.vectors.get(pid) is not None
            await assert_no_backlog(app)
        finally:
            await app.redis.flushdb()
            await app.close()


async def test_embedding_failure_fails_the_message_and_indexes_nothing(
    settings_factory: Callable[..., Settings],
) -> None:
    with FakeOpenAI() as fake:
        fake.responder = lambda req: (
            FakeResponse.error(500) if req.path.endswith("/embeddings") else None
        )
        app = await App.start(
            settings_factory(
                embedder="openai",
                embedder_base_url=fake.url,
                embedder_api_key="k",
                embedder_model="fake-embed",
                embedder_dim=8,
                llm_max_retries=0,
                tagging_max_topics=0,
                bus_max_deliveries=2,
            )
        )
        await app.redis.flushdb()
        try:
            cid = await channel(app)
            pid = next(iter((await save(app, cid, [message(FOOTBALL)])).values()))
            await run_pipeline(app, STAGES)
            letters = await app.bus.dlq_list(POSTS_TAGGED)
            assert [(x.group, x.deliveries) for x in letters] == [("indexing", 2)]
            assert "AIError" in letters[0].error
            assert await app.vectors.count() == 0 and await stream_events(app, POSTS_INDEXED) == []
            assert (await enrichment(app, pid, "tags")) is not None  # the other stages went on
            fake.responder = None  # the provider is back: replay the dead letter
            assert await app.bus.dlq_replay(POSTS_TAGGED) == 1
            await run_pipeline(app, STAGES)
            assert await app.vectors.count() == 1
            assert len(await stream_events(app, POSTS_INDEXED)) == 1
        finally:
            await app.redis.flushdb()
            await app.close()


async def test_crash_mid_stage_loses_nothing_and_duplicates_nothing(app: App) -> None:
    cid = await channel(app)
    ids = await save(app, cid, [message(f"{FOOTBALL} {i}") for i in range(6)])
    await app.outbox.drain()
    indexing = next(s for s in STAGES if s.name == "indexing")
    others = [s for s in STAGES if s.name != "indexing"]
    await Worker(app, others).run_until_idle()  # tagged, but indexing has not started
    # A worker takes the indexing batch, indexes half of it and dies before acking anything.
    for st in STAGES:
        await app.bus.ensure_group(st.stream, st.group_name)
    crashed = await app.bus.read(indexing.stream, indexing.group_name, "crashed", 100, None)
    assert len(crashed) == 6
    dead = Worker(app, [indexing], name="crashed")
    for d in crashed[:3]:
        await indexing.handler(indexing.event.decode(d.fields), _ctx(dead, indexing, d))
    assert (await app.bus.stats(indexing.stream, indexing.group_name)).pending == 6
    survivor = Worker(app, STAGES, name="survivor")
    assert await survivor.reclaim_now(min_idle_ms=0) == 6
    await run_pipeline(app, STAGES)
    assert await app.vectors.count() == len(ids) == 6
    assert sorted({e["post_id"] for e in await stream_events(app, POSTS_INDEXED)}) == sorted(
        ids.values()
    )
    await assert_no_backlog(app)


def _ctx(worker: Worker, stage, delivery):  # type: ignore[no-untyped-def]
    from tgassist.core.worker import StageContext

    return StageContext(worker.app, stage, delivery)


def test_stage_table_covers_every_enrichment_stream() -> None:
    streams = {(s.name, s.stream) for s in STAGES}
    assert {
        "vision",
        "tagging",
        "retagging",
        "tag_persistence",
        "crawl_trigger",
        "enrichment",
        "indexing",
        "album_assembler",
    } <= {n for n, _ in streams}
    assert len({s.group_name for s in STAGES}) == len(STAGES)


async def test_acceptance_real_exports_reach_the_index_with_ocr_and_albums(
    settings_factory: Callable[..., Settings], fixtures_dir: Path
) -> None:
    from sqlalchemy import select

    from tgassist.channels.ingest import import_export
    from tgassist.channels.models import MediaGroup, Post, PostEnrichment

    # Tests stay off the network: the exports' real links are refused by the allow list.
    app = await App.start(settings_factory(crawl_allow_domains="127.0.0.1"))
    await app.redis.flushdb()
    try:
        exports = fixtures_dir / "telegram-desktop"
        for name in ("trantor", "pachum"):
            await import_export(app, exports / name)
        await run_pipeline(app, STAGES)
        async with app.db.session() as session:
            posts = list(
                await session.execute(select(Post.id, Post.media_kind, Post.album_id, Post.text))
            )
            vision = {
                r.post_id: r
                for r in await session.scalars(
                    select(PostEnrichment).where(PostEnrichment.kind == "vision")
                )
            }
            groups = list(await session.scalars(select(MediaGroup)))
        events = await stream_events(app, POSTS_INDEXED)
        assert {e["post_id"] for e in events} == {
            p.id for p in posts
        }  # every post reached posts.indexed
        with_vector = {e["post_id"] for e in events if e["vector_id"]}
        assert await app.vectors.count() == len(with_vector) >= len([p for p in posts if p.text])
        photos = [p for p in posts if p.media_kind == "photo"]
        analysed = [vision[p.id] for p in photos if p.id in vision]
        assert analysed and all(v.status in ("ok", "skipped") for v in analysed)
        assert any(
            "Android" in (v.data.get("ocr_text") or "") for v in analysed
        )  # trantor's photo_10 is a chart
        complete = [g for g in groups if (g.meta or {}).get("enrichment")]
        assert len(complete) == len(groups) >= 3
        summaries = [
            json.loads(await app.blobs.get(g.meta["enrichment"]["summary_key"])) for g in complete
        ]
        assert all(
            s["album_id"] == g.id and s["items_count"] == g.items_count
            for s, g in zip(summaries, complete, strict=True)
        )
        assert any("Android" in s["ocr_text"] for s in summaries)
        await assert_no_backlog(app)
    finally:
        await app.redis.flushdb()
        await app.close()


async def test_group_commit_batches_concurrent_writes_and_isolates_a_bad_item() -> None:
    import asyncio

    from tgassist.channels.batcher import Batcher

    flushes: list[list[int]] = []

    async def flush(items: list[int]) -> None:
        flushes.append(items)
        await asyncio.sleep(0.01)
        if 13 in items:
            raise ValueError("bad item 13")

    batcher: Batcher[int, None] = Batcher(flush, max_items=8, max_wait=0.005)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(20)), return_exceptions=True)
    failed = [i for i, r in enumerate(results) if isinstance(r, Exception)]
    assert failed == [13] and "bad item 13" in str(results[13])
    assert max(len(f) for f in flushes) == 8  # written together, not one by one
    assert sorted({i for f in flushes for i in f}) == list(range(20))
