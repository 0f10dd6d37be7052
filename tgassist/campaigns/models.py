"""Tables of the campaigns product: campaigns, keywords, ad groups, ads, and stage results (resume).

Users and tasks are core tables (`tgassist.core.models.User`, `Task`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tgassist.core.db import Base, JSONType, UTCDateTime, utcnow

STATUSES = ("draft", "processing", "completed", "failed", "cancelled", "archived")


class Campaign(Base):
    """One Yandex Direct search campaign built from a brief (or imported from a Direct file)."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    product: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(2000))
    base_phrases: Mapped[list[str]] = mapped_column(JSONType, default=list)
    region_names: Mapped[list[str]] = mapped_column(JSONType, default=list)
    region_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    budget: Mapped[float | None] = mapped_column(Float, nullable=True)
    brief: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    brief_hash: Mapped[str] = mapped_column(String(64), index=True)
    imported_keywords: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType, nullable=True)
    minus_words: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    source: Mapped[str | None] = mapped_column(String(30), nullable=True)
    keywords_count: Mapped[int] = mapped_column(Integer, default=0)
    groups_count: Mapped[int] = mapped_column(Integer, default=0)
    ads_count: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    file_path: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    spreadsheet_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AdGroup(Base):
    """A cluster of keywords with its own ads and group minus phrases."""

    __tablename__ = "campaign_ad_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    main_phrase: Mapped[str] = mapped_column(String(300))
    minus_phrases: Mapped[list[str]] = mapped_column(JSONType, default=list)
    external_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (UniqueConstraint("campaign_id", "number"),)


class Keyword(Base):
    """A key phrase: normalised lemma key, frequency, where it came from, its group."""

    __tablename__ = "campaign_keywords"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    phrase: Mapped[str] = mapped_column(String(500))
    lemma_key: Mapped[str] = mapped_column(String(500))
    frequency: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    source: Mapped[str] = mapped_column(String(30))
    ad_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign_ad_groups.id", ondelete="SET NULL"), nullable=True, index=True
    )
    minus_words: Mapped[list[str]] = mapped_column(JSONType, default=list)
    external_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    bid: Mapped[float | None] = mapped_column(Float, nullable=True)  # search bid from a Direct file

    __table_args__ = (
        UniqueConstraint("campaign_id", "lemma_key"),
        Index("ix_campaign_keywords_campaign", "campaign_id"),
    )


class Ad(Base):
    """A combinatorial ad: headlines, texts, links, sitelinks, callouts, and how it was made."""

    __tablename__ = "campaign_ads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    ad_group_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_ad_groups.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    title2: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(String(400))
    extra_titles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    extra_texts: Mapped[list[str]] = mapped_column(JSONType, default=list)
    url: Mapped[str] = mapped_column(String(2000))
    display_link: Mapped[str] = mapped_column(String(100), default="")
    sitelinks: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    callouts: Mapped[list[str]] = mapped_column(JSONType, default=list)
    generator: Mapped[str] = mapped_column(String(30), default="template")
    external_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class StageResult(Base):
    """A finished build stage of a campaign; a restarted build skips the stages found here."""

    __tablename__ = "campaign_stage_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("campaign_id", "stage"),)
