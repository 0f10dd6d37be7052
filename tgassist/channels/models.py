"""Tables of the channels product: channels, subscriptions, posts, media, albums, parser runs.

Telegram ids (channel id, message id, grouped id) are BigInteger. Our own primary keys are
BigInteger on PostgreSQL and INTEGER on SQLite (so SQLite's rowid autoincrement works).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tgassist.core.db import Base, JSONType, UTCDateTime, utcnow

ID = BigInteger().with_variant(Integer, "sqlite")

# Channel.status values
STATUS_NEW = "new"
STATUS_OK = "ok"
STATUS_PARSING = "parsing"
STATUS_FLOOD_WAIT = "flood_wait"
STATUS_ERROR = "error"


class Channel(Base):
    """A Telegram channel, shared by every user subscribed to it."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True, nullable=True)
    username: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    source: Mapped[str] = mapped_column(String(20), default="telegram")  # telegram | export
    mode: Mapped[str] = mapped_column(String(20), default="auto")  # auto | historical | incremental
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default=STATUS_NEW)
    status_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # why the last parse stopped: a message key for readers (see parse_errors), and the raw
    # English detail for operators
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    error_params: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    hwm: Mapped[int] = mapped_column(BigInteger, default=0)  # mirror of Redis `parser:hwm:{id}`
    historical_done: Mapped[bool] = mapped_column(Boolean, default=False)
    last_parsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Subscription(Base):
    """A user follows a channel."""

    __tablename__ = "channel_subscriptions"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(
        ID, ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "channel_id"),)


class Post(Base):
    """One channel message. `content_hash` covers what an edit changes (text, entities, media)."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ID, ForeignKey("channels.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(BigInteger)
    date: Mapped[datetime] = mapped_column(UTCDateTime)
    edit_date: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    entities: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    author: Mapped[str | None] = mapped_column(String(200), nullable=True)
    views: Mapped[int | None] = mapped_column(Integer, nullable=True)
    forwards: Mapped[int | None] = mapped_column(Integer, nullable=True)
    replies: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reactions_count: Mapped[int] = mapped_column(Integer, default=0)
    reactions: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    forward_from: Mapped[str | None] = mapped_column(String(300), nullable=True)
    forward_from_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reply_to_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    grouped_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    album_id: Mapped[int | None] = mapped_column(
        ID, ForeignKey("media_groups.id", ondelete="SET NULL"), nullable=True, index=True
    )
    links: Mapped[list[str]] = mapped_column(JSONType, default=list)
    media_kind: Mapped[str | None] = mapped_column(
        String(30), nullable=True
    )  # photo, video_file, file …
    media_missing: Mapped[list[Any]] = mapped_column(JSONType, default=list)  # media not available
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("channel_id", "message_id"),
        Index("ix_posts_channel_date", "channel_id", "date"),
    )


class MediaObject(Base):
    """A media file stored once, by content (sha256); `ref_count` = posts referring to it."""

    __tablename__ = "media_objects"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str | None] = mapped_column(String(30), nullable=True)
    mime: Mapped[str | None] = mapped_column(String(100), nullable=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration: Mapped[float | None] = mapped_column(nullable=True)
    blob_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    ref_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostMedia(Base):
    """Which media a post carries, in order."""

    __tablename__ = "post_media"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(ID, ForeignKey("posts.id", ondelete="CASCADE"))
    media_id: Mapped[int] = mapped_column(
        ID, ForeignKey("media_objects.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("post_id", "position"),)


class MediaGroup(Base):
    """An album: messages sharing a `grouped_id` (exports: a synthetic one, see docs/channels.md)."""

    __tablename__ = "media_groups"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ID, ForeignKey("channels.id", ondelete="CASCADE"))
    grouped_id: Mapped[int] = mapped_column(BigInteger)
    caption: Mapped[str | None] = mapped_column(Text, nullable=True)
    items_count: Mapped[int] = mapped_column(Integer, default=0)
    date: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # enrichment writes here
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("channel_id", "grouped_id"),)


class MediaGroupItem(Base):
    """A post of an album, with its position (message order)."""

    __tablename__ = "media_group_items"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    group_id: Mapped[int] = mapped_column(ID, ForeignKey("media_groups.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(
        ID, ForeignKey("posts.id", ondelete="CASCADE"), unique=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("group_id", "post_id"),)


class ParserRun(Base):
    """One parse or import of one channel: mode, counts, errors."""

    __tablename__ = "parser_runs"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    channel_id: Mapped[int | None] = mapped_column(
        ID, ForeignKey("channels.id", ondelete="CASCADE"), nullable=True, index=True
    )
    source: Mapped[str] = mapped_column(String(20))  # telegram | export
    mode: Mapped[str] = mapped_column(String(20))  # historical | incremental | import
    status: Mapped[str] = mapped_column(
        String(20), default="running"
    )  # running | ok | failed | flood_wait
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hwm_before: Mapped[int] = mapped_column(BigInteger, default=0)
    hwm_after: Mapped[int] = mapped_column(BigInteger, default=0)
    posts_new: Mapped[int] = mapped_column(Integer, default=0)
    posts_edited: Mapped[int] = mapped_column(Integer, default=0)
    posts_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    albums: Mapped[int] = mapped_column(Integer, default=0)
    media: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    missing_media: Mapped[int] = mapped_column(Integer, default=0)
    flood_waits: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any]] = mapped_column(JSONType, default=list)


class TelegramSession(Base):
    """A Telethon string session, Fernet-encrypted with TGASSIST_SECRET_KEYS."""

    __tablename__ = "telegram_sessions"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    session_enc: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PostEnrichment(Base):
    """Per-post enrichment results (tags, ocr, crawl …), one row per (post, kind)."""

    __tablename__ = "post_enrichment"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(ID, ForeignKey("posts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str | None] = mapped_column(String(50), nullable=True)
    params_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="ok")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    event_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("post_id", "kind"),)


__all__ = [
    "Channel",
    "MediaGroup",
    "MediaGroupItem",
    "MediaObject",
    "ParserRun",
    "Post",
    "PostEnrichment",
    "PostMedia",
    "Subscription",
    "TelegramSession",
    "STATUS_ERROR",
    "STATUS_FLOOD_WAIT",
    "STATUS_NEW",
    "STATUS_OK",
    "STATUS_PARSING",
]
