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
from tgassist.events.sources.budget import run_bounded
from tgassist.events.sources.http import SourceHttp, read_resource

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.events.settings import JsonLdPage

_SCRIPT_OPEN = re.compile(r"<script\b", re.I)
_SCRIPT_CLOSE = re.compile(r"</script\s*>", re.I)
_LD_TYPE = re.compile(r"""type\s*=\s*["']?application/ld\+json""", re.I)
_CANCELLED = ("EventCancelled", "EventPostponed")
MAX_DEPTH = 64  # schema.org nesting that real pages use is < 10


def script_texts(page: str) -> list[str]:
    """The texts of the JSON-LD <script> blocks, in one linear pass.

    Each search starts where the previous one ended, and an unclosed <script> ends the scan (no
    later block can be closed either), so hostile HTML costs O(n), not O(n²) as a lazy regex.
    """
    out, pos = [], 0
    while (opening := _SCRIPT_OPEN.search(page, pos)) is not None:
        tag_end = page.find(">", opening.end())
        if tag_end < 0:
            break
        closing = _SCRIPT_CLOSE.search(page, tag_end + 1)
        if closing is None:
            break
        if _LD_TYPE.search(page, opening.end(), tag_end):
            out.append(page[tag_end + 1 : closing.start()])
        pos = closing.end()
    return out


def jsonld_blocks(page: str) -> list[Any]:
    """Every parseable JSON-LD block of an HTML page (broken blocks are skipped)."""
    out = []
    for raw in script_texts(page):
        text = raw.strip().removeprefix("<!--").removesuffix("-->").strip()
        text = text.removeprefix("//<![CDATA[").removesuffix("//]]>").strip()
        try:
            out.append(json.loads(text))
        except (json.JSONDecodeError, RecursionError):
            continue
    return out


def iter_events(node: Any) -> Iterator[dict[str, Any]]:
    """schema.org objects whose @type is Event or a subtype (*Event), found anywhere in `node`.

    Iterative, and no deeper than MAX_DEPTH: a hostile page cannot exhaust the stack.
    """
    stack: list[tuple[Any, int]] = [(node, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if isinstance(item, list):
            stack.extend((child, depth + 1) for child in reversed(item))
        elif isinstance(item, dict):
            types = item.get("@type")
            names = types if isinstance(types, list) else [types]
            if any(isinstance(t, str) and t.endswith("Event") for t in names):
                yield item
                continue
            for key in reversed(
                ("@graph", "itemListElement", "item", "subEvent", "event", "events")
            ):
                if key in item:
                    stack.append((item[key], depth + 1))


def to_raw(node: dict[str, Any], source: str, city: str | None, tz: ZoneInfo) -> RawEvent | None:
    """A RawEvent from one schema.org Event, or None without a name or a start date."""
    title = clean_text(_text(node.get("name")))
    start = parse_datetime(_text(node.get("startDate")), tz)
    if not title or start is None:
        return None
    end = parse_datetime(_text(node.get("endDate")), tz)
    place = node.get("location")
    place = place[0] if isinstance(place, list) and place else place
    place = place if isinstance(place, dict) else {"name": place} if isinstance(place, str) else {}
    place_name = _text(place.get("name"))
    geo = as_dict(place.get("geo"))
    address = place.get("address")
    if isinstance(address, dict):
        address = ", ".join(
            str(_text(address.get(k)))
            for k in ("streetAddress", "addressLocality", "addressCountry")
            if _text(address.get(k))
        )
    address = _text(address)
    offers = node.get("offers")
    offers = offers[0] if isinstance(offers, list) and offers else offers
    price = offers.get("price") if isinstance(offers, dict) else None
    image = node.get("image")
    image = image[0] if isinstance(image, list) and image else image
    image = image.get("url") if isinstance(image, dict) else image
    url = node.get("url") if isinstance(node.get("url"), str) else None
    ident = url or hashlib.sha1(f"{title}|{start.isoformat()}".encode()).hexdigest()
    status = _text(node.get("eventStatus")) or ""
    return RawEvent(
        source=source,
        external_id=ident[:300],
        title=title,
        description=clean_text(node.get("description")),
        starts_at=start,
        ends_at=end if end and end >= start else None,
        timezone=tz.key,
        city=city,
        location_name=clean_text(place_name),
        address=clean_text(address),
        lat=to_float(geo.get("latitude")),
        lng=to_float(geo.get("longitude")),
        url=url,
        price=str(price) if price not in (None, "") else None,
        is_free=(str(price) in ("0", "0.0", "0.00")) if price not in (None, "") else None,
        image_url=image if isinstance(image, str) else None,
        all_day=len((_text(node.get("startDate")) or "").strip()) == 10,
        status="cancelled" if status.endswith(_CANCELLED) else "active",
    )


def page_events(
    data: bytes,
    source: str,
    city: str | None,
    tz: ZoneInfo,
    since: datetime,
    until: datetime,
    max_events: int,
) -> FetchResult:
    """A page's bytes → its events in the window and the skipped ones; never raises."""
    result = FetchResult()
    text = data.decode("utf-8", "replace")
    for node in iter_events(jsonld_blocks(text)):
        name = _node_name(node)
        try:
            ev = to_raw(node, source, city, tz)
        except Exception as err:  # one odd node loses itself only
            result.skip("bad_event", name, f"{type(err).__name__}: {err}")
            continue
        if ev is None:
            result.skip("no_start" if clean_text(_text(node.get("name"))) else "no_title", name)
        elif not in_window(ev.starts_at, ev.ends_at, since, until):
            result.skip("outside_window", name)
        elif len(result.events) >= max_events:
            result.skip("feed_cap", name, f"limit {max_events}")
        else:
            result.events.append(ev)
    return result


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _text(value: object) -> str | None:
    """A schema.org text: a string, the first string of a list, or a {"@value": …} object."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str | dict)), None)
    if isinstance(value, dict):
        value = value.get("@value")
    return value if isinstance(value, str) else None


def _node_name(node: dict[str, Any]) -> str:
    url = _str(node.get("url"))
    return (url or clean_text(_text(node.get("name"))) or "?")[:200]


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
                    data = await read_resource(page.url, http)
                    part = await run_bounded(
                        page_events,
                        data,
                        self.name,
                        page.city,
                        tz,
                        since,
                        until,
                        s.events_max_per_feed,
                        timeout_sec=s.events_parse_timeout_sec,
                        memory_mb=s.events_parse_memory_mb,
                        what=f"jsonld: page {page.url}",
                    )
                except SourceError as err:
                    result.errors.append(err.msg.to_dict())
                    continue
                for ev in part.events:
                    ev.language = page.language
                result.events.extend(part.events)
                result.skips.extend(part.skips)
            result.requests = http.requests
        return result
