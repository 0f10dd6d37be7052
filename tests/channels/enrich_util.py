"""Helpers of the enrichment tests: posts saved through the real ingestion path, images with text."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from tgassist.app import App
from tgassist.channels.media import store_media
from tgassist.channels.models import MediaGroup, PostEnrichment
from tgassist.channels.service import ensure_channel
from tgassist.channels.sources.base import ChannelInfo, RawMedia, RawMessage
from tgassist.channels.store import save_batch

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_ids = count(1)
BASE_DATE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def text_image(text: str, size: tuple[int, int] = (900, 220), fmt: str = "PNG") -> bytes:
    """A picture of `text` in a large, plain font (reads back well through Tesseract)."""
    img = Image.new("RGB", size, "white")
    font = ImageFont.truetype(str(FONT), 48) if FONT.exists() else ImageFont.load_default()
    ImageDraw.Draw(img).text((30, 70), text, fill="black", font=font)
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def photo(data: bytes, kind: str = "photo", mime: str = "image/png", **kw: Any) -> RawMedia:
    return RawMedia(kind=kind, mime=mime, content=data, size=len(data), **kw)


def message(
    text: str = "",
    media: list[RawMedia] | None = None,
    grouped_id: int | None = None,
    message_id: int | None = None,
) -> RawMessage:
    mid = message_id or next(_ids)
    return RawMessage(
        message_id=mid,
        date=BASE_DATE + timedelta(minutes=mid),
        text=text,
        media=media or [],
        grouped_id=grouped_id,
    )


async def channel(app: App, name: str = "enrichtest") -> int:
    ch = await ensure_channel(
        app, ChannelInfo(telegram_id=None, username=name, title=name.title()), source="export"
    )
    return ch.id


async def save(app: App, channel_id: int, messages: list[RawMessage]) -> dict[int, int]:
    """Store media + save (outbox events included); message id → post id."""
    await store_media(app, messages)
    result = await save_batch(app, channel_id, messages)
    return dict(result.post_ids)


async def enrichment(app: App, post_id: int, kind: str) -> PostEnrichment | None:
    async with app.db.session() as session:
        return await session.scalar(
            select(PostEnrichment).where(
                PostEnrichment.post_id == post_id, PostEnrichment.kind == kind
            )
        )


async def album(app: App, album_id: int) -> MediaGroup:
    async with app.db.session() as session:
        group = await session.get(MediaGroup, album_id)
        assert group is not None
        return group


async def stream_events(app: App, stream: str) -> list[dict[str, Any]]:
    import json

    return [json.loads(f["data"]) for _id, f in await app.redis.xrange(stream)]


async def assert_no_backlog(app: App) -> None:
    from tgassist.channels.stages import STAGES

    assert await app.outbox.pending() == 0
    for st in STAGES:
        stats = await app.bus.stats(st.stream, st.group_name)
        assert (stats.pending, stats.lag or 0, stats.dlq) == (0, 0, 0), (st.name, stats)
