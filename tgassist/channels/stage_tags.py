"""Stages around tags: tagging, retagging after vision, tag persistence, crawl trigger."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import select

from tgassist.channels.batcher import Batcher, shared
from tgassist.channels.crawl import LinkPolicy
from tgassist.channels.enrichment_store import (
    EnrichmentRow,
    load_post,
    load_posts,
    upsert_enrichments,
)
from tgassist.channels.events import (
    POSTS_CRAWL,
    POSTS_TAGGED,
    PostCrawl,
    PostParsed,
    PostTagged,
    PostVisionAnalyzed,
)
from tgassist.channels.models import Post
from tgassist.channels.tagging import Tagger
from tgassist.core.events import Event

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.worker import StageContext

log = structlog.get_logger(__name__)

_ID_NAMESPACE = uuid.UUID("0b8d7e52-1c4a-4d7f-8f55-7a3c9e2d6b11")


def derived(parent: Event, stage: str, cls: type[Event], **data: object) -> Event:
    """A follow-up event whose id is derived from its cause: a re-run publishes the same id, and
    consumers skip it (used where there is no data to commit the event with)."""
    event_id = uuid.uuid5(_ID_NAMESPACE, f"{parent.event_id}:{stage}").hex
    return cls(event_id=event_id, trace_id=parent.trace_id, **data)


async def handle_tagging(event: PostParsed, ctx: StageContext) -> None:
    """posts.parsed → tags of the post text → posts.tagged."""
    app = ctx.app
    # Handlers running at once share one query, one embedding call and one XADD pipeline.
    await shared(app, "tagging", lambda: Batcher(lambda evs: _tag_posts(app, evs))).submit(event)


async def _tag_posts(app: App, events: list[PostParsed]) -> None:
    async with app.db.session() as session:
        posts = await load_posts(session, [e.post_id for e in events])
    alive = [e for e in events if e.post_id in posts]
    for e in events:
        if e.post_id not in posts:
            log.info("tagging: post is gone; nothing to do", post_id=e.post_id)
    results = await Tagger.for_app(app).tag_many([(posts[e.post_id].text, "") for e in alive])
    out = []
    for event, result in zip(alive, results, strict=True):
        post = posts[event.post_id]
        tagged = derived(
            event,
            "tagging",
            PostTagged,
            post_id=post.id,
            channel_id=post.channel_id,
            tags=result.tags,
            trigger="reprocess" if event.trigger == "reprocess" else "text",
            provider=result.provider,
            has_links=bool(post.links),
        )
        out.append((POSTS_TAGGED, tagged.encode()))
    await app.bus.publish_many(out)


async def handle_retagging(event: PostVisionAnalyzed, ctx: StageContext) -> None:
    """posts.vision.analyzed → tags of text + OCR/vision text → posts.tagged (trigger=vision_retag)."""
    app = ctx.app
    async with app.db.session() as session:
        post = await load_post(session, event.post_id, ("vision",))
    if post is None:
        return
    vision = post.data("vision")
    extra = "\n".join(
        filter(None, [vision.get("ocr_text") or "", *(vision.get("descriptions") or [])])
    )
    if not extra.strip():
        return  # nothing new to tag with: the text tags stand
    result = await Tagger.for_app(app).tag(post.text, extra)
    await app.bus.publish(
        POSTS_TAGGED,
        derived(
            event,
            "retagging",
            PostTagged,
            post_id=post.id,
            channel_id=post.channel_id,
            tags=result.tags,
            trigger="vision_retag",
            provider=result.provider,
            has_links=bool(post.links),
        ),
    )


async def handle_tag_persistence(event: PostTagged, ctx: StageContext) -> None:
    """posts.tagged → post_enrichment(kind='tags'); the newest event wins, whatever the arrival order."""
    app = ctx.app
    # Concurrent handlers share one transaction (group commit): far fewer SQLite write locks.
    await shared(app, "tags", lambda: Batcher(lambda events: _persist_tags(app, events))).submit(
        event
    )


async def _persist_tags(app: App, events: list[PostTagged]) -> None:
    async with app.db.session() as session:
        ids = {e.post_id for e in events}
        alive = set((await session.scalars(select(Post.id).where(Post.id.in_(ids)))).all())
        for event in events:
            if event.post_id not in alive:
                log.info("tag persistence: post is gone", post_id=event.post_id)
        data = [
            EnrichmentRow(
                e.post_id,
                "tags",
                "ok",
                {"tags": e.tags, "trigger": e.trigger, "event_id": e.event_id},
                e.occurred_at,
                provider=e.provider[:50],
            )
            for e in events
            if e.post_id in alive
        ]
        await upsert_enrichments(session, data)


async def handle_crawl_trigger(event: PostTagged, ctx: StageContext) -> None:
    """posts.tagged (text/reprocess) → the post's links that pass the policy → posts.crawl."""
    app = ctx.app
    if (
        event.trigger == "vision_retag"
        or event.has_links is False
        or not app.settings.crawl_enabled
    ):
        return  # links come from the text (a retag does not change them); no links, nothing to do
    async with app.db.session() as session:
        post = await load_post(session, event.post_id)
    if post is None or not post.links:
        return
    urls = LinkPolicy.from_settings(app.settings).select(post.links)
    if not urls:
        log.debug(
            "crawl trigger: no link passes the policy", post_id=post.id, links=len(post.links)
        )
        return
    await app.bus.publish(
        POSTS_CRAWL,
        derived(
            event,
            "crawl_trigger",
            PostCrawl,
            post_id=post.id,
            channel_id=post.channel_id,
            urls=urls,
        ),
    )
