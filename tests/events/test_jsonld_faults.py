"""Hostile and broken JSON-LD pages: linear extraction, deep nesting, odd values, counted skips."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.events.conftest import MakeApp
from tgassist.events.ingest import ingest
from tgassist.events.sources.jsonld import iter_events, jsonld_blocks, page_events

NOW = datetime(2030, 1, 1, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
SCRIPT = '<script type="application/ld+json">'


def ld(*nodes: object) -> str:
    return "".join(f"{SCRIPT}{json.dumps(n)}</script>" for n in nodes)


def event(name: object, start: object, **more: object) -> dict[str, object]:
    return {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": name,
        "startDate": start,
        **more,
    }


def test_unclosed_script_tags_are_read_in_linear_time(fixtures_dir: Path) -> None:
    real = (fixtures_dir / "event-listing" / "songkick_tovestyrke_event.html").read_text()
    hostile = (SCRIPT + "{") * (137 * 1024 // (len(SCRIPT) + 1))  # 137 KiB, none closed
    started = time.perf_counter()
    assert jsonld_blocks(hostile) == []
    assert len(jsonld_blocks(real + hostile)) == len(jsonld_blocks(real)) == 1
    assert time.perf_counter() - started < 0.5  # the lazy regex took 8.9 s on 137 KiB


def test_an_unclosed_script_ends_the_scan_but_keeps_the_blocks_before() -> None:
    page = ld(event("A", "2030-01-02T10:00:00Z")) + SCRIPT + '{"@type": "Event"'
    assert [n["name"] for n in iter_events(jsonld_blocks(page))] == ["A"]


def test_deep_nesting_neither_recurses_nor_raises() -> None:
    deep = '{"@graph": [' * 200 + json.dumps(event("Deep", "2030-01-02")) + "]}" * 200
    too_deep_for_json = "[" * 100_000 + "]" * 100_000
    page = f"{SCRIPT}{too_deep_for_json}</script>{SCRIPT}{deep}</script>" + ld(
        event("Flat", "2030-01-03")
    )
    assert [n["name"] for n in iter_events(jsonld_blocks(page))] == ["Flat"]  # too deep: left out


def test_odd_values_are_skipped_and_named_one_by_one() -> None:
    page = ld(
        event("Good", "2030-01-02T10:00:00+01:00", location={"name": ["Hall", "Zal"]}),
        event("No start", None),
        event(None, "2030-01-02"),
        event("Huge timestamp", 10**20),
        event("Year one", "0001-01-01T00:00:00+05:00"),
        event("Nan geo", "2030-01-05", location={"geo": {"latitude": "NaN", "longitude": 1e400}}),
        event("Last year", "2029-01-05", url="https://example.com/old"),
    )
    result = page_events(
        page.encode(), "jsonld", "bali", UTC_ZONE, NOW, NOW + timedelta(days=30), 100
    )
    assert [(e.title, e.location_name) for e in result.events] == [
        ("Good", "Hall"),
        ("Nan geo", None),
    ]
    assert result.events[1].lat is None and result.events[1].lng is None
    assert [(k.reason, k.item) for k in result.skips] == [
        ("no_start", "No start"),
        ("no_title", "?"),
        ("no_start", "Huge timestamp"),
        ("no_start", "Year one"),
        ("outside_window", "https://example.com/old"),
    ]


async def test_page_cap_and_ingest_stats(make_app: MakeApp, tmp_path: Path) -> None:
    page = tmp_path / "many.html"
    page.write_text(ld(*(event(f"Talk {n}", f"2030-01-{n + 2:02d}") for n in range(5))))
    app = await make_app(events_jsonld_pages=[{"url": str(page)}], events_max_per_feed=3)
    report = await ingest(app, "jsonld", now=NOW)
    st = report.sources["jsonld"]
    assert (st.status, st.saved, st.capped) == ("ok", 3, 2)
    assert st.rejected_by_reason == {"feed_cap": 2}
