"""iCalendar feeds (URLs or files): recurrences expanded within the ingest window.

`recurring-ical-events` expands RRULE/RDATE/EXDATE/RECURRENCE-ID and skips broken series
(`skip_bad_series`); `x-wr-timezone` turns X-WR-TIMEZONE calendars into standard ones; icalendar
resolves Windows zone names ("GMT Standard Time") and zones without a VTIMEZONE by IANA name.
Floating times (and zones nobody knows) are read in the feed's configured zone. All-day events keep
their exclusive DTEND. `external_id` = UID + occurrence start.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import x_wr_timezone

from tgassist.events.exceptions import SourceError
from tgassist.events.sources.base import FetchResult, RawEvent, as_utc, clean_text, zone
from tgassist.events.sources.http import SourceHttp, read_resource

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.events.settings import IcsFeed

_FOLD = re.compile(r"\r?\n[ \t]")
_RRULE = re.compile(r"^((?:RRULE|EXRULE)[^:\r\n]*:)([^\r\n]*)$", re.M)


def repair(text: str) -> str:
    """Unfold lines and drop spaces inside RRULEs (`BYDAY=MO, TU` from Exchange CDO)."""
    text = _FOLD.sub("", text)
    return _RRULE.sub(lambda m: m.group(1) + m.group(2).replace(" ", ""), text)


def parse_calendar(data: bytes, feed_name: str) -> icalendar.Calendar:
    try:
        cal = icalendar.Calendar.from_ical(repair(data.decode("utf-8-sig", "replace")))
        return x_wr_timezone.to_standard(cal)
    except Exception as err:  # icalendar raises ValueError and friends with terse texts
        raise SourceError(
            f"ics: feed {feed_name} is not a valid iCalendar file ({err}); check the feed URL/path"
        ) from err


def occurrences(
    cal: icalendar.Calendar, since: datetime, until: datetime, tz: ZoneInfo, city: str | None = None
) -> tuple[list[RawEvent], int]:
    """RawEvents of every occurrence in [since, until) and the number of components skipped."""
    query = recurring_ical_events.of(cal, skip_bad_series=True)
    out, invalid = [], 0
    for comp in query.between(since, until):
        ev = _to_raw(comp, tz, city)
        if ev is None:
            invalid += 1
        else:
            out.append(ev)
    return out, invalid


def _to_raw(comp: Any, tz: ZoneInfo, city: str | None) -> RawEvent | None:
    title = clean_text(comp.get("SUMMARY"))
    start_prop = comp.get("DTSTART")
    if not title or start_prop is None:
        return None
    # UID is mandatory, but Exchange CDO omits it: the title stands in (occurrence start follows).
    uid = (
        str(comp.get("UID") or "").strip()
        or "nouid-" + hashlib.sha1(title.encode()).hexdigest()[:16]
    )
    start_raw = start_prop.dt
    all_day = isinstance(start_raw, date) and not isinstance(start_raw, datetime)
    end_prop = comp.get("DTEND")
    end_raw = end_prop.dt if end_prop is not None else None
    if end_raw is None and all_day:
        end_raw = start_raw + timedelta(days=1)
    start = as_utc(start_raw, tz)
    end = as_utc(end_raw, tz) if end_raw is not None else None
    if end is not None and end <= start and not all_day:
        end = None
    geo = comp.get("GEO")
    cats = comp.get("CATEGORIES")
    categories: list[str] = []
    for c in cats if isinstance(cats, list) else [cats] if cats is not None else []:
        categories.extend(str(x) for x in getattr(c, "cats", []) or [])
    stamp = start_raw.isoformat() if all_day else start.strftime("%Y%m%dT%H%M%SZ")
    status = str(comp.get("STATUS") or "").upper()
    return RawEvent(
        source="ics",
        external_id=f"{uid}@{stamp}"[:300],
        title=title,
        description=clean_text(comp.get("DESCRIPTION")),
        starts_at=start,
        ends_at=end,
        all_day=all_day,
        timezone=_zone_name(start_raw, tz),
        city=city,
        location_name=clean_text(comp.get("LOCATION")),
        url=str(comp.get("URL")) if comp.get("URL") else None,
        lat=float(geo.latitude) if geo is not None else None,
        lng=float(geo.longitude) if geo is not None else None,
        categories=categories,
        status="cancelled" if status == "CANCELLED" else "active",
    )


def _zone_name(value: date | datetime, fallback: ZoneInfo) -> str:
    tzinfo = getattr(value, "tzinfo", None)
    key = getattr(tzinfo, "key", None) or getattr(tzinfo, "zone", None)
    return str(key) if key else fallback.key


def feed_name(feed: IcsFeed) -> str:
    return feed.name or PurePosixPath(feed.url.split("?")[0]).name or feed.url


class IcsSource:
    """All configured feeds as one source named "ics"; a broken feed is reported, others go on."""

    name = "ics"

    def __init__(self, app: App, feeds: list[IcsFeed]) -> None:
        self.settings = app.settings
        self.feeds = feeds

    async def fetch(self, since: datetime, until: datetime) -> FetchResult:
        s = self.settings
        result = FetchResult()
        async with SourceHttp.from_settings(self.name, s) as http:
            for feed in self.feeds:
                name = feed_name(feed)
                try:
                    tz = zone(feed.timezone)
                    cal = parse_calendar(await read_resource(feed.url, http), name)
                    events, invalid = occurrences(cal, since, until, tz, feed.city)
                except SourceError as err:
                    result.errors.append(str(err))
                    continue
                except Exception as err:  # a library bug on one odd feed must not stop the others
                    result.errors.append(
                        f"ics: feed {name} failed to expand ({type(err).__name__}: {err})"
                    )
                    continue
                result.events.extend(events)
                result.invalid += invalid
            result.requests = http.requests
        return result
