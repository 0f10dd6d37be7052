"""Operator figures of the channels product: posts per hour, and per channel its state,
posts, last parse and stored media bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from tgassist.channels.models import Channel, MediaObject, Post, PostMedia
from tgassist.channels.parse_errors import stored_reason
from tgassist.core.i18n import Msg
from tgassist.core.stats import hour_labels

if TYPE_CHECKING:
    from tgassist.app import App


@dataclass(frozen=True)
class ChannelRow:
    id: int
    title: str
    username: str | None
    status: str
    active: bool
    posts: int
    last_parsed_at: datetime | None
    media_bytes: int
    error: Msg | None  # why the last parse stopped, for the door to render
    last_error: str | None  # its technical detail, for operators


async def channel_rows(app: App) -> list[ChannelRow]:
    async with app.db.session() as s:
        channels = (await s.execute(select(Channel).order_by(Channel.id))).scalars().all()
        posts = dict(
            (await s.execute(select(Post.channel_id, func.count()).group_by(Post.channel_id))).all()
        )
        # bytes of the distinct files a channel's posts carry (a file shared by channels counts in each)
        per_media = (
            select(Post.channel_id, MediaObject.id, MediaObject.size)
            .join(PostMedia, PostMedia.post_id == Post.id)
            .join(MediaObject, MediaObject.id == PostMedia.media_id)
            .where(MediaObject.blob_key.is_not(None))
            .distinct()
            .subquery()
        )
        media = dict(
            (
                await s.execute(
                    select(per_media.c.channel_id, func.sum(per_media.c.size)).group_by(
                        per_media.c.channel_id
                    )
                )
            ).all()
        )
        return [
            ChannelRow(
                id=c.id,
                title=c.title or c.username or str(c.telegram_id or c.id),
                username=c.username,
                status=c.status,
                active=c.is_active,
                posts=int(posts.get(c.id, 0)),
                last_parsed_at=c.last_parsed_at,
                media_bytes=int(media.get(c.id) or 0),
                error=stored_reason(c.error_key, c.error_params, c.last_error),
                last_error=c.last_error,
            )
            for c in channels
        ]


async def posts_hourly(
    app: App, hours: int = 24, now: datetime | None = None
) -> list[tuple[datetime, int]]:
    """Posts stored per hour (by when they were ingested, not when they were written)."""
    now = now or datetime.now(UTC)
    starts = hour_labels(now, hours)
    counts = dict.fromkeys(starts, 0)
    async with app.db.session() as s:
        rows = await s.execute(select(Post.created_at).where(Post.created_at >= starts[0]))
        for (created,) in rows:
            hour = created.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            if hour in counts:
                counts[hour] += 1
    return list(counts.items())


async def posts_today(app: App, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    async with app.db.session() as s:
        return int(
            await s.scalar(select(func.count()).select_from(Post).where(Post.created_at >= start))
            or 0
        )
