"""What every source yields (`RawEvent`), the `Source` protocol, and the registry of sources."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tgassist.events.exceptions import SourceError

if TYPE_CHECKING:
    from tgassist.app import App


@dataclass
class RawEvent:
    """One event occurrence as a source saw it. `starts_at`/`ends_at` are aware datetimes."""

    source: str
    external_id: str
    title: str
    starts_at: datetime
    ends_at: datetime | None = None
    description: str | None = None
    city: str | None = None
    lat: float | None = None
    lng: float | None = None
    location_name: str | None = None
    url: str | None = None
    timezone: str = "UTC"
    all_day: bool = False
    region: str | None = None
    address: str | None = None
    categories: list[str] = field(default_factory=list)
    price: str | None = None
    is_free: bool | None = None
    age_restriction: str | None = None
    image_url: str | None = None
    title_en: str | None = None  # an English title the source itself provides
    language: str | None = None  # the feed's declared language ("en"…); None: detect per title
    # The id this occurrence had under an older keying (a moved iCalendar occurrence was keyed by
    # its new start before issue 12 was fixed); its row is taken over, with its saves and reminders.
    legacy_external_id: str | None = None
    en_provider: str | None = None
    status: str = "active"
    is_generated_by_ai: bool = False


# Why a record was left out, by category: `invalid` (the record is broken), `outside_window`
# (valid, but not in the ingest window), `capped` (over a per-series/per-feed limit), `note`
# (nothing lost, but worth a look: a repeated page). Each reason is a key in `events_ingest`.
REASONS: dict[str, str] = {
    "no_title": "invalid",
    "no_start": "invalid",
    "bad_date": "invalid",
    "bad_rrule": "invalid",
    "rrule_interval_zero": "invalid",
    "bad_event": "invalid",
    "outside_window": "outside_window",
    "series_cap": "capped",
    "feed_cap": "capped",
    "repeated_page": "note",
}


@dataclass(frozen=True)
class Skip:
    """One record left out of a run: the reason, the record's name (UID, id, title), details.

    `count` > 1 when one line stands for several records (the rest of a capped series/feed).
    """

    reason: str
    item: str
    detail: str = ""
    count: int = 1

    @property
    def key(self) -> str:
        return f"events_ingest.skip.{self.reason}"

    @property
    def category(self) -> str:
        return REASONS[self.reason]

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "key": self.key,
            "params": {"item": self.item, "detail": self.detail, "count": self.count},
        }


@dataclass
class FetchResult:
    """Events of one source plus what went wrong; `complete` is False when a part was lost."""

    events: list[RawEvent] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)  # stored messages (Msg.to_dict)
    skips: list[Skip] = field(default_factory=list)
    requests: int = 0

    @property
    def complete(self) -> bool:
        return not self.errors

    def skip(self, reason: str, item: object, detail: str = "", count: int = 1) -> None:
        """Count and name a record left out (`reason` is a key of `REASONS`)."""
        if reason not in REASONS:
            raise ValueError(f"unknown skip reason {reason!r}")
        self.skips.append(Skip(reason, str(item)[:200], detail[:300], count))

    def counted(self, category: str) -> int:
        return sum(s.count for s in self.skips if s.category == category)

    @property
    def invalid(self) -> int:
        """Records dropped by validation (no dates, no title, a broken rule…)."""
        return self.counted("invalid")


class Source(Protocol):
    """A source of events. `fetch` never raises for bad items; it records them in the result."""

    name: str

    async def fetch(self, since: datetime, until: datetime) -> FetchResult: ...


@dataclass(frozen=True)
class SourceSpec:
    """A registry row: the source's name, kind, region (for the cron) and how to build it."""

    name: str
    kind: str
    region: str
    build: Callable[[App], Source | None]  # None: not configured (no feeds, no LLM…)
    enabled: Callable[[Any], bool]


_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v]+")


def clean_text(value: object) -> str | None:
    """Decode HTML entities (twice: sources double-encode), drop tags, squeeze spaces."""
    if value is None:
        return None
    text = html.unescape(html.unescape(str(value)))
    text = _TAGS.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = re.sub(r"\s*\n\s*", "\n", text).strip()
    return text or None


def as_dict(value: object) -> dict[str, Any]:
    """`value` if it is a dict, else {} (tolerant parsing of optional objects)."""
    return value if isinstance(value, dict) else {}


def to_float(value: object) -> float | None:
    """A finite float, or None (NaN and infinities are no coordinates)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    try:
        return ZoneInfo(name or fallback)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise SourceError("events.source.zone_unknown", value=name) from err


def as_utc(value: datetime | date, tz: ZoneInfo) -> datetime:
    """Aware UTC datetime from an aware/naive datetime (naive = in `tz`) or a date (midnight in `tz`)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def parse_datetime(text: object, tz: ZoneInfo) -> datetime | None:
    """ISO 8601 (with or without offset, `Z`, `+0100`) or 'YYYY-MM-DD HH:MM[:SS]'; None if unparseable."""
    if text is None or text == "" or isinstance(text, bool):
        return None
    try:
        if isinstance(text, int | float):
            return datetime.fromtimestamp(float(text), UTC)
        if not isinstance(text, str) or len(text) > 64:
            return None
        raw = text.strip().replace("Z", "+00:00")
        raw = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", raw)
        if len(raw) == 10:
            return as_utc(date.fromisoformat(raw), tz)
        return as_utc(datetime.fromisoformat(raw), tz)
    except (ValueError, OverflowError, OSError):  # OverflowError: year 1 or 9999 near a zone shift
        return None


def in_window(
    starts_at: datetime, ends_at: datetime | None, since: datetime, until: datetime
) -> bool:
    """True when the event has not ended by `since` and starts before `until`."""
    end = ends_at or starts_at
    return starts_at < until and end >= since


def day_after(d: date) -> date:
    return d + timedelta(days=1)
