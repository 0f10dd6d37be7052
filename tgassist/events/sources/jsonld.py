"""Any web page that publishes schema.org/Event (MusicEvent, TheaterEvent…) as JSON-LD."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tgassist.events.exceptions import SourceError
from tgassist.events.sources.base import (
    FetchResult,
    RawEvent,
    as_dict,
    clean_text,
    in_window,
    parse_datetime,
    to_float,
    zone,
)
from tgassist.events.sources.http import SourceHttp, read_resource

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.events.settings import JsonLdPage

_SCRIPT = re.compile(
    r"<script[^>]*type\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script>", re.I | re.S
)
_CANCELLED = ("EventCancelled", "EventPostponed")


def jsonld_blocks(page: str) -> list[Any]:
    """Every parseable JSON-LD block of an HTML page (broken blocks are skipped)."""
    out = []
    for raw in _SCRIPT.findall(page):
        text = raw.strip().removeprefix("<!--").removesuffix("-->").strip()
        text = text.removeprefix("//<![CDATA[").removesuffix("//]]>").strip()
        try:
            out.append(json.loads(text))
        except json.JSONDecodeError:
            continue
    return out


def iter_events(node: Any) -> Iterator[dict[str, Any]]:
    """schema.org objects whose @type is Event or a subtype (*Event), found anywhere in `node`."""
    if isinstance(node, list):
        for item in node:
            yield from iter_events(item)
    elif isinstance(node, dict):
        types = node.get("@type")
        names = types if isinstance(types, list) else [types]
        if any(isinstance(t, str) and t.endswith("Event") for t in names):
            yield node
            return
        for key in ("@graph", "itemListElement", "item", "subEvent", "event", "events"):
            if key in node:
                yield from iter_events(node[key])


def to_raw(node: dict[str, Any], source: str, city: str | None, tz: ZoneInfo) -> RawEvent | None:
    """A RawEvent from one schema.org Event, or None without a name or a start date."""
    title = clean_text(node.get("name"))
    start = parse_datetime(node.get("startDate"), tz)
    if not title or start is None:
        return None
    end = parse_datetime(node.get("endDate"), tz)
    place = node.get("location")
    place = place[0] if isinstance(place, list) and place else place
    place = place if isinstance(place, dict) else {"name": place} if isinstance(place, str) else {}
    geo = as_dict(place.get("geo"))
    address = place.get("address")
    if isinstance(address, dict):
        address = ", ".join(
            str(address[k])
            for k in ("streetAddress", "addressLocality", "addressCountry")
            if address.get(k)
        )
    offers = node.get("offers")
    offers = offers[0] if isinstance(offers, list) and offers else offers
    price = offers.get("price") if isinstance(offers, dict) else None
    image = node.get("image")
    image = image[0] if isinstance(image, list) and image else image
    image = image.get("url") if isinstance(image, dict) else image
    url = node.get("url") if isinstance(node.get("url"), str) else None
    ident = url or hashlib.sha1(f"{title}|{node.get('startDate')}".encode()).hexdigest()
    status = str(node.get("eventStatus") or "")
    return RawEvent(
        source=source,
        external_id=ident[:300],
        title=title,
        description=clean_text(node.get("description")),
        starts_at=start,
        ends_at=end if end and end >= start else None,
        timezone=tz.key,
        city=city,
        location_name=clean_text(place.get("name")),
        address=clean_text(address),
        lat=to_float(geo.get("latitude")),
        lng=to_float(geo.get("longitude")),
        url=url,
        price=str(price) if price not in (None, "") else None,
        is_free=(str(price) in ("0", "0.0", "0.00")) if price not in (None, "") else None,
        image_url=image if isinstance(image, str) else None,
        all_day=isinstance(node.get("startDate"), str) and len(node["startDate"].strip()) == 10,
        status="cancelled" if status.endswith(_CANCELLED) else "active",
    )


class JsonLdSource:
    """Reads the configured pages (URLs or files) and yields every schema.org Event in them."""

    name = "jsonld"

    def __init__(self, app: App, pages: list[JsonLdPage]) -> None:
        self.settings = app.settings
        self.pages = pages

    async def fetch(self, since: datetime, until: datetime) -> FetchResult:
        s = self.settings
        result = FetchResult()
        async with SourceHttp.from_settings(self.name, s) as http:
            for page in self.pages:
                try:
                    tz = zone(page.timezone)
                    text = (await read_resource(page.url, http)).decode("utf-8", "replace")
                except SourceError as err:
                    result.errors.append(str(err))
                    continue
                for node in iter_events(jsonld_blocks(text)):
                    ev = to_raw(node, self.name, page.city, tz)
                    if ev is None:
                        result.invalid += 1
                    elif in_window(ev.starts_at, ev.ends_at, since, until):
                        result.events.append(ev)
            result.requests = http.requests
        return result
