"""iCalendar feeds (URLs or files): recurrences expanded within the ingest window.

`recurring-ical-events` expands RRULE/RDATE/EXDATE/RECURRENCE-ID, one series at a time (a broken
one is skipped and named, see `occurrences`); `x-wr-timezone` turns X-WR-TIMEZONE calendars into standard ones; icalendar
resolves Windows zone names ("GMT Standard Time") and zones without a VTIMEZONE by IANA name.
Floating times (and zones nobody knows) are read in the feed's configured zone. All-day events keep
their exclusive DTEND. `external_id` = UID + the occurrence's original start (its RECURRENCE-ID).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from icalendar.error import BrokenCalendarProperty
from icalendar.prop import vBroken
from recurring_ical_events.errors import BadRuleStringFormat
from recurring_ical_events.util import convert_to_datetime

from tgassist.core.i18n import Msg
from tgassist.events.exceptions import SourceError
from tgassist.events.sources.base import FetchResult, RawEvent, Skip, as_utc, clean_text, zone
from tgassist.events.sources.budget import run_bounded
from tgassist.events.sources.calendar import parse_calendar, read_calendar, repair

__all__ = ["IcsSource", "ParseLimits", "expand_feed", "occurrences", "parse_calendar", "repair"]
from tgassist.events.sources.http import SourceHttp, read_resource

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.events.settings import IcsFeed


@dataclass(frozen=True)
class ParseLimits:
    """Caps of one feed's expansion; `deadline` is a `time.monotonic()` value (None: no deadline)."""

    per_series: int = 1000
    per_feed: int = 10000
    seconds: float | None = None  # a soft deadline: stop between series, keep what was read
    deadline: float | None = None


def occurrences(
    cal: icalendar.Calendar,
    since: datetime,
    until: datetime,
    tz: ZoneInfo,
    city: str | None = None,
    *,
    limits: ParseLimits | None = None,
) -> tuple[list[RawEvent], list[Skip]]:
    """RawEvents of every occurrence in [since, until) and the records left out, by name.

    Each series (the components sharing a UID: the master and its RECURRENCE-ID overrides) is
    expanded on its own, so one broken VEVENT or rule loses that series only. A series with more
    occurrences than `limits.per_series` keeps its first ones; once the feed has `per_feed`, the
    remaining series are skipped; both are counted.
    """
    result = FetchResult()
    expand(cal, since, until, tz, city, limits or ParseLimits(), result)
    return result.events, result.skips


def expand(
    cal: icalendar.Calendar,
    since: datetime,
    until: datetime,
    tz: ZoneInfo,
    city: str | None,
    limits: ParseLimits,
    result: FetchResult,
) -> None:
    """`occurrences` into `result`; a feed stopped by its deadline keeps what it read, as an error."""
    if limits.seconds is not None and limits.deadline is None:
        limits = replace(limits, deadline=time.monotonic() + limits.seconds)
    out, skips = result.events, result
    groups = _series_groups(cal)
    timezones = list(cal.walk("VTIMEZONE"))
    for n, (name, comps) in enumerate(groups):
        if len(out) >= limits.per_feed:
            skips.skip("feed_cap", name, f"limit {limits.per_feed}", count=len(groups) - n)
            break
        if limits.deadline is not None and time.monotonic() > limits.deadline:
            skips.errors.append(
                Msg("events_ingest.error.ics_deadline", {"read": n, "total": len(groups)}).to_dict()
            )
            break
        try:
            events = _expand_series(name, comps, timezones, since, until, tz, city, limits, skips)
        except _Skipped as why:
            skips.skip(why.reason, name, why.detail)
            continue
        except BrokenCalendarProperty as err:
            reason = "bad_rrule" if "'RRULE'" in str(err) else "bad_date"
            skips.skip(reason, name, str(err)[:200])
            continue
        except RecursionError:
            skips.skip("bad_event", name, "nested too deeply")
            continue
        except Exception as err:  # a library fault on one odd series must not lose the others
            skips.skip("bad_event", name, f"{type(err).__name__}: {err}")
            continue
        room = limits.per_feed - len(out)
        if len(events) > room:
            skips.skip("feed_cap", name, f"limit {limits.per_feed}", count=len(events) - room)
            events = events[:room]
        out.extend(events)


class _Skipped(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


def _series_groups(cal: icalendar.Calendar) -> list[tuple[str, list[Any]]]:
    """(name, components) per UID, in feed order; components without a UID stand alone."""
    groups: dict[str, list[Any]] = {}
    names: dict[str, str] = {}
    for n, comp in enumerate(cal.walk("VEVENT")):
        uid = str(comp.get("UID") or "").strip()
        key = uid or f"\0{n}"
        groups.setdefault(key, []).append(comp)
        names.setdefault(key, uid or f"#{n + 1} {clean_text(comp.get('SUMMARY')) or ''}".strip())
    return [(names[k], v) for k, v in groups.items()]


def _expand_series(
    name: str,
    comps: list[Any],
    timezones: list[Any],
    since: datetime,
    until: datetime,
    tz: ZoneInfo,
    city: str | None,
    limits: ParseLimits,
    skips: FetchResult,
) -> list[RawEvent]:
    kept = []
    for comp in comps:
        try:
            _check(comp)
        except _Skipped as why:
            if comp.get("RECURRENCE-ID") is None or isinstance(comp.get("RECURRENCE-ID"), vBroken):
                raise
            # A broken override loses itself only; the series keeps its regular occurrence.
            rid = _stamp_of(comp.get("RECURRENCE-ID"), tz)
            skips.skip(why.reason, f"{name} @ {rid}", why.detail)
            continue
        kept.append(comp)
    sub = icalendar.Calendar()
    for part in [*timezones, *kept]:
        sub.add_component(part)
    try:
        query = recurring_ical_events.of(sub)
    except BadRuleStringFormat as err:
        raise _Skipped("bad_rrule", str(err)[:200]) from err
    events: list[RawEvent] = []
    no_title = 0
    for series in query.series:
        stop, capped = _capped_stop(series, since, until, limits)
        found = sorted(series.between(since, stop))
        if len(found) > limits.per_series:
            capped, found = True, found[: limits.per_series]
        if capped:
            skips.skip("series_cap", name, f"limit {limits.per_series}")
        for occ in found:
            ev = _to_raw(occ.as_component(False), tz, city)
            if ev is None:
                no_title += 1
            else:
                events.append(ev)
    if no_title:
        skips.skip("no_title", name, count=no_title)
    return events


_DATE_PROPS = ("DTSTART", "DTEND", "DUE", "DURATION", "RECURRENCE-ID", "EXDATE", "RDATE")


def _check(comp: Any) -> None:
    """Raise _Skipped for a component the expansion cannot use (checked before the library)."""
    for prop in ("RRULE", *_DATE_PROPS):
        values = comp.get(prop)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, vBroken):
                reason = "bad_rrule" if prop == "RRULE" else "bad_date"
                raise _Skipped(reason, f"{prop}:{str(value)[:60]}")
    if comp.get("DTSTART") is None:
        raise _Skipped("no_start", "no DTSTART")
    if not isinstance(getattr(comp.get("DTSTART"), "dt", None), date):
        raise _Skipped("bad_date", f"DTSTART {str(comp.get('DTSTART'))[:40]!r}")
    for rule in _rules(comp):
        interval = rule.get("INTERVAL", [1])
        if any(not isinstance(i, int) or i <= 0 for i in interval):
            raise _Skipped("rrule_interval_zero", f"INTERVAL={interval[0]}")
        if not rule.get("FREQ"):
            raise _Skipped("bad_rrule", "no FREQ")


def _rules(comp: Any) -> list[Any]:
    rules = comp.get("RRULE")
    return [r for r in (rules if isinstance(rules, list) else [rules]) if r is not None]


def _capped_stop(
    series: Any, since: datetime, until: datetime, limits: ParseLimits
) -> tuple[datetime, bool]:
    """The end of the span to expand: `until`, or the start of the first occurrence over the cap.

    The library lists every start of a rule in the span before it yields one, so a SECONDLY rule
    would list millions; counting lazily first keeps the expansion within the cap.
    """
    recurrence = getattr(series, "recurrence", None)
    rules = getattr(recurrence, "rrules", None) or []
    stop = until
    for rule in rules:
        if getattr(rule, "_interval", 1) <= 0:
            raise _Skipped("rrule_interval_zero", "INTERVAL=0")
        tzinfo = getattr(recurrence, "tzinfo", None)
        first, last = convert_to_datetime(since, tzinfo), convert_to_datetime(until, tzinfo)
        for n, start in enumerate(rule.xafter(first, inc=True), 1):
            if start > last:
                break
            if n % 256 == 0 and limits.deadline and time.monotonic() > limits.deadline:
                raise _Skipped("bad_event", "expansion ran out of the time budget")
            if n > limits.per_series:
                aware = start if start.tzinfo else start.replace(tzinfo=UTC)
                stop = min(stop, aware)
                break
    return stop, stop < until


def _stamp_of(prop: Any, tz: ZoneInfo) -> str:
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime):
        return as_utc(value, tz).strftime("%Y%m%dT%H%M%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return "?"


def expand_feed(
    data: bytes,
    name: str,
    since: datetime,
    until: datetime,
    tz: ZoneInfo,
    city: str | None,
    limits: ParseLimits,
) -> FetchResult:
    """One feed's bytes → its occurrences and skips; never raises (run in a budgeted child)."""
    result = FetchResult()
    try:
        cal = read_calendar(data, name, result)
    except SourceError as err:
        result.errors.append(err.msg.to_dict())
        return result
    except RecursionError:
        result.errors.append(Msg("events_ingest.error.ics_too_deep", {"feed": name}).to_dict())
        return result
    expand(cal, since, until, tz, city, limits, result)
    result.errors = [
        Msg("events_ingest.error.in_feed", {"feed": name, "error": e}).to_dict()
        for e in result.errors
    ]
    return result


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
    # An occurrence is keyed by its original start (RECURRENCE-ID when it was moved), so a moved
    # occurrence keeps its row, its saves and its reminders.
    own = start_raw.isoformat() if all_day else start.strftime("%Y%m%dT%H%M%SZ")
    rid = _stamp_of(comp.get("RECURRENCE-ID"), tz) if comp.get("RECURRENCE-ID") else "?"
    stamp = own if rid == "?" else rid
    status = str(comp.get("STATUS") or "").upper()
    return RawEvent(
        source="ics",
        external_id=f"{uid}@{stamp}"[:300],
        legacy_external_id=f"{uid}@{own}"[:300] if stamp != own else None,
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
        # The child stops between series at 80 % of the budget (keeping what it read); the hard
        # kill at 100 % is for a single rule that never ends.
        limits = ParseLimits(
            per_series=s.events_max_per_series,
            per_feed=s.events_max_per_feed,
            seconds=s.events_parse_timeout_sec * 0.8,
        )
        async with SourceHttp.from_settings(self.name, s) as http:
            for feed in self.feeds:
                name = feed_name(feed)
                try:
                    tz = zone(feed.timezone)
                    data = await read_resource(feed.url, http)
                    part = await run_bounded(
                        expand_feed,
                        data,
                        name,
                        since,
                        until,
                        tz,
                        feed.city,
                        limits,
                        timeout_sec=s.events_parse_timeout_sec,
                        memory_mb=s.events_parse_memory_mb,
                        what=f"ics: feed {name}",
                    )
                except SourceError as err:
                    result.errors.append(err.msg.to_dict())
                    continue
                for ev in part.events:
                    ev.language = feed.language
                result.events.extend(part.events)
                result.errors.extend(part.errors)
                result.skips.extend(replace(k, item=f"{name}: {k.item}") for k in part.skips)
            result.requests = http.requests
        return result
