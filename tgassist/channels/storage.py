"""Storage usage per channel (media bytes, row bytes) measured every 6 hours, and the media quota:
over TGASSIST_CHANNELS_MEDIA_QUOTA_BYTES media download pauses (posts are still parsed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from tgassist.channels.models import Channel, MediaObject, Post, PostMedia
from tgassist.channels.read_models import ChannelStorage

if TYPE_CHECKING:
    from tgassist.app import App

PAUSED_KEY = "channels:media:paused"
ROW_OVERHEAD = 200  # bytes of a post row besides its text (ids, dates, JSON columns, indexes)


@dataclass(frozen=True)
class StorageUsage:
    channels: tuple[dict[str, Any], ...]
    media_bytes: int
    db_bytes: int
    quota_bytes: int | None
    media_paused: bool
    measured_at: datetime | None


async def measure(app: App) -> StorageUsage:
    """The job: measure every channel, store the figures, pause or resume media download."""
    now = datetime.now(UTC)
    async with app.db.session() as session:
        media = dict(
            (
                await session.execute(
                    select(Post.channel_id, func.coalesce(func.sum(MediaObject.size), 0))
                    .join(PostMedia, PostMedia.post_id == Post.id)
                    .join(MediaObject, MediaObject.id == PostMedia.media_id)
                    .group_by(Post.channel_id)
                )
            ).all()
        )
        files = dict(
            (
                await session.execute(
                    select(Post.channel_id, func.count(func.distinct(PostMedia.media_id)))
                    .join(PostMedia, PostMedia.post_id == Post.id)
                    .group_by(Post.channel_id)
                )
            ).all()
        )
        rows: dict[int, int] = dict(
            (
                await session.execute(
                    select(
                        Post.channel_id,
                        func.coalesce(func.sum(func.length(Post.text)), 0)
                        + func.count() * ROW_OVERHEAD,
                    ).group_by(Post.channel_id)
                )
            ).all()
        )
        counts = dict(
            (
                await session.execute(
                    select(Post.channel_id, func.count()).group_by(Post.channel_id)
                )
            ).all()
        )
        channel_ids = list(await session.scalars(select(Channel.id)))
        await session.execute(delete(ChannelStorage))
        for cid in channel_ids:
            session.add(
                ChannelStorage(
                    channel_id=cid,
                    media_bytes=int(media.get(cid, 0)),
                    db_bytes=int(rows.get(cid, 0)),
                    posts=int(counts.get(cid, 0)),
                    media_files=int(files.get(cid, 0)),
                    measured_at=now,
                )
            )
    quota = app.settings.channels_media_quota_bytes
    total_media = int(sum(media.values()))
    paused = quota is not None and total_media > quota
    if paused:
        await app.redis.set(PAUSED_KEY, str(total_media))
    else:
        await app.redis.delete(PAUSED_KEY)
    return await usage(app)


async def media_download_paused(app: App) -> bool:
    """True while the media quota is exceeded (the parser then stores posts without media)."""
    return bool(await app.redis.exists(PAUSED_KEY))


async def usage(app: App) -> StorageUsage:
    """The last measured figures (for /health/details and `tgassist status`)."""
    async with app.db.session() as session:
        rows = (
            await session.execute(
                select(ChannelStorage, Channel.username, Channel.title).join(
                    Channel, Channel.id == ChannelStorage.channel_id
                )
            )
        ).all()
    chans = tuple(
        {
            "channel_id": r.ChannelStorage.channel_id,
            "channel": f"@{r.username}" if r.username else (r.title or ""),
            "media_bytes": r.ChannelStorage.media_bytes,
            "db_bytes": r.ChannelStorage.db_bytes,
            "posts": r.ChannelStorage.posts,
            "media_files": r.ChannelStorage.media_files,
        }
        for r in rows
    )
    return StorageUsage(
        channels=chans,
        media_bytes=sum(c["media_bytes"] for c in chans),
        db_bytes=sum(c["db_bytes"] for c in chans),
        quota_bytes=app.settings.channels_media_quota_bytes,
        media_paused=await media_download_paused(app),
        measured_at=max((r.ChannelStorage.measured_at for r in rows), default=None),
    )


async def health(app: App) -> dict[str, Any]:
    u = await usage(app)
    biggest = sorted(u.channels, key=lambda c: -(c["media_bytes"] + c["db_bytes"]))[:5]
    return {
        "status": "media paused (quota)" if u.media_paused else "ok",
        "media_bytes": u.media_bytes,
        "db_bytes": u.db_bytes,
        "quota_bytes": u.quota_bytes,
        "media_paused": u.media_paused,
        "measured_at": u.measured_at.isoformat() if u.measured_at else None,
        "channels": len(u.channels),
        "biggest": [f"{c['channel']}={c['media_bytes'] + c['db_bytes']}" for c in biggest],
    }


__all__ = ["StorageUsage", "health", "measure", "media_download_paused", "usage"]
