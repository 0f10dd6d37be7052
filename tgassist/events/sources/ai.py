"""Event suggestions from the LLM for configured Bali locations (strict JSON, validated)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from tgassist.core.errors import LocalizedError
from tgassist.core.i18n import Msg
from tgassist.events.exceptions import SourceError
from tgassist.events.sources.base import FetchResult, RawEvent, as_utc, clean_text, in_window, zone

if TYPE_CHECKING:
    from tgassist.app import App

BALI_TZ = "Asia/Makassar"


class SuggestedEvent(BaseModel):
    """One event the model suggests; times are Bali local unless they carry an offset."""

    title: str = Field(min_length=3, max_length=200, description="title in Russian")
    title_en: str = Field(min_length=3, max_length=200, description="the same title in English")
    description: str | None = Field(None, max_length=2000)
    starts_at: datetime
    ends_at: datetime | None = None
    location_name: str = Field(min_length=2, max_length=200)
    lat: float | None = Field(None, ge=-9.2, le=-8.0)  # Bali's bounding box
    lng: float | None = Field(None, ge=114.4, le=115.8)
    url: str | None = None


class SuggestedEvents(BaseModel):
    events: list[SuggestedEvent]


PROMPT = (
    "You suggest real, recurring or typical public events in {location}, Bali for the next {days} days "
    '(today is {today}, Bali time). Answer with JSON only: {{"events": [{{"title": Russian title, '
    '"title_en": English title, "description": short Russian description, "starts_at": ISO 8601 '
    'local time, "ends_at": ISO 8601 or null, "location_name": venue, "lat": number or null, '
    '"lng": number or null, "url": URL or null}}]}} with at most {count} events.'
)


class AISource:
    """Asks the LLM once per location; every answer is validated, bad items are dropped."""

    name = "ai"

    def __init__(self, app: App) -> None:
        if app.llm is None:
            raise SourceError("events.source.ai_no_llm")

        self.llm = app.llm
        self.settings = app.settings
        self.tz = zone(BALI_TZ)

    async def fetch(self, since: datetime, until: datetime) -> FetchResult:
        from tgassist.ai.base import ChatMessage

        result = FetchResult()
        now_local = max(since, datetime.now(self.tz)).astimezone(self.tz)
        days = max(1, min(14, (until - since) // timedelta(days=1)))
        for location in self.settings.events_ai_locations:
            prompt = PROMPT.format(
                location=location,
                days=days,
                today=now_local.date().isoformat(),
                count=self.settings.events_ai_per_location,
            )
            result.requests += 1
            try:
                answer = await self.llm.complete_json(
                    [
                        ChatMessage("system", "You are a careful local events assistant."),
                        ChatMessage("user", prompt),
                    ],
                    SuggestedEvents,
                    temperature=0.0,
                )
            except (
                Exception
            ) as err:  # AIError after the client's own retries, or a validation error
                why = err if isinstance(err, LocalizedError) else f"{type(err).__name__}: {err}"
                result.errors.append(
                    Msg(
                        "events_ingest.error.ai_failed", {"location": location, "error": why}
                    ).to_dict()
                )
                continue
            for item in answer.events[: self.settings.events_ai_per_location]:
                start = as_utc(item.starts_at, self.tz)
                end = as_utc(item.ends_at, self.tz) if item.ends_at else None
                if end is not None and end < start:
                    end = None
                if not in_window(start, end, since, until):
                    result.skip("outside_window", item.title)
                    continue
                key = hashlib.sha1(
                    f"{location}|{item.title}|{start.isoformat()}".encode()
                ).hexdigest()[:20]
                result.events.append(
                    RawEvent(
                        source=self.name,
                        external_id=key,
                        title=clean_text(item.title) or item.title,
                        description=clean_text(item.description),
                        starts_at=start,
                        ends_at=end,
                        timezone=BALI_TZ,
                        city="bali",
                        region="bali",
                        location_name=clean_text(item.location_name),
                        lat=item.lat,
                        lng=item.lng,
                        url=item.url,
                        title_en=clean_text(item.title_en),
                        en_provider=f"ai:{getattr(self.llm, 'provider', 'llm')}",
                        is_generated_by_ai=True,
                    )
                )
        return result
