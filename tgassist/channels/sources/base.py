"""The one message type both sources yield (`RawMessage`) and the `Source` protocol."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from tgassist.core.errors import LocalizedError


class SourceError(LocalizedError):
    """A source cannot be read (bad export file, Telegram not configured …): a `channels.*` key
    whose text says what to do."""


# Why a media item is not stored: the export was made without files, the file is absent, too large.
MISSING_NOT_EXPORTED = "not_exported"
MISSING_FILE = "file_missing"
MISSING_TOO_LARGE = "too_large"
MISSING_DOWNLOAD_FAILED = "download_failed"


@dataclass
class RawMedia:
    """A media item of a message: a local file (exports), downloaded bytes (Telethon), or missing."""

    kind: str  # photo | video_file | animation | voice_message | audio_file | sticker | file …
    mime: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    file_name: str | None = None
    path: Path | None = None  # exports: the file on disk
    content: bytes | None = None  # Telethon: the downloaded bytes
    missing: str | None = None  # MISSING_* when the bytes are not available
    sha256: str | None = None  # filled once the bytes are hashed and stored
    blob_key: str | None = None

    def describe(self) -> dict[str, Any]:
        """A JSON-safe description (kept on the post when the media is missing)."""
        return {
            "kind": self.kind,
            "file_name": self.file_name or (self.path.name if self.path else None),
            "size": self.size,
            "reason": self.missing,
        }


@dataclass
class RawMessage:
    """One channel message, whatever the source. Offsets of `entities` are UTF-16 units (Telegram's)."""

    message_id: int
    date: datetime
    text: str = ""
    entities: list[dict[str, Any]] = field(default_factory=list)
    edit_date: datetime | None = None
    author: str | None = None
    sender_id: str | None = None
    views: int | None = None
    forwards: int | None = None
    replies: int | None = None
    reactions: list[dict[str, Any]] = field(default_factory=list)
    forward_from: str | None = None
    forward_from_id: int | None = None
    reply_to_message_id: int | None = None
    grouped_id: int | None = None
    media: list[RawMedia] = field(default_factory=list)
    _links: list[str] | None = field(default=None, repr=False, compare=False)

    @property
    def reactions_count(self) -> int:
        return sum(int(r.get("count") or 0) for r in self.reactions)

    @property
    def links(self) -> list[str]:
        if self._links is None:
            self._links = extract_links(self.text, self.entities)
        return self._links

    @property
    def media_kind(self) -> str | None:
        return self.media[0].kind if self.media else None

    def content_hash(self) -> str:
        """What an edit can change: text, entities, media. Counters (views…) are not content."""
        media = [(m.kind, m.sha256, m.missing) for m in self.media]
        # repr is deterministic here (entities are built by our own code, keys in a fixed order)
        # and several times faster than json.dumps on the import hot path.
        blob = repr((self.text, self.entities, media, self.forward_from, self.reply_to_message_id))
        return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class ChannelInfo:
    """Who the channel is: Telegram id, @username (when known) and title."""

    telegram_id: int | None
    username: str | None
    title: str | None
    # Other encodings of the same id an older import may have stored (Telegram Desktop before 2021)
    legacy_ids: tuple[int, ...] = ()


class Source(Protocol):
    """A channel's messages in ascending message id order, from `min_id` (exclusive)."""

    async def info(self) -> ChannelInfo: ...

    def messages(self, min_id: int = 0) -> AsyncIterator[RawMessage]: ...


_URL = re.compile(r"https?://[^\s<>\"'«»()\[\]{}]+", re.IGNORECASE)


def extract_links(text: str, entities: list[dict[str, Any]]) -> list[str]:
    """URLs of a post: text links' targets and bare URLs in the text, in order, without duplicates."""
    found: list[str] = []
    for ent in entities:
        url = ent.get("url")
        if url and ent.get("type") == "text_link":
            found.append(str(url))
    if text and "://" in text:  # cheap test first: the regex scan is the costly part on long texts
        found.extend(m.group(0).rstrip(".,;:!?") for m in _URL.finditer(text))
    return list(dict.fromkeys(found))


def utf16_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2
