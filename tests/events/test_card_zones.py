"""Event times in the city's zone with a label, and the event's own time when its zone differs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.events.conftest import MakeApp
from tests.events.test_ics import cal_text, vevent
from tgassist.events.card import zone_label
from tgassist.events.ingest import ingest
from tgassist.events.service import event_card, events_by_city

NOW = datetime(2030, 1, 1, tzinfo=UTC)
FEED = cal_text(
    # 18:00 in Los Angeles on the 10th is 05:00 in Moscow on the 11th.
    vevent("la", "Stream from LA", ";TZID=America/Los_Angeles:20300110T180000"),
    vevent("msk", "Local talk", ";TZID=Europe/Moscow:20300111T190000"),
    vevent("day", "All-day fair", ";VALUE=DATE:20300111"),
)


async def test_cards_show_the_city_zone_and_the_original_when_it_differs(
    make_app: MakeApp, tmp_path: Path
) -> None:
    path = tmp_path / "feed.ics"
    path.write_bytes(FEED)
    app = await make_app(
        events_ics_feeds=[{"url": str(path), "city": "msk", "timezone": "Europe/Moscow"}]
    )
    await ingest(app, "ics", now=NOW)
    cards = {c.title: c for c in await events_by_city(app, "msk", "2030-01-11", now=NOW)}
    assert set(cards) == {"Stream from LA", "Local talk", "All-day fair"}

    la = cards["Stream from LA"]
    assert (la.local_start.hour, la.local_start.day) == (5, 11)
    assert la.when() == "2030-01-11 05:00 MSK (2030-01-10 18:00 PST, America/Los_Angeles)"
    assert "Когда: 2030-01-11 05:00 MSK (2030-01-10 18:00 PST" in la.text()

    local = cards["Local talk"]
    assert local.when() == "2030-01-11 19:00 MSK" and local.original_start is None
    assert cards["All-day fair"].when() == "2030-01-11"  # a calendar date stays as it is

    english = await event_card(app, la.id, "en")
    assert english.text().splitlines()[1].startswith("When: 2030-01-11 05:00 MSK")


def test_a_zone_without_an_abbreviation_gets_an_offset_label() -> None:
    moment = datetime(2030, 1, 11, 2, tzinfo=UTC)
    assert zone_label(moment.astimezone(ZoneInfo("Asia/Dubai"))) == "UTC+4"  # tzdata: "+04"
    assert zone_label(moment.astimezone(ZoneInfo("Asia/Kolkata"))) == "IST"
    assert zone_label(moment.astimezone(ZoneInfo("Asia/Kathmandu"))) == "UTC+5:45"


async def test_bali_shows_wita_and_the_feed_zone(make_app: MakeApp, tmp_path: Path) -> None:
    path = tmp_path / "bali.ics"
    path.write_bytes(cal_text(vevent("b", "Ubud talk", ":20300111T020000Z")))
    app = await make_app(events_ics_feeds=[{"url": str(path), "city": "bali"}])
    await ingest(app, "ics", now=NOW)
    (card,) = await events_by_city(app, "bali", "2030-01-11", now=NOW)
    # The feed's event is in UTC; Bali (Asia/Makassar) shows it at 10:00 WITA (UTC+8).
    assert card.when() == "2030-01-11 10:00 WITA (02:00 UTC, UTC)"
