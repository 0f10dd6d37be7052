"""A small Bali world for service tests: BaliForum (local fake) + an iCalendar feed, overlapping once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.events.httpfake import FakeHttp

NOW = datetime(2030, 1, 10, tzinfo=UTC)  # Thursday, 08:00 in Bali
UBUD = (-8.5126, 115.2638)
CANGGU = (-8.6478, 115.1385)
SEMINYAK = (-8.6913, 115.1683)


def bf_item(
    slug: str, title: str, start: str, where: tuple[str, tuple[float, float]] | None
) -> dict[str, Any]:
    place = {"title": where[0], "lat": where[1][0], "lng": where[1][1]} if where else None
    return {"slug": slug, "title": title, "eventDates": [{"startAt": start}], "place": place}


BALIFORUM_ITEMS = [
    bf_item("yoga", "Йога на рассвете", "2030-01-10 19:00:00", ("Yoga Barn", UBUD)),
    bf_item("market", "Маркет выходного дня", "2030-01-11 10:00:00", ("Love Anchor", CANGGU)),
    bf_item("party", "Вечеринка на пляже", "2030-01-12 20:00:00", ("Potato Head", SEMINYAK)),
]

ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//bali//EN\r
BEGIN:VEVENT\r
UID:yoga-copy\r
SUMMARY:ЙОГА на рассвете!\r
DTSTART:20300110T110000Z\r
GEO:-8.5127;115.2639\r
LOCATION:Yoga Barn Ubud\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:lecture\r
SUMMARY:Лекция о вулканах 100%\r
DTSTART:20300113T020000Z\r
END:VEVENT\r
END:VCALENDAR\r
"""


def baliforum_server(items: list[dict[str, Any]]) -> FakeHttp:
    def handle(path: str, q: dict[str, str]) -> tuple[int, Any]:
        if path == "/api/v1/events":
            return 200, {"data": items if q["page"] == "1" else []}
        return 200, {"data": {"content": {"blocks": []}}}

    return FakeHttp(handle)


def world_settings(server: FakeHttp, tmp_path: Path) -> dict[str, Any]:
    feed = tmp_path / "bali.ics"
    feed.write_text(ICS, encoding="utf-8")
    return {
        "events_baliforum_base_url": server.url + "/api/v1",
        "events_ics_feeds": [{"url": str(feed), "city": "bali", "timezone": "Asia/Makassar"}],
    }
