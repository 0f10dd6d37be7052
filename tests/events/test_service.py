"""Read side: by city and day, nearby, search, cards in RU/EN, cross-source dedupe, cancel, archive."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.events.conftest import MakeApp, llm_settings
from tests.events.world import BALIFORUM_ITEMS, NOW, UBUD, baliforum_server, world_settings
from tests.fakes.openai_server import FakeOpenAI, translation_responder
from tgassist.events.dedupe import haversine_km
from tgassist.events.exceptions import EventsError
from tgassist.events.ingest import ingest
from tgassist.events.models import Event, EventArchive
from tgassist.events.service import event_card, events_by_city, nearby, search


async def test_by_city_and_day_with_cross_source_dedupe(make_app: MakeApp, tmp_path: Path) -> None:
    with baliforum_server(BALIFORUM_ITEMS) as server:
        app = await make_app(**world_settings(server, tmp_path))
        report = await ingest(app, ["baliforum", "ics"], now=NOW)
    assert report.totals["saved"] == 5
    today = await events_by_city(app, "bali", "today", now=NOW)
    assert [c.title for c in today] == ["Йога на рассвете"]  # the iCal copy is merged in
    assert [s["source"] for s in today[0].sources] == ["baliforum", "ics"]
    assert [c.title for c in await events_by_city(app, "bali", "tomorrow", now=NOW)] == [
        "Маркет выходного дня"
    ]
    weekend = await events_by_city(app, "bali", "weekend", now=NOW)
    assert [c.title for c in weekend] == ["Вечеринка на пляже", "Лекция о вулканах 100%"]
    assert await events_by_city(app, "bali", "2030-01-11", now=NOW) != []
    card = await event_card(app, today[0].id)
    assert {s["source"] for s in card.sources} == {"baliforum", "ics"}
    assert "Yoga Barn" in card.text() and "19:00" in card.text()  # shown in Bali time
    with pytest.raises(EventsError, match="unknown city 'paris'"):
        await events_by_city(app, "paris", "today", now=NOW)
    with pytest.raises(EventsError, match="unknown date"):
        await events_by_city(app, "bali", "someday", now=NOW)


async def test_card_in_english_falls_back_to_original(make_app: MakeApp, tmp_path: Path) -> None:
    with baliforum_server(BALIFORUM_ITEMS) as server:
        app = await make_app(**world_settings(server, tmp_path))
        await ingest(app, ["baliforum"], now=NOW)
        with FakeOpenAI(responder=translation_responder()) as fake:
            translated = await make_app(**world_settings(server, tmp_path), **llm_settings(fake))
            await ingest(translated, ["ics"], now=NOW)  # only the iCal events get EN titles
    cards = {c.sources[0]["source"]: c for c in await search(app, "вулкан", lang="en", now=NOW)}
    assert cards["ics"].title == "Lektsiya o vulkanakh 100%"
    party = (await search(app, "пляже", lang="en", now=NOW))[0]
    assert party.title == "Вечеринка на пляже" and party.lang == "en"  # no EN yet: the original
    assert "When:" in party.text() and "Где" not in party.text()


async def test_nearby_radius_and_order(make_app: MakeApp, tmp_path: Path) -> None:
    with baliforum_server(BALIFORUM_ITEMS) as server:
        app = await make_app(**world_settings(server, tmp_path))
        await ingest(app, ["baliforum", "ics"], now=NOW)
    close = await nearby(app, *UBUD, radius_km=1, now=NOW)
    assert [c.title for c in close] == ["Йога на рассвете"] and len(close[0].sources) == 2
    wide = await nearby(app, -8.60, 115.20, radius_km=20, now=NOW)
    assert [c.title for c in wide] == sorted(
        [c.title for c in wide], key=lambda t: next(c.distance_km for c in wide if c.title == t)
    )
    assert all(c.distance_km is not None and c.distance_km <= 20 for c in wide)
    assert {c.title for c in wide} >= {
        "Йога на рассвете",
        "Маркет выходного дня",
        "Вечеринка на пляже",
    }
    assert abs(close[0].distance_km - haversine_km(*UBUD, -8.5126, 115.2638)) < 0.2
    for bad in (0.5, 25):
        with pytest.raises(EventsError, match="radius must be between 1 and 20 km"):
            await nearby(app, *UBUD, radius_km=bad, now=NOW)


async def test_search_cyrillic_case_and_wildcards(make_app: MakeApp, tmp_path: Path) -> None:
    with baliforum_server(BALIFORUM_ITEMS) as server:
        app = await make_app(**world_settings(server, tmp_path))
        await ingest(app, ["baliforum", "ics"], now=NOW)
    assert [c.title for c in await search(app, "ЙОГА", now=NOW)] == ["Йога на рассвете"]
    assert [c.title for c in await search(app, "100%", now=NOW)] == ["Лекция о вулканах 100%"]
    assert await search(app, "0_", now=NOW) == []  # `_` is a literal, not a LIKE wildcard
    assert [c.title for c in await search(app, "potato", now=NOW)] == ["Вечеринка на пляже"]
    with pytest.raises(EventsError, match="too short"):
        await search(app, "й", now=NOW)


async def test_vanished_events_are_cancelled_and_past_ones_archived(
    make_app: MakeApp, tmp_path: Path
) -> None:
    items = list(BALIFORUM_ITEMS)
    with baliforum_server(items) as server:  # the server answers with whatever `items` holds now
        app = await make_app(**world_settings(server, tmp_path))
        await ingest(app, ["baliforum"], now=NOW)
        items.pop(1)
        report = await ingest(app, ["baliforum"], now=NOW + timedelta(hours=1))
        assert (
            report.sources["baliforum"].cancelled == 1 and report.sources["baliforum"].skipped == 2
        )
        assert await events_by_city(app, "bali", "tomorrow", now=NOW) == []
        items.insert(1, BALIFORUM_ITEMS[1])
        back = await ingest(app, ["baliforum"], now=NOW + timedelta(hours=2))
        assert (back.sources["baliforum"].updated, back.sources["baliforum"].skipped) == (
            1,
            2,
        )  # active again
        assert len(await events_by_city(app, "bali", "tomorrow", now=NOW)) == 1
        items.clear()  # an empty answer never cancels everything
        later = await ingest(app, ["baliforum"], now=NOW + timedelta(days=2))
    assert later.sources["baliforum"].cancelled == 0 and later.archived == 2
    async with app.db.session() as s:
        archived = (
            (await s.execute(select(EventArchive).order_by(EventArchive.starts_at))).scalars().all()
        )
        live = (await s.execute(select(Event))).scalars().all()
    assert [a.title for a in archived] == ["Йога на рассвете", "Маркет выходного дня"]
    assert {a.status for a in archived} == {"archived"} and [e.title for e in live] == [
        "Вечеринка на пляже"
    ]
    card = await event_card(app, archived[0].id)  # an archived event keeps its id and its card
    assert card.title == "Йога на рассвете" and card.status == "archived"
