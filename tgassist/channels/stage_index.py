"""The indexing stage: one vector per post (text + OCR + page titles) into Qdrant, and the graph.

Runs on posts.tagged and posts.enriched; each run re-reads the post's current state, so the last
run wins and a re-run replaces (point ids are derived from the post id; graph writes MERGE).
An embedding failure fails the message (retried, then dead-lettered): a zero or garbage vector is
never written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from tgassist.channels.batcher import Batcher, shared
from tgassist.channels.embedcache import cached_embed, post_document
from tgassist.channels.enrichment_store import PostView, load_posts
from tgassist.channels.events import POSTS_INDEXED, PostEnriched, PostIndexed, PostTagged
from tgassist.channels.graph import PostNode, batch_statements
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


@dataclass(frozen=True)
class IndexRequest:
    parent: Event
    stage: str
    source: str
    post_id: int
    event_tags: list[str] | None
    event_time: datetime | None


async def index_post(
    app: App,
    parent: Event,
    stage: str,
    post_id: int,
    source: str,
    event_tags: list[str] | None = None,
    event_time: datetime | None = None,
) -> None:
    # Handlers running at once share one read, one embedding call (mostly cache hits: tagging
    # embedded the same documents), one Qdrant upsert, one graph transaction, one XADD pipeline.
    await shared(app, "index", lambda: Batcher(lambda reqs: _index(app, reqs))).submit(
        IndexRequest(parent, stage, source, post_id, event_tags, event_time)
    )


async def _index(app: App, requests: list[IndexRequest]) -> None:
    kinds = ("tags", "vision", "crawl")
    async with app.db.session() as session:
        posts = await load_posts(session, [r.post_id for r in requests], kinds)
    latest: dict[int, IndexRequest] = {}
    for r in requests:  # the same post twice in one batch: the later event wins
        if r.post_id in posts:
            latest[r.post_id] = r
    max_chars = app.settings.index_text_max_chars
    docs = {pid: index_document(posts[pid], max_chars) for pid in latest}
    nodes = {
        pid: PostNode(
            pid,
            posts[pid].channel_id,
            posts[pid].date.isoformat() if posts[pid].date else None,
            tuple(current_tags(posts[pid], r.event_tags, r.event_time)),
            posts[pid].album_id,
        )
        for pid, r in latest.items()
    }
    with_text = [pid for pid in latest if docs[pid]]
    vectors = await cached_embed(app.redis, app.embedder, [docs[pid] for pid in with_text])
    points = [
        PostVector(
            pid,
            posts[pid].channel_id,
            vec,
            album_id=posts[pid].album_id,
            tags=nodes[pid].tags,
            date=posts[pid].date,
            text=docs[pid],
        )
        for pid, vec in zip(with_text, vectors, strict=True)
    ]
    if points:
        await app.vectors.upsert(points)
        INDEXED_POINTS.inc(len(points))
    await app.graph.write(batch_statements(list(nodes.values())))
    GRAPH_WRITES.labels("post").inc(len(nodes))
    for pid in latest:
        if not docs[pid]:
            log.info("indexing: post has no text to embed; graph only", post_id=pid)
    out = []
    for r in requests:
        if r.post_id not in posts:
            log.info("indexing: post is gone", post_id=r.post_id)
            continue
        indexed = derived(
            r.parent,
            r.stage,
            PostIndexed,
            post_id=r.post_id,
            channel_id=posts[r.post_id].channel_id,
            vector_id=point_id(r.post_id) if docs.get(r.post_id) else "",
            source=r.source,
        )
        out.append((POSTS_INDEXED, indexed.encode()))
    await app.bus.publish_many(out)


async def handle_indexing_tagged(event: PostTagged, ctx: StageContext) -> None:
    """posts.tagged → index the post with these tags (unless newer ones are stored)."""
    source = "reprocess" if event.trigger == "reprocess" else "tagged"
    await index_post(
        ctx.app, event, "indexing", event.post_id, source, event.tags, event.occurred_at
    )


async def handle_indexing_enriched(event: PostEnriched, ctx: StageContext) -> None:
    """posts.enriched → index the post again, now with the linked pages' titles."""
    await index_post(ctx.app, event, "indexing_enriched", event.post_id, "enriched")
