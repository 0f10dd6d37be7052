"""What the bot's events screens ask for: the cities offered, pages of cards (by city and day,
nearby, search, saved), a typed date, and a user's save / reminder marks on an event.

Read-only over events except the user's own saves and reminders; never calls an LLM.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from tgassist.core.db import utcnow
from tgassist.core.errors import LocalizedError
from tgassist.events import service
from tgassist.events.card import EventCard
from tgassist.events.exceptions import EventsError
from tgassist.events.models import Event, EventReminder, SavedEvent
from tgassist.events.settings import IcsFeed, JsonLdPage

if TYPE_CHECKING:
    from tgassist.app import App

PAGE_SIZE = 5
FETCH_LIMIT = 100  # cards fetched per list before paging
BUILTIN_CITIES: tuple[str, ...] = ("msk", "spb", "bali")
RADII_KM: tuple[int, ...] = (1, 3, 5, 10, 20)
WHEN: tuple[str, ...] = ("today", "tomorrow", "weekend")
# The reminders the "remind me" switch schedules (the service also adds one at the start).
REMIND_KINDS: tuple[tuple[str, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("1h", timedelta(hours=1)),
)
_DMY = re.compile(r"^(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2,4}))?$")


@dataclass(frozen=True)
class City:
    """A city the events screens offer: its code and whether a catalogue name exists for it."""

    code: str
    builtin: bool


@dataclass(frozen=True)
class EventsPage:
    items: tuple[EventCard, ...]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class EventMark:
    """The user's marks on one event."""

    saved: bool
    reminders: tuple[str, ...]  # pending reminder kinds


def cities(app: App) -> tuple[City, ...]:
    """Moscow, St Petersburg, Bali, then the cities of configured iCalendar / JSON-LD feeds
    (those with a time zone in TGASSIST_EVENTS_CITY_TIMEZONES, which 'today' needs)."""
    zones = app.settings.events_city_timezones
    out = [City(c, True) for c in BUILTIN_CITIES if c in zones]
    feeds: list[IcsFeed | JsonLdPage] = [
        *app.settings.events_ics_feeds,
        *app.settings.events_jsonld_pages,
    ]
    for feed in feeds:
        code = feed.city
        if code and code in zones and all(c.code != code for c in out):
            out.append(City(code, False))
    return tuple(out)


def paginate(cards: Sequence[EventCard], page: int, per_page: int = PAGE_SIZE) -> EventsPage:
    pages = max(1, -(-len(cards) // per_page))
    page = min(max(0, page), pages - 1)
    return EventsPage(
        tuple(cards[page * per_page : (page + 1) * per_page]), page, pages, len(cards)
    )


def parse_date(text: str, today: date) -> date:
    """'25.12', '25.12.2026', '2026-12-25' → a date (a day-month without a year is the next one)."""
    raw = (text or "").strip()
    try:
        if re.match(r"^\d{4}-\d{1,2}-\d{1,2}$", raw):
            return date.fromisoformat("-".join(p.zfill(2) for p in raw.split("-")))
        m = _DMY.match(raw)
        if m:
            day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
            if year:
                y = int(year) + (2000 if len(year) == 2 else 0)
                return date(y, month, day)
            found = date(today.year, month, day)
            return found if found >= today else date(today.year + 1, month, day)
    except ValueError:
        pass
    raise LocalizedError("events.browse.bad_date", value=raw[:30])


def _known_city(app: App, city: str) -> None:
    if city not in {c.code for c in cities(app)}:
        raise LocalizedError("events.browse.unknown_city", value=city[:30])


async def city_page(
    app: App,
    city: str,
    when: str | date,
    *,
    lang: str,
    page: int = 0,
    now: datetime | None = None,
) -> EventsPage:
    """Events in `city` on `when` (today | tomorrow | weekend | a date)."""
    _known_city(app, city)
    if isinstance(when, str) and when not in WHEN:
        raise LocalizedError("events.browse.bad_when", value=when[:30])
    cards = await service.events_by_city(app, city, when, lang=lang, limit=FETCH_LIMIT, now=now)
    return paginate(cards, page)


async def nearby_page(
    app: App, lat: float, lng: float, radius_km: float, *, lang: str, page: int = 0
) -> EventsPage:
    """Events within `radius_km` of a shared location in the coming week, nearest first."""
    try:
        cards = await service.nearby(app, lat, lng, radius_km, lang=lang, limit=FETCH_LIMIT)
    except EventsError as err:
        raise LocalizedError("events.browse.bad_location") from err
    return paginate(cards, page)


async def search_page(
    app: App, text: str, *, lang: str, city: str | None = None, page: int = 0
) -> EventsPage:
    """Upcoming events whose title, place or description contains `text`."""
    query = " ".join((text or "").split())
    if len(re.sub(r"[\W_]", "", query)) < 2:
        raise LocalizedError("events.browse.query_too_short")
    if len(query) > 100:
        raise LocalizedError("events.browse.query_too_long", limit=100)
    cards = await service.search(app, query, city=city, lang=lang, limit=FETCH_LIMIT)
    return paginate(cards, page)


async def saved_page(app: App, user_id: int, *, lang: str, page: int = 0) -> EventsPage:
    """'My events': saved events still to come first (soonest first), then past ones."""
    cards = await service.saved_events(app, user_id, lang)
    now = utcnow()
    upcoming = [c for c in cards if (c.ends_at or c.starts_at) >= now]
    past = [c for c in cards if (c.ends_at or c.starts_at) < now]
    return paginate([*upcoming, *reversed(past)], page)


async def event_card(app: App, event_id: int, *, lang: str) -> EventCard:
    try:
        return await service.event_card(app, event_id, lang)
    except EventsError as err:
        raise LocalizedError("events.browse.not_found", id=event_id) from err


async def event_mark(app: App, user_id: int, event_id: int) -> EventMark:
    async with app.db.session() as s:
        saved = await s.scalar(
            select(SavedEvent.id).where(
                SavedEvent.user_id == user_id, SavedEvent.event_id == event_id
            )
        )
        kinds = (
            await s.scalars(
                select(EventReminder.kind).where(
                    EventReminder.user_id == user_id,
                    EventReminder.event_id == event_id,
                    EventReminder.status == "pending",
                )
            )
        ).all()
    return EventMark(saved is not None, tuple(sorted(kinds)))


async def save(app: App, user_id: int, event_id: int) -> EventMark:
    """Save (idempotent); saving schedules the reminders that are still ahead."""
    try:
        await service.save_event(app, user_id, event_id)
    except EventsError as err:
        raise LocalizedError("events.browse.not_saveable", id=event_id) from err
    return await event_mark(app, user_id, event_id)


async def unsave(app: App, user_id: int, event_id: int) -> EventMark:
    await service.unsave_event(app, user_id, event_id)
    return await event_mark(app, user_id, event_id)


async def set_reminders(app: App, user_id: int, event_id: int, on: bool) -> EventMark:
    """Turn the 24 h and 1 h reminders on (saving the event) or off (the save stays).

    A reminder whose time has passed is not scheduled; `EventMark.reminders` shows what is.
    """
    if on:
        mark = await save(app, user_id, event_id)
        now = utcnow()
        async with app.db.session() as s:
            event = await s.get(Event, event_id)
            if event is None:
                raise LocalizedError("events.browse.not_saveable", id=event_id)
            for kind, before in REMIND_KINDS:
                due = event.starts_at - before
                if due > now and kind not in mark.reminders:
                    exists = await s.scalar(
                        select(EventReminder.id).where(
                            EventReminder.user_id == user_id,
                            EventReminder.event_id == event_id,
                            EventReminder.kind == kind,
                        )
                    )
                    if exists is None:
                        s.add(
                            EventReminder(
                                user_id=user_id,
                                event_id=event_id,
                                kind=kind,
                                due_at=due,
                                status="pending",
                            )
                        )
    else:
        async with app.db.session() as s:
            await s.execute(
                delete(EventReminder).where(
                    EventReminder.user_id == user_id,
                    EventReminder.event_id == event_id,
                    EventReminder.status == "pending",
                )
            )
    return await event_mark(app, user_id, event_id)
