"""Events of the channels pipeline (stream names and versioned payloads)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from tgassist.core.events import Event

POSTS_PARSED = "posts.parsed"
ALBUMS_PARSED = "albums.parsed"
POSTS_VISION_ANALYZED = "posts.vision.analyzed"
POSTS_TAGGED = "posts.tagged"
POSTS_CRAWL = "posts.crawl"
POSTS_ENRICHED = "posts.enriched"
POSTS_INDEXED = "posts.indexed"
ALBUM_ASSEMBLED = "album.assembled"
ALBUMS_OVERDUE = "albums.overdue"


class PostParsed(Event):
    """A post was saved (new) or changed (edit). Ids are our DB ids."""

    TYPE = "posts.parsed"
    post_id: int
    channel_id: int
    message_id: int
    date: datetime
    trigger: Literal["new", "edit", "reprocess"] = "new"
    media_sha256: list[str] = []
    album_id: int | None = None
    grouped_id: int | None = None
    has_links: bool = False


class AlbumParsed(Event):
    TYPE = "albums.parsed"
    album_id: int
    channel_id: int
    grouped_id: int
    post_ids: list[int]
    items_count: int
    caption: str | None = None


class AlbumOverdue(Event):
    """The timeout job asks the process that may write the graph to assemble an album now."""

    TYPE = "albums.overdue"
    album_id: int


class PostVisionAnalyzed(Event):
    TYPE = "posts.vision.analyzed"
    post_id: int
    channel_id: int
    album_id: int | None = None
    media_sha256: list[str] = []
    status: Literal["ok", "partial", "skipped", "failed", "unavailable"] = "ok"


class PostTagged(Event):
    TYPE = "posts.tagged"
    post_id: int
    channel_id: int
    tags: list[str]
    trigger: Literal["text", "vision_retag", "reprocess"] = "text"
    provider: str = "offline"
    has_links: bool | None = None  # None: unknown (look at the post)


class PostCrawl(Event):
    TYPE = "posts.crawl"
    post_id: int
    channel_id: int
    urls: list[str]


class PostEnriched(Event):
    TYPE = "posts.enriched"
    post_id: int
    channel_id: int
    urls_ok: int = 0
    urls_failed: int = 0


class PostIndexed(Event):
    TYPE = "posts.indexed"
    post_id: int
    channel_id: int
    vector_id: str
    source: Literal["tagged", "enriched", "reprocess"] = "tagged"


class AlbumAssembled(Event):
    TYPE = "album.assembled"
    album_id: int
    channel_id: int
    items_count: int
    analysed: int
    summary_key: str
    timed_out: bool = False
