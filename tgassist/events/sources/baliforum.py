"""BaliForum (Bali) through its public, undocumented JSON API; times are Bali local time.

List: `GET {base}/events?defaultList=1&page=N` → `data[]` of `title`, `slug`, `eventDates[{startAt,
endAt}]`, `place{…}`, `types`, `images`. Detail: `GET {base}/events/{slug}` → `content.blocks`.
Unknown fields are ignored and optional fields are optional; a response without the `data` list is
a shape change and fails the source loudly (run stats), never the run. To replace this with an HTML
scraper, register another `SourceSpec` named "baliforum" in `tgassist.events.sources`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tgassist.core.i18n import Msg
from tgassist.core.ratelimit import TokenBucket
from tgassist.events.exceptions import SourceError, SourceShapeError
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
from tgassist.events.sources.http import SourceHttp

if TYPE_CHECKING:
    from tgassist.app import App

BALI_TZ = "Asia/Makassar"


class BaliForumSource:
    """Pages through the list until an empty page (or `meta.last_page`), then reads details."""

    name = "baliforum"

    def __init__(self, app: App) -> None:
        s = app.settings
        self.settings = s
        self.base_url = s.events_baliforum_base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self.site = f"{parts.scheme}://{parts.netloc}"
        self.bucket = TokenBucket(
            app.redis, "events:baliforum", rate=s.events_baliforum_rate_per_sec
        )
        self.tz = zone(BALI_TZ)

    async def fetch(self, since: datetime, until: datetime) -> FetchResult:
        s = self.settings
        result = FetchResult()
        async with SourceHttp.from_settings(self.name, s, self.bucket) as http:
            items: list[dict[str, Any]] = []
            for page_no in range(1, s.events_baliforum_max_pages + 1):
                try:
                    page = await http.get_json(
                        f"{self.base_url}/events", {"defaultList": 1, "page": page_no}
                    )
                    data = _list_of(page)
                except SourceError as err:
                    result.errors.append(err.msg.to_dict())
                    break
                if not data:
                    break
                items.extend(data)
                meta = as_dict(as_dict(page).get("meta"))
                last = meta.get("last_page") or meta.get("lastPage")
                if isinstance(last, int) and page_no >= last:
                    break
            for item in items:
                events = self.parse(item, since, until)
                if events is None:
                    result.skip(*_why_invalid(item))
                    continue
                if not events:
                    result.skip("outside_window", _name(item))
                    continue
                if events and s.events_baliforum_details and item.get("slug"):
                    try:
                        description = blocks_text(
                            await http.get_json(f"{self.base_url}/events/{item['slug']}")
                        )
                    except SourceError as err:
                        result.errors.append(
                            Msg(
                                "events_ingest.error.detail_failed",
                                {"item": item["slug"], "error": err},
                            ).to_dict()
                        )
                        description = None
                    for ev in events:
                        ev.description = description or ev.description
                result.events.extend(events)
            result.requests = http.requests
        return result

    def parse(
        self, item: dict[str, Any], since: datetime, until: datetime
    ) -> list[RawEvent] | None:
        """Occurrences inside the window ([] if none); None for an item without title, slug or dates."""
        title = clean_text(item.get("title") or item.get("name"))
        slug = item.get("slug") or item.get("id")
        dates = item.get("eventDates") if isinstance(item.get("eventDates"), list) else []
        if not title or not slug or not dates:
            return None
        place = as_dict(item.get("place"))
        lat = to_float(place.get("lat") or place.get("latitude"))
        lng = to_float(place.get("lng") or place.get("lon") or place.get("longitude"))
        parsed = []
        for d in dates:
            start = parse_datetime(as_dict(d).get("startAt") or as_dict(d).get("start"), self.tz)
            if start is not None:
                parsed.append(
                    (
                        start,
                        parse_datetime(as_dict(d).get("endAt") or as_dict(d).get("end"), self.tz),
                    )
                )
        out = []
        for start, end in parsed:
            if end is not None and end < start:
                end = None
            if not in_window(start, end, since, until):
                continue
            out.append(
                RawEvent(
                    # A moved single date keeps the slug as its id; several dates get slug@start each.
                    source=self.name,
                    external_id=f"{slug}@{int(start.timestamp())}"
                    if len(parsed) > 1
                    else str(slug),
                    title=title,
                    description=clean_text(item.get("description") or item.get("excerpt")),
                    starts_at=start,
                    ends_at=end,
                    timezone=BALI_TZ,
                    city="bali",
                    region="bali",
                    location_name=clean_text(place.get("title") or place.get("name")),
                    address=clean_text(place.get("address")),
                    lat=lat,
                    lng=lng,
                    url=item.get("url") or f"{self.site}/events/{slug}",
                    categories=_names(item.get("types")),
                    price=clean_text(item.get("price")),
                    is_free=item.get("isFree") if isinstance(item.get("isFree"), bool) else None,
                    image_url=_image(item.get("images")),
                )
            )
        return out if parsed else None


def _name(item: dict[str, Any]) -> str:
    return str(item.get("slug") or item.get("id") or clean_text(item.get("title")) or "?")


def _why_invalid(item: dict[str, Any]) -> tuple[str, str]:
    """The skip reason of an item `parse` rejected, and the item's name."""
    if not clean_text(item.get("title") or item.get("name")):
        return "no_title", _name(item)
    if not (item.get("slug") or item.get("id")):
        return "bad_event", _name(item)
    return "no_start", _name(item)


def _list_of(page: object) -> list[dict[str, Any]]:
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        got = sorted(page)[:8] if isinstance(page, dict) else type(page).__name__
        raise SourceShapeError("events.source.baliforum_shape", got=str(got))

    return [i for i in page["data"] if isinstance(i, dict)]


def blocks_text(detail: object) -> str | None:
    """Plain text of an event detail's `content.blocks` (Editor.js-like), wherever it sits."""
    node = detail.get("data", detail) if isinstance(detail, dict) else {}
    content = node.get("content") if isinstance(node, dict) else None
    blocks = content.get("blocks") if isinstance(content, dict) else None
    if not isinstance(blocks, list):
        return None
    parts = []
    for block in blocks:
        data = block.get("data") if isinstance(block, dict) else None
        if not isinstance(data, dict):
            continue
        if isinstance(data.get("text"), str):
            parts.append(clean_text(data["text"]))
        elif isinstance(data.get("items"), list):
            parts.extend(clean_text(i) for i in data["items"] if isinstance(i, str))
    return "\n".join(p for p in parts if p) or None


def _names(types: object) -> list[str]:
    out = []
    for t in types if isinstance(types, list) else []:
        name = (
            t
            if isinstance(t, str)
            else (t.get("title") or t.get("name") or t.get("slug"))
            if isinstance(t, dict)
            else None
        )
        if name:
            out.append(str(name))
    return out


def _image(images: object) -> str | None:
    for img in images if isinstance(images, list) else []:
        if isinstance(img, str):
            return img
        if isinstance(img, dict):
            for key in ("url", "src", "original", "path"):
                if isinstance(img.get(key), str):
                    return str(img[key])
    return None
