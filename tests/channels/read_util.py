"""Helpers of the reader tests: posts saved through the real ingestion path, indexed into the real
vector index the way the indexing stage does it, and the search corpus refreshed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from tgassist.app import App
from tgassist.channels.corpus import refresh_now
from tgassist.channels.enrichment_store import load_posts
from tgassist.channels.index import PostVector
from tgassist.channels.service import ensure_channel
from tgassist.channels.sources.base import ChannelInfo, RawMessage
from tgassist.channels.stage_index import index_document
from tgassist.channels.store import save_batch

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
_ids = count(1000)


async def make_channel(app: App, username: str | None, title: str | None = None) -> int:
    info = ChannelInfo(
        telegram_id=None if username else next(_ids), username=username, title=title or username
    )
    return (await ensure_channel(app, info, source="telegram" if username else "export")).id


async def add_posts(
    app: App,
    channel_id: int,
    texts: list[str],
    *,
    start: datetime | None = None,
    step: timedelta = timedelta(hours=1),
    views: int | None = None,
    grouped_id: int | None = None,
) -> list[int]:
    """Save `texts` as posts (message ids from a global counter); returns their post ids."""
    start = start or NOW - timedelta(days=1)
    msgs = [
        RawMessage(
            message_id=next(_ids),
            date=start + step * i,
            text=t,
            views=views,
            grouped_id=grouped_id,
        )
        for i, t in enumerate(texts)
    ]
    result = await save_batch(app, channel_id, msgs)
    ids = dict(result.post_ids)
    return [ids[m.message_id] for m in msgs]


async def index_posts(app: App, post_ids: list[int]) -> None:
    """Embed and upsert the posts like the indexing stage, then refresh the search corpus."""
    async with app.db.session() as session:
        posts = await load_posts(session, post_ids, ("tags", "vision", "crawl"))
    docs = {pid: index_document(p, app.settings.index_text_max_chars) for pid, p in posts.items()}
    with_text = [pid for pid in docs if docs[pid]]
    if with_text:
        vectors = await app.embedder.embed([docs[p] for p in with_text])
        await app.vectors.upsert(
            [
                PostVector(
                    pid,
                    posts[pid].channel_id,
                    vec,
                    album_id=posts[pid].album_id,
                    date=posts[pid].date,
                    text=docs[pid],
                )
                for pid, vec in zip(with_text, vectors, strict=True)
            ]
        )
    await refresh_now(app)
