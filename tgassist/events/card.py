"""What the bot and the dashboard show: an event card in Russian or English."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tgassist.core.i18n import t
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
    display_timezone: str = ""  # the city's zone, in which times are shown ("" = the event's)

    @property
    def shown_zone(self) -> str:
        return self.display_timezone or self.timezone

    @property
    def local_start(self) -> datetime:
        """The start in the city's zone (all-day events keep their own calendar date)."""
        zone = self.timezone if self.all_day else self.shown_zone
        return self.starts_at.astimezone(ZoneInfo(zone))

    @property
    def original_start(self) -> datetime | None:
        """The start in the event's own zone when that zone shows another time; else None."""
        if self.all_day or self.timezone == self.shown_zone:
            return None
        own = self.starts_at.astimezone(ZoneInfo(self.timezone))
        return own if own.utcoffset() != self.local_start.utcoffset() else None

    def when(self) -> str:
        """'2030-01-11 05:00 MSK', plus the event's own time and zone when they differ."""
        start = self.local_start
        if self.all_day:
            text = start.strftime("%Y-%m-%d")
            if self.ends_at and self.ends_at - self.starts_at > timedelta(days=1):
                last = (self.ends_at - timedelta(days=1)).astimezone(ZoneInfo(self.timezone))
                text += f" – {last.strftime('%Y-%m-%d')}"
            return text
        text = f"{start.strftime('%Y-%m-%d %H:%M')} {zone_label(start)}"
        own = self.original_start
        if own is not None:
            day = "%Y-%m-%d " if own.date() != start.date() else ""
            text += f" ({own.strftime(day + '%H:%M')} {zone_label(own)}, {self.timezone})"
        return text

    def text(self) -> str:
        """A plain-text card in the card's language (the bot formats its own; this serves the CLI,
        reminders and logs)."""
        lang = self.lang
        lines = [self.title, t("events.card.when", lang, when=self.when())]
        if self.location_name:
            lines.append(t("events.card.where", lang, place=self.location_name))
        if self.is_free:
            lines.append(t("events.card.free", lang))
        elif self.price:
            lines.append(t("events.card.price", lang, price=self.price))
        if self.status == "cancelled":
            lines.append(t("events.card.cancelled", lang))
        if self.is_generated_by_ai:
            lines.append(t("events.card.ai", lang))
        if self.url:
            lines.append(self.url)
        return "\n".join(lines)


def zone_label(moment: datetime) -> str:
    """A short zone label: the abbreviation tzdata has ("MSK", "PST") or "UTC+8"."""
    name = moment.tzname() or ""
    if name.isalpha():
        return name
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def to_card(
    row: Event | EventArchive, lang: str = "ru", city_zones: dict[str, str] | None = None
) -> EventCard:
    """A card in `lang` ("ru" or "en"); English falls back to the original text.

    `city_zones` (city → IANA zone, the settings' table) puts times in the city's zone.
    """
    en = lang == "en"
    shown = (city_zones or {}).get(row.city or "", "")
    return EventCard(
        display_timezone=shown,
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
