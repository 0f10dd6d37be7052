"""Generic schema.org/Event JSON-LD pages, compared with extruct's expected extraction."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.events.conftest import MakeApp
from tgassist.events.ingest import ingest
from tgassist.events.models import Event
from tgassist.events.sources.base import parse_datetime
from tgassist.events.sources.jsonld import iter_events, jsonld_blocks, to_raw

DIR = "event-listing"


def expected_events(path: Path) -> list[dict]:
    data = json.loads(path.read_text())
    return list(iter_events(data.get("json-ld") or data.get("items")))


def test_single_event_page_matches_expected(fixtures_dir: Path) -> None:
    html = (fixtures_dir / DIR / "songkick_tovestyrke_event.html").read_text()
    got = list(iter_events(jsonld_blocks(html)))
    assert got == expected_events(fixtures_dir / DIR / "songkick_tovestyrke_event.expected.json")
    ev = to_raw(got[0], "jsonld", "london", ZoneInfo("UTC"))
    assert ev is not None
    assert (ev.title, ev.location_name) == ("Tove Styrke", "Hoxton Square Bar & Kitchen")
    assert ev.starts_at == datetime(2017, 6, 12, 19, 0, tzinfo=UTC)  # 20:00 +0100
    assert (ev.lat, ev.lng) == (51.527476, -0.081657)
    assert ev.address == "2-4 Hoxton Square, London, UK"


def test_tour_listing_matches_expected(fixtures_dir: Path) -> None:
    html = (fixtures_dir / DIR / "songkick_years_and_years_tour_dates.html").read_text()
    got = list(iter_events(jsonld_blocks(html)))
    expected = expected_events(
        fixtures_dir / DIR / "songkick_years_and_years_tour_dates.expected.jsonld"
    )
    assert got == expected and len(got) == 13  # the 14th block is a MusicGroup, not an event
    utc = ZoneInfo("UTC")
    for g, e in zip(got, expected, strict=True):
        raw = to_raw(g, "jsonld", None, utc)
        assert raw is not None
        assert (raw.title, raw.url, raw.location_name) == (
            e["name"],
            e["url"],
            e["location"]["name"],
        )
        assert raw.starts_at == parse_datetime(e["startDate"], utc)


async def test_ingest_jsonld_page(make_app: MakeApp, fixtures_dir: Path) -> None:
    page = str(fixtures_dir / DIR / "songkick_years_and_years_tour_dates.html")
    app = await make_app(
        events_jsonld_pages=[{"url": page, "city": "london"}], events_window_days=200
    )
    report = await ingest(app, "jsonld", now=datetime(2015, 10, 1, tzinfo=UTC))
    assert report.sources["jsonld"].saved == 13
    async with app.db.session() as s:
        rows = (await s.execute(select(Event).order_by(Event.starts_at))).scalars().all()
    assert rows[0].title == "Years & Years" and rows[0].city == "london"
    assert rows[0].starts_at == datetime(
        2015, 10, 21, 18, 0, tzinfo=UTC
    )  # the earliest date on the page
    assert all(r.lat is not None for r in rows)
