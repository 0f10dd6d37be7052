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


def _read(path: Path, max_bytes: int) -> bytes | None:
    if path.stat().st_size > max_bytes:
        return None
    return path.read_bytes()


async def store_media(blobs: BlobStore, messages: Iterable[RawMessage], max_bytes: int) -> int:
    """Hash and store every available media item (files are read in a thread); returns how many.

    Blobs are content-addressed, so writing one before the DB commit is harmless: a retry writes
    the same key, and an unreferenced blob costs only space.
    """
    items = [m for msg in messages for m in msg.media if m.sha256 is None and not m.missing]
    stored = 0
    for media in items:
        if await _store_one(blobs, media, max_bytes):
            stored += 1
    return stored


async def _store_one(blobs: BlobStore, media: RawMedia, max_bytes: int) -> bool:
    data = media.content
    if data is None and media.path is not None:
        try:
            data = await asyncio.to_thread(_read, media.path, max_bytes)
        except OSError:
            media.missing = MISSING_FILE
            return False
        if data is None:
            media.missing = MISSING_TOO_LARGE
            return False
    if data is None:
        media.missing = media.missing or MISSING_FILE
        return False
    sha = hashlib.sha256(data).hexdigest()
    key = blob_key(sha, media.mime, media.file_name or (media.path.name if media.path else None))
    if not await blobs.exists(key):
        await blobs.put(key, data, media.mime)
    media.sha256, media.blob_key, media.size = sha, key, len(data)
    media.content = None  # the bytes are in the blob store now; do not keep them in memory
    return True
