"""Tables of the events product: events (+ archive), sources, ingest runs, saves, reminders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tgassist.core.db import Base, JSONType, UTCDateTime, utcnow

STATUSES = ("active", "cancelled", "archived")


class _EventColumns:
    """Columns shared by live events and the archive (an archived row keeps its id)."""

    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    description_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    location_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    location_name_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    translation_provider: Mapped[str | None] = mapped_column(String(60), nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    city: Mapped[str | None] = mapped_column(String(40), nullable=True)
    region: Mapped[str | None] = mapped_column(String(40), nullable=True)
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    price: Mapped[str | None] = mapped_column(String(200), nullable=True)
    is_free: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    age_restriction: Mapped[str | None] = mapped_column(String(20), nullable=True)
    image_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    search_text: Mapped[str] = mapped_column(Text, default="")
    dedupe_key: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="active")
    is_generated_by_ai: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Event(_EventColumns, Base):
    """An upcoming or running event, unique by (source, external_id)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)

    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_events_city_starts", "city", "starts_at"),
        Index("ix_events_starts_at", "starts_at"),
        Index("ix_events_dedupe_key", "dedupe_key"),
        Index("ix_events_lat_lng", "lat", "lng"),
        Index("ix_events_title_en_null", "source", "title_en"),
    )


class EventArchive(_EventColumns, Base):
    """A past event moved out of `events` (same id), never deleted."""

    __tablename__ = "events_archive"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("source", "external_id"),)


class EventSource(Base):
    """A configured source: kind, config, on/off switch and the stats of its last run."""

    __tablename__ = "event_sources"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    region: Mapped[str | None] = mapped_column(String(40), nullable=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    last_stats: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class IngestRun(Base):
    """One ingest run over one or more sources, with per-source and translation stats."""

    __tablename__ = "event_ingest_runs"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    trigger: Mapped[str] = mapped_column(String(20), default="manual")
    sources: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(20), default="running")
    stats: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SavedEvent(Base):
    """A user's saved event. `event_id` has no FK: archived events keep their id."""

    __tablename__ = "event_saves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "event_id"),)


class EventReminder(Base):
    """A reminder due at `due_at` (24 h, 1 h before, at start) for a saved event."""

    __tablename__ = "event_reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(
        String(20), default="pending"
    )  # pending | produced | cancelled

    __table_args__ = (
        UniqueConstraint("user_id", "event_id", "kind"),
        Index("ix_event_reminders_due", "status", "due_at"),
    )


class EventNotification(Base):
    """A message for a user, produced from a due reminder; a notifier delivers it and sets sent_at."""

    __tablename__ = "event_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        UniqueConstraint("user_id", "event_id", "kind"),
        Index("ix_event_notifications_unsent", "sent_at"),
    )
