"""Read side for the bot, dashboard and CLI. Read-only over events; never calls an LLM."""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from tgassist.core.db import utcnow
from tgassist.core.lazy import lazy_exports
from tgassist.events.card import EventCard, to_card
from tgassist.events.dedupe import haversine_km, same_place, search_text
from tgassist.events.exceptions import EventsError
from tgassist.events.models import Event, EventArchive, EventReminder, SavedEvent
from tgassist.events.reminders import Notification, schedule_reminders

if TYPE_CHECKING:
    from tgassist.app import App

MIN_RADIUS_KM, MAX_RADIUS_KM = 1.0, 20.0
# When two sources list the same event, the card shows the first of these.
SOURCE_PRIORITY = {"kudago": 0, "baliforum": 1, "ics": 2, "jsonld": 3, "ai": 9}


def city_zone(app: App, city: str) -> ZoneInfo:
    name = app.settings.events_city_timezones.get(city)
    if name is None:
        known = ", ".join(sorted(app.settings.events_city_timezones))
        raise EventsError("events.city_unknown", city=city, known=known)
    return ZoneInfo(name)


def date_range(
    when: str | date, tz: ZoneInfo, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """[start, end) in UTC for today | tomorrow | weekend | week | YYYY-MM-DD, in the city's zone."""
    today = (now or utcnow()).astimezone(tz).date()
    if isinstance(when, date):
        first, days = when, 1
    elif when == "today":
        first, days = today, 1
    elif when == "tomorrow":
        first, days = today + timedelta(days=1), 1
    elif when == "weekend":
        wd = today.weekday()  # Saturday = 5, Sunday = 6
        first = today if wd >= 5 else today + timedelta(days=5 - wd)
        days = 7 - first.weekday()
    elif when == "week":
        first, days = today, 7
    else:
        try:
            first, days = date.fromisoformat(when), 1
        except ValueError as err:
            raise EventsError("events.date_unknown", value=when) from err
    start = datetime.combine(first, time(0), tz)
    end = datetime.combine(first + timedelta(days=days), time(0), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _overlaps(start: datetime, end: datetime) -> ColumnElement[bool]:
    return (Event.starts_at < end) & (func.coalesce(Event.ends_at, Event.starts_at) >= start)


# A city's day list is the same for every reader (nothing per user in it): each process keeps
# the lists it built for `events_list_cache_sec`, so a crowd opening "Moscow, today" costs one
# query. The cards in it are shared: read them, do not change them.
_LISTS: weakref.WeakKeyDictionary[App, dict[tuple[object, ...], tuple[float, list[EventCard]]]] = (
    weakref.WeakKeyDictionary()
)
_LISTS_MAX = 512


def forget_city_lists(app: App) -> None:
    """Drop this process's cached city lists (after an ingest wrote new events)."""
    _LISTS.pop(app, None)


async def events_by_city(
    app: App,
    city: str,
    when: str | date = "today",
    *,
    lang: str = "ru",
    limit: int = 50,
    now: datetime | None = None,
) -> list[EventCard]:
    """Active events in `city` overlapping the day(s) of `when`, soonest first, duplicates merged."""
    start, end = date_range(when, city_zone(app, city), now)
    ttl = app.settings.events_list_cache_sec
    lists = _LISTS.setdefault(app, {})
    key = (city, start, end, lang, limit)
    if now is None and ttl > 0 and (hit := lists.get(key)) and hit[0] > monotonic():
        return list(hit[1])
    async with app.db.session() as s:
        rows = (
            (
                await s.execute(
                    select(Event)
                    .where(Event.city == city, Event.status == "active", _overlaps(start, end))
                    .order_by(Event.starts_at, Event.id)
                    .limit(limit * 3)
                )
            )
            .scalars()
            .all()
        )
    cards = collapse(
        [to_card(r, lang, app.settings.events_city_timezones) for r in rows],
        app.settings.events_dedupe_radius_km,
    )[:limit]
    if now is None and ttl > 0:
        if len(lists) >= _LISTS_MAX:
            lists.clear()
        lists[key] = (monotonic() + ttl, cards)
        return list(cards)
    return cards


async def nearby(
    app: App,
    lat: float,
    lng: float,
    radius_km: float = 5.0,
    *,
    lang: str = "ru",
    limit: int = 50,
    now: datetime | None = None,
    days: int = 7,
) -> list[EventCard]:
    """Active events within `radius_km` (1–20) starting in the next `days`, nearest first."""
    if not MIN_RADIUS_KM <= radius_km <= MAX_RADIUS_KM:
        raise EventsError(
            "events.radius_invalid",
            low=f"{MIN_RADIUS_KM:g}",
            high=f"{MAX_RADIUS_KM:g}",
            value=f"{radius_km:g}",
        )
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise EventsError("events.location_invalid", lat=lat, lng=lng)
    now = now or utcnow()
    dlat = radius_km / 111.32
    dlng = radius_km / (111.32 * max(0.01, math.cos(math.radians(lat))))
    async with app.db.session() as s:
        rows = (
            (
                await s.execute(
                    select(Event).where(
                        Event.status == "active",
                        Event.lat.between(lat - dlat, lat + dlat),
                        Event.lng.between(lng - dlng, lng + dlng),
                        _overlaps(now, now + timedelta(days=days)),
                    )
                )
            )
            .scalars()
            .all()
        )
    cards = []
    for r in rows:
        dist = haversine_km(lat, lng, r.lat, r.lng)  # type: ignore[arg-type]
        if dist <= radius_km:
            card = to_card(r, lang, app.settings.events_city_timezones)
            card.distance_km = round(dist, 3)
            cards.append(card)
    cards.sort(key=lambda c: (c.distance_km, c.starts_at))
    return collapse(cards, app.settings.events_dedupe_radius_km)[:limit]


async def search(
    app: App,
    text: str,
    *,
    city: str | None = None,
    lang: str = "ru",
    limit: int = 50,
    now: datetime | None = None,
) -> list[EventCard]:
    """Upcoming or running active events whose title/place/description contains `text`."""
    query = search_text(text.strip())
    if len(query) < 2:
        raise EventsError("events.search_too_short", min=2)
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    now = now or utcnow()
    stmt = select(Event).where(
        Event.status == "active",
        Event.search_text.like(f"%{escaped}%", escape="\\"),
        func.coalesce(Event.ends_at, Event.starts_at) >= now,
    )
    if city:
        stmt = stmt.where(Event.city == city)
    async with app.db.session() as s:
        rows = (
            (await s.execute(stmt.order_by(Event.starts_at, Event.id).limit(limit * 3)))
            .scalars()
            .all()
        )
    return collapse(
        [to_card(r, lang, app.settings.events_city_timezones) for r in rows],
        app.settings.events_dedupe_radius_km,
    )[:limit]


async def event_card(app: App, event_id: int, lang: str = "ru") -> EventCard:
    """The card of a live or archived event, with every source that lists the same event."""
    async with app.db.session() as s:
        row: Event | EventArchive | None = await s.get(Event, event_id) or await s.get(
            EventArchive, event_id
        )
        if row is None:
            raise EventsError("events.event_not_found", id=event_id)
        twins = (
            (
                await s.execute(
                    select(Event).where(Event.dedupe_key == row.dedupe_key, Event.id != row.id)
                )
            )
            .scalars()
            .all()
        )
    card = to_card(row, lang, app.settings.events_city_timezones)
    radius = app.settings.events_dedupe_radius_km
    for twin in twins:
        if same_place(
            row.lat, row.lng, row.location_name, twin.lat, twin.lng, twin.location_name, radius
        ):
            card.sources.extend(to_card(twin, lang, app.settings.events_city_timezones).sources)
    return card


def collapse(cards: list[EventCard], radius_km: float) -> list[EventCard]:
    """Merge cards of the same real event from different sources: shown once, linked to all."""
    out: list[EventCard] = []
    groups: dict[str, list[EventCard]] = {}
    for card in cards:
        twin = next(
            (
                c
                for c in groups.get(card.dedupe_key, [])
                if same_place(
                    c.lat, c.lng, c.location_name, card.lat, card.lng, card.location_name, radius_km
                )
            ),
            None,
        )
        if twin is None:
            groups.setdefault(card.dedupe_key, []).append(card)
            out.append(card)
            continue
        twin.sources.extend(card.sources)
        if SOURCE_PRIORITY.get(card.sources[0]["source"], 5) < SOURCE_PRIORITY.get(
            twin.sources[0]["source"], 5
        ):
            # Show the better source's text; keep the list of sources with the better one first.
            merged = card.sources + [s for s in twin.sources if s not in card.sources]
            idx = out.index(twin)
            card.sources, card.distance_km = merged, twin.distance_km
            out[idx] = card
            groups[card.dedupe_key] = [card if c is twin else c for c in groups[card.dedupe_key]]
    return out


async def save_event(app: App, user_id: int, event_id: int, now: datetime | None = None) -> bool:
    """Save an event for a user and schedule its reminders; False if it was saved already."""
    now = now or utcnow()
    async with app.db.session() as s:
        event = await s.get(Event, event_id)
        if event is None:
            raise EventsError("events.save_not_found", id=event_id)
        exists = (
            await s.execute(
                select(SavedEvent.id).where(
                    SavedEvent.user_id == user_id, SavedEvent.event_id == event_id
                )
            )
        ).first()
        if exists:
            return False
        s.add(SavedEvent(user_id=user_id, event_id=event_id, created_at=now))
        try:
            await s.flush()
        except IntegrityError as err:
            raise EventsError("events.user_unknown", id=user_id) from err
        await schedule_reminders(s, user_id, event, now)
    return True


async def unsave_event(app: App, user_id: int, event_id: int) -> bool:
    """Remove a save and its pending reminders; False if it was not saved."""
    async with app.db.session() as s:
        result = await s.execute(
            delete(SavedEvent).where(SavedEvent.user_id == user_id, SavedEvent.event_id == event_id)
        )
        await s.execute(
            delete(EventReminder).where(
                EventReminder.user_id == user_id,
                EventReminder.event_id == event_id,
                EventReminder.status == "pending",
            )
        )
    return bool(getattr(result, "rowcount", 0))


async def saved_events(app: App, user_id: int, lang: str = "ru") -> list[EventCard]:
    """A user's saved events (live or archived), soonest first."""
    async with app.db.session() as s:
        ids = list(
            (
                await s.execute(select(SavedEvent.event_id).where(SavedEvent.user_id == user_id))
            ).scalars()
        )
        live = (
            (await s.execute(select(Event).where(Event.id.in_(ids)))).scalars().all() if ids else []
        )
        archived = (
            (await s.execute(select(EventArchive).where(EventArchive.id.in_(ids)))).scalars().all()
            if ids
            else []
        )
    rows: list[Event | EventArchive] = [*live, *archived]
    cards = [to_card(r, lang, app.settings.events_city_timezones) for r in rows]
    return sorted(cards, key=lambda c: c.starts_at)


@dataclass(frozen=True)
class ReminderRun:
    """What one run of due reminders did: produced, delivered, failed, and the messages."""

    produced: int
    sent: int
    failed: int
    notifications: tuple[Notification, ...]


async def pending_reminders(app: App, limit: int = 200) -> list[dict[str, object]]:
    """Reminders not produced yet, soonest first."""
    from tgassist.events import reminders

    return await reminders.pending_reminders(app, limit)


async def run_due_reminders(
    app: App, *, log_only: bool = False, now: datetime | None = None
) -> ReminderRun:
    """Produce the due reminders and deliver them (through `bot.outgoing` when a bot is
    configured; with `log_only`, to the log). Undelivered ones are retried on the next check."""
    from tgassist.events import reminders

    produced = await reminders.produce_due(app, now)
    notes = tuple(await reminders.pending_notifications(app))
    notifier = reminders.LoggingNotifier() if log_only else reminders.notifier_for(app)
    sent, failed = await reminders.deliver(app, notifier)
    return ReminderRun(produced, sent, failed, notes)


# What doors use from the product's other modules, offered here so that a door imports the
# service alone (loaded on first use: `browse` imports this module).
__getattr__ = lazy_exports(
    __name__,
    {
        "tgassist.events.browse": "cities city_page event_mark nearby_page parse_date save "
        "saved_page search_page set_reminders unsave shown_event_card=event_card",
        "tgassist.events.ingest": "ingest list_sources recent_runs",
        "tgassist.events.translate": "backfill count_without_en",
        "tgassist.events.sources": "select_specs",
        "tgassist.events.stats": "upcoming_count=upcoming run_rows=recent_runs source_rows=sources",
    },
)

if TYPE_CHECKING:  # the names above, for type checkers
    from tgassist.events.browse import (  # noqa: F401
        cities,
        city_page,
        event_mark,
        nearby_page,
        parse_date,
        save,
        saved_page,
        search_page,
        set_reminders,
        unsave,
    )
    from tgassist.events.browse import event_card as shown_event_card  # noqa: F401
    from tgassist.events.ingest import ingest, list_sources, recent_runs  # noqa: F401
    from tgassist.events.sources import select_specs  # noqa: F401
    from tgassist.events.stats import recent_runs as run_rows  # noqa: F401
    from tgassist.events.stats import sources as source_rows  # noqa: F401
    from tgassist.events.stats import upcoming as upcoming_count  # noqa: F401
    from tgassist.events.translate import backfill, count_without_en  # noqa: F401
