"""The indexing stage: one vector per post (text + OCR + page titles) into Qdrant, and the graph.

Runs on posts.tagged and posts.enriched; each run re-reads the post's current state, so the last
run wins and a re-run replaces (point ids are derived from the post id; graph writes MERGE).
An embedding failure fails the message (retried, then dead-lettered): a zero or garbage vector is
never written.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from tgassist.channels.batcher import Batcher, shared
from tgassist.channels.embedcache import cached_embed, post_document
from tgassist.channels.enrichment_store import PostView, load_post
from tgassist.channels.events import POSTS_INDEXED, PostEnriched, PostIndexed, PostTagged
from tgassist.channels.graph import PostNode
from tgassist.channels.index import PostVector, point_id
from tgassist.channels.metrics import GRAPH_WRITES, INDEXED_POINTS
from tgassist.channels.stage_tags import derived
from tgassist.core.events import Event

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.worker import StageContext

log = structlog.get_logger(__name__)


def current_tags(
    post: PostView, event_tags: list[str] | None, event_time: datetime | None
) -> list[str]:
    """The newest tags known: the event's, unless the stored ones are newer."""
    stored = post.enrichments.get("tags")
    if event_tags is not None and (
        stored is None or event_time is None or event_time >= stored.event_time
    ):
        return list(event_tags)
    return list((stored.data or {}).get("tags") or []) if stored is not None else []


def index_document(post: PostView, max_chars: int) -> str:
    """The text embedded for a post; an album item without its own text borrows the album caption."""
    text = post.text or (post.album_caption or "")
    return post_document(text, post.ocr_text, post.crawl_titles, max_chars=max_chars)


async def index_post(
    app: App,
    parent: Event,
    stage: str,
    post_id: int,
    source: str,
    event_tags: list[str] | None = None,
    event_time: datetime | None = None,
) -> None:
    async with app.db.session() as session:
        post = await load_post(session, post_id, ("tags", "vision", "crawl"))
    if post is None:
        log.info("indexing: post is gone", post_id=post_id)
        return
    tags = current_tags(post, event_tags, event_time)
    document = index_document(post, app.settings.index_text_max_chars)
    item: PostVector | None = None
    if document:
        # Tagging embedded the same document a moment ago: the cache makes this a lookup.
        vector = (await cached_embed(app.redis, app.embedder, [document]))[0]
        item = PostVector(
            post.id,
            post.channel_id,
            vector,
            album_id=post.album_id,
            tags=tuple(tags),
            date=post.date,
            text=document,
        )
    else:
        log.info("indexing: post has no text to embed; graph only", post_id=post.id)
    node = PostNode(
        post.id,
        post.channel_id,
        post.date.isoformat() if post.date else None,
        tuple(tags),
        post.album_id,
    )
    # Concurrent handlers share one Qdrant upsert and one graph transaction (group commit).
    await shared(app, "index", lambda: Batcher(lambda batch: _write(app, batch))).submit(
        (item, node)
    )
    vector_id = point_id(post.id) if item is not None else ""
    await app.bus.publish(
        POSTS_INDEXED,
        derived(
            parent,
            stage,
            PostIndexed,
            post_id=post.id,
            channel_id=post.channel_id,
            vector_id=vector_id,
            source=source,
        ),
    )


async def _write(app: App, batch: list[tuple[PostVector | None, PostNode]]) -> None:
    latest: dict[int, tuple[PostVector | None, PostNode]] = {}
    for item, node in batch:  # the same post twice in one batch: the later state wins
        latest[node.post_id] = (item, node)
    vectors = [v for v, _ in latest.values() if v is not None]
    if vectors:
        await app.vectors.upsert(vectors)
        INDEXED_POINTS.inc(len(vectors))
    await app.graph.write([stmt for _, node in latest.values() for stmt in node.statements()])
    GRAPH_WRITES.labels("post").inc(len(latest))


async def handle_indexing_tagged(event: PostTagged, ctx: StageContext) -> None:
    """posts.tagged → index the post with these tags (unless newer ones are stored)."""
    source = "reprocess" if event.trigger == "reprocess" else "tagged"
    await index_post(
        ctx.app, event, "indexing", event.post_id, source, event.tags, event.occurred_at
    )


async def handle_indexing_enriched(event: PostEnriched, ctx: StageContext) -> None:
    """posts.enriched → index the post again, now with the linked pages' titles."""
    await index_post(ctx.app, event, "indexing_enriched", event.post_id, "enriched")
