"""Tables of the enrichment pipeline (besides `post_enrichment`, which lives in models.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tgassist.core.db import Base, JSONType, UTCDateTime, utcnow

ID = BigInteger().with_variant(Integer, "sqlite")


class MediaVision(Base):
    """The vision result of one image (by content), so a repeated image is analysed once.

    Unique per (sha256, params_hash): changing the OCR languages or turning LLM vision on gives a
    new params hash, hence a fresh analysis. Transient outcomes (budget, OCR unavailable) are never
    stored here, so they are retried.
    """

    __tablename__ = "media_vision"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64))
    params_hash: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))  # ok | partial | skipped | failed
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    ocr_text: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    labels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("sha256", "params_hash"),)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "status": self.status,
            "reason": self.reason,
            "provider": self.provider,
            "ocr_text": self.ocr_text,
            "description": self.description,
            "labels": list(self.labels or []),
            "width": self.width,
            "height": self.height,
        }


__all__ = ["MediaVision"]
