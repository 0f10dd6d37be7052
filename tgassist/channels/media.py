"""Media bytes → the blob store, keyed by content: `media/{sha[:2]}/{sha}{ext}`."""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
from collections.abc import Iterable
from pathlib import Path

from tgassist.channels.sources.base import MISSING_FILE, MISSING_TOO_LARGE, RawMedia, RawMessage
from tgassist.core.blobs import BlobStore

_EXT = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "video/mp4": ".mp4", "image/gif": ".gif"}


def blob_key(sha256: str, mime: str | None, file_name: str | None = None) -> str:
    ext = _EXT.get(mime or "") or (Path(file_name).suffix.lower() if file_name else "") or (
        mimetypes.guess_extension(mime or "") or ""
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


async def store_media(blobs: BlobStore, messages: Iterable[RawMessage], max_bytes: int, concurrency: int = 8) -> int:
    """Hash and store every available media item, `concurrency` at a time; returns how many.

    Blobs are content-addressed, so writing one before the DB commit is harmless: a retry writes
    the same key, and an unreferenced blob costs only space.
    """
    items = [m for msg in messages for m in msg.media if m.sha256 is None and not m.missing]
    gate = asyncio.Semaphore(concurrency)

    async def one(media: RawMedia) -> bool:
        async with gate:
            return await _store_one(blobs, media, max_bytes)

    return sum(await asyncio.gather(*(one(m) for m in items)))


async def _store_one(blobs: BlobStore, media: RawMedia, max_bytes: int) -> bool:
    loaded = await asyncio.to_thread(_load, media, max_bytes)
    if isinstance(loaded, str):
        media.missing = loaded
        return False
    data, sha = loaded
    key = blob_key(sha, media.mime, media.file_name or (media.path.name if media.path else None))
    if not await blobs.exists(key):
        await blobs.put(key, data, media.mime)
    media.sha256, media.blob_key, media.size = sha, key, len(data)
    media.content = None  # the bytes are in the blob store now; do not keep them in memory
    return True
