"""What the bot and the dashboard show: an event card in Russian or English."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tgassist.events.models import Event, EventArchive


@dataclass
class EventCard:
    """One event as shown to a user; `sources` links every source that lists it (cross-source dedupe)."""

    id: int
    lang: str
    title: str
    starts_at: datetime
    ends_at: datetime | None
    all_day: bool
    timezone: str
    status: str
    description: str | None = None
    location_name: str | None = None
    address: str | None = None
    city: str | None = None
    lat: float | None = None
    lng: float | None = None
    url: str | None = None
    price: str | None = None
    is_free: bool | None = None
    age_restriction: str | None = None
    image_url: str | None = None
    categories: list[str] = field(default_factory=list)
    is_generated_by_ai: bool = False
    sources: list[dict[str, Any]] = field(default_factory=list)
    distance_km: float | None = None
    dedupe_key: str = ""

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(ZoneInfo(self.timezone))

    def text(self) -> str:
        """A plain-text card (the bot formats its own; this serves the CLI and logs)."""
        en = self.lang == "en"
        start = self.local_start
        if self.all_day:
            when = start.strftime("%Y-%m-%d")
            if self.ends_at and self.ends_at - self.starts_at > timedelta(days=1):
                last = (self.ends_at - timedelta(days=1)).astimezone(ZoneInfo(self.timezone))
                when += f" – {last.strftime('%Y-%m-%d')}"
        else:
            when = start.strftime("%Y-%m-%d %H:%M")
        lines = [self.title, f"{'When' if en else 'Когда'}: {when} ({self.timezone})"]
        if self.location_name:
            lines.append(f"{'Where' if en else 'Где'}: {self.location_name}")
        if self.is_free:
            lines.append("Free" if en else "Бесплатно")
        elif self.price:
            lines.append(f"{'Price' if en else 'Цена'}: {self.price}")
        if self.status == "cancelled":
            lines.append("CANCELLED" if en else "ОТМЕНЕНО")
        if self.is_generated_by_ai:
            lines.append("Suggested by AI" if en else "Предложено ИИ")
        if self.url:
            lines.append(self.url)
        return "\n".join(lines)


def to_card(row: Event | EventArchive, lang: str = "ru") -> EventCard:
    """A card in `lang` ("ru" or "en"); English falls back to the original text."""
    en = lang == "en"
    return EventCard(
        id=row.id,
        lang="en" if en else "ru",
        title=(row.title_en or row.title) if en else row.title,
        description=(row.description_en or row.description) if en else row.description,
        location_name=(row.location_name_en or row.location_name) if en else row.location_name,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        all_day=row.all_day,
        timezone=row.timezone or "UTC",
        status=row.status,
        address=row.address,
        city=row.city,
        lat=row.lat,
        lng=row.lng,
        url=row.url,
        price=row.price,
        is_free=row.is_free,
        age_restriction=row.age_restriction,
        image_url=row.image_url,
        categories=list(row.categories or []),
        is_generated_by_ai=row.is_generated_by_ai,
        sources=[
            {
                "source": row.source,
                "external_id": row.external_id,
                "url": row.url,
                "event_id": row.id,
            }
        ],
        dedupe_key=row.dedupe_key,
    )
