"""Admin routes of the channels product: channels with their counts, and recent parser runs."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select

from tgassist.api.deps import get_app, require_admin
from tgassist.api.params import ChannelRef, Limit

if TYPE_CHECKING:
    from tgassist.app import App

router = APIRouter(prefix="/admin", tags=["channels"], dependencies=[Depends(require_admin)])


@router.get("/channels")
async def list_channels(app: App = Depends(get_app)) -> list[dict[str, Any]]:
    """Every channel with status, source, high-water mark and post/album counts."""
    from tgassist.channels.service import list_channels as summaries

    return [asdict(c) for c in await summaries(app)]


@router.get("/channels/{ref}/runs")
async def channel_runs(
    ref: ChannelRef, limit: Limit = 20, app: App = Depends(get_app)
) -> list[dict[str, Any]]:
    """The latest parses/imports of a channel (@username, Telegram id or our id), newest first."""
    from tgassist.channels.models import ParserRun
    from tgassist.channels.service import ChannelError, get_channel

    try:
        channel = await get_channel(app, ref)
    except ChannelError as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    async with app.db.session() as session:
        runs = (
            await session.execute(
                select(ParserRun)
                .where(ParserRun.channel_id == channel.id)
                .order_by(ParserRun.id.desc())
                .limit(max(1, min(limit, 200)))
            )
        ).scalars()
        return [
            {
                "id": r.id,
                "source": r.source,
                "mode": r.mode,
                "status": r.status,
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "hwm_before": r.hwm_before,
                "hwm_after": r.hwm_after,
                "posts_new": r.posts_new,
                "posts_edited": r.posts_edited,
                "posts_unchanged": r.posts_unchanged,
                "albums": r.albums,
                "media": r.media,
                "skipped": r.skipped,
                "missing_media": r.missing_media,
                "flood_waits": r.flood_waits,
                "errors": r.errors,
            }
            for r in runs
        ]
