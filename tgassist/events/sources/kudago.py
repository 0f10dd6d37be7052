"""KudaGo public API v1.4 (`/events/`): Moscow, St Petersburg and any other location slug."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from tgassist.core.i18n import Msg
from tgassist.core.ratelimit import TokenBucket
from tgassist.events.exceptions import SourceError, SourceHttpError, SourceShapeError
from tgassist.events.sources.base import (
    FetchResult,
    RawEvent,
    as_dict,
    clean_text,
    in_window,
    to_float,
)
from tgassist.events.sources.http import SourceHttp

if TYPE_CHECKING:
    from tgassist.app import App

FIELDS = (
    "id,dates,title,short_title,slug,place,description,body_text,location,categories,"
    "age_restriction,price,is_free,images,site_url,tags"
)
# KudaGo marks unknown dates with year 1 (start) and year 9999 (end).
_MIN_TS = 0
_MAX_TS = 32503680000  # year 3000
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")


class KudaGoSource:
    """Pages through `/events/` per city (following `next`), optionally a `lang=en` pass."""

    name = "kudago"

    def __init__(self, app: App) -> None:
        s = app.settings
        self.settings = s
        self.base_url = s.events_kudago_base_url.rstrip("/")
        self.bucket = TokenBucket(app.redis, "events:kudago", rate=s.events_kudago_rate_per_sec)

    def _http(self) -> SourceHttp:
        return SourceHttp.from_settings(self.name, self.settings, self.bucket)

    async def fetch(self, since: datetime, until: datetime) -> FetchResult:
        result = FetchResult()
        async with self._http() as http:
            for city in self.settings.events_kudago_cities:
                items = await self._pages(http, city, since, until, "ru", result)
                english: dict[int, str] = {}
                if self.settings.events_kudago_lang_en and items:
                    for item in await self._pages(http, city, since, until, "en", result):
                        title = clean_text(item.get("title")) if isinstance(item, dict) else None
                        if (
                            title
                            and not _CYRILLIC.search(title)
                            and isinstance(item.get("id"), int)
                        ):
                            english[item["id"]] = _capitalise(title)
                for item in items:
                    events = self.parse(item, city, since, until)
                    if not events:
                        result.skip(_why_not(item), item.get("id") or item.get("title") or "?")
                    for ev in events:
                        en = english.get(item.get("id"))  # type: ignore[arg-type]
                        if en:
                            ev.title_en, ev.en_provider = en, "kudago"
                    result.events.extend(events)
            result.requests = http.requests
        return result

    async def _pages(
        self,
        http: SourceHttp,
        city: str,
        since: datetime,
        until: datetime,
        lang: str,
        result: FetchResult,
    ) -> list[dict[str, Any]]:
        url = f"{self.base_url}/events/"
        base: dict[str, Any] = {
            "location": city,
            "actual_since": int(since.timestamp()),
            "actual_until": int(until.timestamp()),
            "fields": FIELDS,
            "expand": "place,dates",
            "text_format": "text",
            "page_size": self.settings.events_kudago_page_size,
            "lang": lang,
        }
        params = dict(base)
        items: list[dict[str, Any]] = []
        seen_ids: set[object] = set()
        read: set[int] = set()
        page_no, where = 1, f"{city}/{lang}"
        for _ in range(self.settings.events_kudago_max_pages):
            try:
                page = await http.get_json(url, params)
                if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                    keys = sorted(page)[:8] if isinstance(page, dict) else type(page).__name__
                    raise SourceShapeError("events.source.kudago_shape", got=str(keys))

            except SourceHttpError as err:
                if page_no > 1 and err.status == 404 and _end_of_list(err.body):
                    return items  # the documented answer past the last page
                result.errors.append(_at(where, err))
                return items
            except SourceError as err:
                result.errors.append(_at(where, err))
                return items
            read.add(page_no)
            results = [i for i in page["results"] if isinstance(i, dict)]
            fresh = [i for i in results if _key(i) is None or _key(i) not in seen_ids]
            if results and not fresh:
                result.skip("repeated_page", f"{where} page {page_no}", "same events as before")
                result.errors.append(
                    Msg(
                        "events_ingest.error.kudago_repeated", {"where": where, "page": page_no}
                    ).to_dict()
                )
                return items
            seen_ids.update(_key(i) for i in fresh)
            items.extend(fresh)
            nxt = page.get("next")
            if not nxt:
                return items
            # Follow `next` on our configured base URL (a proxy or a test server keeps working).
            # Our own parameters win (a recorded `next` may say lang=ru or text_format=html).
            following = dict(httpx.URL(str(nxt)).params)
            next_no = _int(following.get("page"), page_no + 1)
            if next_no in read:
                result.skip("repeated_page", f"{where} page {next_no}", f"after page {page_no}")
                result.errors.append(
                    Msg(
                        "events_ingest.error.kudago_next_read",
                        {"where": where, "page": page_no, "next": next_no},
                    ).to_dict()
                )
                return items
            params, page_no = {**following, **base}, next_no
        result.errors.append(
            Msg(
                "events_ingest.error.kudago_max_pages",
                {"where": where, "pages": self.settings.events_kudago_max_pages},
            ).to_dict()
        )
        return items

    def parse(
        self, item: dict[str, Any], city: str, since: datetime, until: datetime
    ) -> list[RawEvent]:
        """One RawEvent per real date inside the window; [] for an item with no usable date."""
        title = clean_text(item.get("title")) or clean_text(item.get("short_title"))
        ident = item.get("id")
        if not title or ident is None:
            return []
        place = as_dict(item.get("place"))
        coords = as_dict(place.get("coords"))
        images = item.get("images") if isinstance(item.get("images"), list) else []
        image = images[0].get("image") if images and isinstance(images[0], dict) else None
        age = item.get("age_restriction")
        tz = self.settings.events_city_timezones.get(city, "Europe/Moscow")
        location = as_dict(item.get("location"))
        events = []
        dates = _dates(item.get("dates"))
        for start, end in dates:
            if not in_window(start, end, since, until):
                continue
            events.append(
                RawEvent(
                    source=self.name,
                    external_id=_occurrence_id(ident, start, len(dates)),
                    title=_capitalise(title),
                    description=clean_text(item.get("description"))
                    or clean_text(item.get("body_text")),
                    starts_at=start,
                    ends_at=end,
                    timezone=tz,
                    city=location.get("slug") or city,
                    region="ru",
                    location_name=clean_text(place.get("title")),
                    address=clean_text(place.get("address")),
                    lat=to_float(coords.get("lat")),
                    lng=to_float(coords.get("lon")),
                    url=item.get("site_url"),
                    categories=[str(c) for c in item.get("categories") or [] if c],
                    price=clean_text(item.get("price")),
                    is_free=item.get("is_free"),
                    age_restriction=str(age) if age not in (None, "", 0, "0") else None,
                    image_url=image,
                )
            )
        return events


def _key(item: dict[str, Any]) -> object:
    ident = item.get("id")
    return ident if isinstance(ident, int | str) else None


def _int(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default


def _end_of_list(body: str) -> bool:
    """KudaGo's answer to a page past the last: 404 {"detail": "Неправильная страница"}."""
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        return False
    return isinstance(detail, str) and ("страниц" in detail.lower() or "page" in detail.lower())


def _occurrence_id(ident: object, start: datetime, dates: int) -> str:
    """The item id; with several dates, id@start per date (a moved single date keeps its id)."""
    return f"{ident}@{int(start.timestamp())}" if dates > 1 else str(ident)


def _why_not(item: dict[str, Any]) -> str:
    """Why `parse` returned nothing for an item: its skip reason."""
    if not (clean_text(item.get("title")) or clean_text(item.get("short_title"))):
        return "no_title"
    if _key(item) is None:
        return "bad_event"
    return "outside_window" if _dates(item.get("dates")) else "no_start"


def _dates(raw: object) -> list[tuple[datetime, datetime | None]]:
    out = []
    for d in raw if isinstance(raw, list) else []:
        if not isinstance(d, dict):
            continue
        start, end = _ts(d.get("start")), _ts(d.get("end"))
        if start is None:
            continue  # placeholder or missing start: the date is unknown
        out.append((start, end if end and end >= start else None))
    return out


def _ts(value: object) -> datetime | None:
    try:
        ts = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    if ts <= _MIN_TS or ts >= _MAX_TS:
        return None
    return datetime.fromtimestamp(ts, UTC)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _at(where: str, err: SourceError) -> dict[str, Any]:
    """A stored message: `err` while reading `where` (city/lang)."""
    return Msg("events_ingest.error.at", {"where": where, "error": err}).to_dict()
