"""Media bytes → the blob store, keyed by content: `media/{sha[:2]}/{sha}{ext}`."""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from tgassist.channels.models import MediaObject
from tgassist.channels.sources.base import MISSING_FILE, MISSING_TOO_LARGE, RawMedia, RawMessage

if TYPE_CHECKING:
    from tgassist.app import App

_EXT = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "image/gif": ".gif",
}


def blob_key(sha256: str, mime: str | None, file_name: str | None = None) -> str:
    ext = (
        _EXT.get(mime or "")
        or (Path(file_name).suffix.lower() if file_name else "")
        or (mimetypes.guess_extension(mime or "") or "")
    )
    return f"media/{sha256[:2]}/{sha256}{ext[:10]}"


def _load(media: RawMedia, max_bytes: int) -> tuple[bytes, str] | str:
    """(bytes, sha256), or the MISSING_* reason. Runs in a worker thread."""
    data = media.content
    if data is None and media.path is not None:
        try:
            if media.path.stat().st_size > max_bytes:
                return MISSING_TOO_LARGE
            data = media.path.read_bytes()
        except OSError:
            return MISSING_FILE
    if data is None:
        return media.missing or MISSING_FILE
    return data, hashlib.sha256(data).hexdigest()


async def store_media(app: App, messages: Iterable[RawMessage], concurrency: int = 8) -> int:
    """Hash every available media item and store the ones the DB does not know yet; returns how many.

    Files are read and hashed in threads, `concurrency` at a time; one query finds the sha256s
    already stored, so a re-import writes no blob. Blobs are content-addressed, so writing one
    before the DB commit is harmless: a retry writes the same key, an orphan costs only space.
    """
    items = [m for msg in messages for m in msg.media if m.sha256 is None and not m.missing]
    if not items:
        return 0
    from tgassist.channels.storage import media_download_paused

    if await media_download_paused(app):  # over TGASSIST_CHANNELS_MEDIA_QUOTA_BYTES
        for media in items:
            media.missing = "quota"
        return 0
    max_bytes = app.settings.parser_media_max_bytes
    gate = asyncio.Semaphore(concurrency)

    async def load(media: RawMedia) -> tuple[RawMedia, bytes] | None:
        async with gate:
            loaded = await asyncio.to_thread(_load, media, max_bytes)
        if isinstance(loaded, str):
            media.missing = loaded
            return None
        data, sha = loaded
        media.sha256, media.size = sha, len(data)
        media.blob_key = blob_key(
            sha, media.mime, media.file_name or (media.path.name if media.path else None)
        )
        media.content = None  # the bytes go to the blob store; do not keep them on the message
        return media, data

    fresh = [x for x in await asyncio.gather(*(load(m) for m in items)) if x is not None]
    async with app.db.session() as session:
        known = set(
            (
                await session.execute(
                    select(MediaObject.sha256).where(
                        MediaObject.sha256.in_({m.sha256 for m, _ in fresh}),
                        MediaObject.blob_key.is_not(None),  # a file purged by retention comes back
                    )
                )
            ).scalars()
        )

    async def put(media: RawMedia, data: bytes) -> None:
        async with gate:
            assert media.blob_key is not None
            await app.blobs.put(media.blob_key, data, media.mime)

    todo = {m.sha256: (m, d) for m, d in fresh if m.sha256 not in known}
    await asyncio.gather(*(put(m, d) for m, d in todo.values()))
    return len(todo)
