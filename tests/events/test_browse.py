"""The bot's events read side: cities, typed dates, pages, marks and reminders."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tgassist.core.db import utcnow
from tgassist.core.errors import LocalizedError
from tgassist.core.users import ensure_user
from tgassist.events import browse
from tgassist.events.models import Event
from tgassist.events.settings import IcsFeed


def test_parse_date() -> None:
    today = date(2026, 12, 1)
    assert browse.parse_date("25.12", today) == date(2026, 12, 25)
    assert browse.parse_date("05.01", today) == date(2027, 1, 5)  # the next one
    assert browse.parse_date("1.1.27", today) == date(2027, 1, 1)
    assert browse.parse_date("2026-12-31", today) == date(2026, 12, 31)
    for bad in ("31.02", "tomorrow-ish", "", "😀"):
        with pytest.raises(LocalizedError):
            browse.parse_date(bad, today)


async def test_cities_include_configured_feeds(make_app: Any) -> None:
    app = await make_app(
        events_ics_feeds=[
            IcsFeed(url="x.ics", city="berlin"),
            IcsFeed(url="y.ics", city="nowhere"),
        ],
        events_city_timezones={"msk": "Europe/Moscow", "berlin": "Europe/Berlin"},
    )
    assert [(c.code, c.builtin) for c in browse.cities(app)] == [("msk", True), ("berlin", False)]


async def test_pages_marks_and_reminders(app: Any) -> None:
    user = await ensure_user(app.db, telegram_id=91)
    start = utcnow() + timedelta(days=2)
    async with app.db.session() as s:
        for n in range(7):
            s.add(
                Event(
                    source="kudago",
                    external_id=str(n),
                    title=f"Концерт {n}",
                    starts_at=start + timedelta(minutes=n),
                    timezone="Europe/Moscow",
                    city="msk",
                    search_text=f"концерт {n}",
                    dedupe_key=f"k{n}",
                    content_hash="h",
                )
            )
    page = await browse.search_page(app, "концерт", lang="ru", page=1)
    assert (page.page, page.pages, page.total, len(page.items)) == (1, 2, 7, 2)
    with pytest.raises(LocalizedError):
        await browse.search_page(app, "🔥", lang="ru")
    event_id = page.items[0].id
    mark = await browse.save(app, user.id, event_id)
    assert mark.saved and {"24h", "1h"} <= set(mark.reminders)
    mark = await browse.set_reminders(app, user.id, event_id, False)
    assert mark.saved and mark.reminders == ()
    mark = await browse.set_reminders(app, user.id, event_id, True)
    assert set(mark.reminders) == {"1h", "24h"}
    assert (await browse.saved_page(app, user.id, lang="ru")).total == 1
    mark = await browse.unsave(app, user.id, event_id)
    assert not mark.saved and mark.reminders == ()
    with pytest.raises(LocalizedError):
        await browse.save(app, user.id, 999_999)
