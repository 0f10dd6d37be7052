"""Tables of the reader side of channels: digest settings and deliveries, interests, trends, storage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tgassist.channels.models import ID
from tgassist.core.db import Base, JSONType, UTCDateTime, utcnow


class DigestSettings(Base):
    """A user's digest: on/off, local time and zone, daily or weekly, topics, channels, items."""

    __tablename__ = "digest_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    time_local: Mapped[str] = mapped_column(String(5), default="09:00")  # HH:MM
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    frequency: Mapped[str] = mapped_column(String(10), default="daily")  # daily | weekly
    weekday: Mapped[int] = mapped_column(Integer, default=0)  # 0 = Monday (weekly digests)
    topics: Mapped[list[str]] = mapped_column(JSONType, default=list)
    channel_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)  # empty = all followed
    items: Mapped[int] = mapped_column(Integer, default=10)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DigestDelivery(Base):
    """One digest of one user for one period; the unique key makes a period's digest happen once."""

    __tablename__ = "digest_deliveries"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(40))  # 2026-12-01 | 2026-W49 | now:<uuid>
    status: Mapped[str] = mapped_column(String(10), default="sent")  # sent | empty
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    parts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "period"),)


class UserInterest(Base):
    """A weighted term of a user's interest profile, by its source (follows, topics, feedback)."""

    __tablename__ = "user_interests"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    term: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(10))  # follows | topic | feedback
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "term", "source"),)


class PostFeedback(Base):
    """👍 (+1) or 👎 (-1) of a user on a post (a digest item)."""

    __tablename__ = "post_feedback"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(ID, ForeignKey("posts.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "post_id"),)


class TrendRecord(Base):
    """One emerging trend found by one run (history: every run keeps its rows)."""

    __tablename__ = "channel_trends"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    window_hours: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    terms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    score: Mapped[float] = mapped_column(Float)
    channels: Mapped[list[int]] = mapped_column(JSONType, default=list)
    post_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    daily_counts: Mapped[list[int]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("window_end", "window_hours", "label"),)


class ChannelStorage(Base):
    """Bytes a channel takes: its media files and its rows (measured every 6 hours)."""

    __tablename__ = "channel_storage"

    channel_id: Mapped[int] = mapped_column(
        ID, ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    media_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    db_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    posts: Mapped[int] = mapped_column(Integer, default=0)
    media_files: Mapped[int] = mapped_column(Integer, default=0)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


__all__ = [
    "ChannelStorage",
    "DigestDelivery",
    "DigestSettings",
    "PostFeedback",
    "TrendRecord",
    "UserInterest",
]
