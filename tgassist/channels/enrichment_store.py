"""Database helpers of the enrichment stages: idempotent upserts and a post's current state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from tgassist.channels.models import MediaGroup, MediaObject, Post, PostEnrichment, PostMedia
from tgassist.core.db import utcnow


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


@dataclass(frozen=True)
class EnrichmentRow:
    """One post_enrichment value to upsert."""

    post_id: int
    kind: str
    status: str
    data: dict[str, Any]
    event_time: datetime
    provider: str | None = None
    params_hash: str | None = None


async def upsert_enrichments(session: AsyncSession, rows: list[EnrichmentRow]) -> None:
    """Insert or update post_enrichment(post_id, kind) rows in one statement; an older event never
    overwrites a newer one (within the batch and against the table)."""
    newest: dict[tuple[int, str], EnrichmentRow] = {}
    for row in rows:  # one statement may touch a row once (PostgreSQL): keep each key's newest
        key = (row.post_id, row.kind)
        if key not in newest or row.event_time >= newest[key].event_time:
            newest[key] = row
    if not newest:
        return
    t = PostEnrichment.__table__
    now = utcnow()
    stmt = _insert(session, t).values(
        [
            {
                "post_id": r.post_id,
                "kind": r.kind,
                "provider": r.provider,
                "params_hash": r.params_hash,
                "status": r.status,
                "data": r.data,
                "event_time": r.event_time,
                "updated_at": now,
            }
            for r in newest.values()
        ]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["post_id", "kind"],
        set_={
            k: stmt.excluded[k]
            for k in ("provider", "params_hash", "status", "data", "event_time", "updated_at")
        },
        where=stmt.excluded.event_time >= t.c.event_time,
    )
    await session.execute(stmt)


async def upsert_enrichment(
    session: AsyncSession,
    post_id: int,
    kind: str,
    *,
    status: str,
    data: dict[str, Any],
    event_time: datetime,
    provider: str | None = None,
    params_hash: str | None = None,
) -> None:
    """Insert or update post_enrichment(post_id, kind); an older event never overwrites a newer one."""
    await upsert_enrichments(
        session, [EnrichmentRow(post_id, kind, status, data, event_time, provider, params_hash)]
    )


async def insert_ignore(
    session: AsyncSession, table: Any, values: dict[str, Any], keys: list[str]
) -> None:
    """INSERT … ON CONFLICT (keys) DO NOTHING."""
    await session.execute(
        _insert(session, table).values(**values).on_conflict_do_nothing(index_elements=keys)
    )


@dataclass
class PostView:
    """What the stages need of a post, with its enrichments so far."""

    id: int
    channel_id: int
    date: datetime
    text: str
    links: list[str]
    album_id: int | None
    media_kind: str | None
    album_caption: str | None = None
    enrichments: dict[str, PostEnrichment] = field(default_factory=dict)

    def data(self, kind: str) -> dict[str, Any]:
        row = self.enrichments.get(kind)
        return dict(row.data or {}) if row is not None else {}

    @property
    def ocr_text(self) -> str:
        return str(self.data("vision").get("ocr_text") or "")

    @property
    def crawl_titles(self) -> str:
        pages = self.data("crawl").get("pages") or []
        return "\n".join(
            p.get("title") or "" for p in pages if p.get("outcome") == "ok" and p.get("title")
        )


async def load_posts(
    session: AsyncSession, post_ids: list[int], kinds: tuple[str, ...] = ()
) -> dict[int, PostView]:
    """Posts by id (deleted ones are absent) with their enrichments of `kinds`: three queries at most."""
    if not post_ids:
        return {}
    rows = await session.execute(
        select(
            Post.id,
            Post.channel_id,
            Post.date,
            Post.text,
            Post.links,
            Post.album_id,
            Post.media_kind,
        ).where(Post.id.in_(set(post_ids)))
    )
    views = {
        r.id: PostView(
            r.id, r.channel_id, r.date, r.text or "", list(r.links or []), r.album_id, r.media_kind
        )
        for r in rows
    }
    albums = {v.album_id for v in views.values() if v.album_id is not None}
    if albums:
        captions = dict(
            (
                await session.execute(
                    select(MediaGroup.id, MediaGroup.caption).where(MediaGroup.id.in_(albums))
                )
            ).all()
        )
        for v in views.values():
            if v.album_id is not None:
                v.album_caption = captions.get(v.album_id)
    if kinds and views:
        found = await session.scalars(
            select(PostEnrichment).where(
                PostEnrichment.post_id.in_(list(views)), PostEnrichment.kind.in_(kinds)
            )
        )
        for e in found:
            views[e.post_id].enrichments[e.kind] = e
    return views


async def load_post(
    session: AsyncSession, post_id: int, kinds: tuple[str, ...] = ()
) -> PostView | None:
    """The post (None if deleted) and its enrichments of `kinds`."""
    return (await load_posts(session, [post_id], kinds)).get(post_id)


async def post_media(session: AsyncSession, post_id: int) -> list[MediaObject]:
    """The post's media objects in order."""
    rows = await session.scalars(
        select(MediaObject)
        .join(PostMedia, PostMedia.media_id == MediaObject.id)
        .where(PostMedia.post_id == post_id)
        .order_by(PostMedia.position)
    )
    return list(rows)
