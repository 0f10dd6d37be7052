"""iCalendar feeds: the five real fixture feeds and every listed fault."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.events.conftest import MakeApp
from tgassist.core.i18n import render_stored
from tgassist.events.ingest import ingest
from tgassist.events.models import Event
from tgassist.events.sources.ics import ParseLimits, occurrences, parse_calendar

WIDE = (datetime(1990, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))
UNCAPPED = ParseLimits(per_series=10**6, per_feed=10**6)
UTC_ZONE = ZoneInfo("UTC")


def feed(fixtures_dir: Path, name: str) -> list:
    cal = parse_calendar((fixtures_dir / "ics" / name).read_bytes(), name)
    events, _ = occurrences(cal, *WIDE, UTC_ZONE, limits=UNCAPPED)
    return sorted(events, key=lambda e: (e.starts_at, e.external_id))


def cal_text(*events: str, extra: str = "") -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + extra
        + "".join(events)
        + "END:VCALENDAR\r\n"
    ).encode()


def vevent(uid: str, summary: str, start: str, *lines: str) -> str:
    return (
        "BEGIN:VEVENT\r\n"
        + f"UID:{uid}\r\nSUMMARY:{summary}\r\nDTSTART{start}\r\n"
        + "".join(f"{line}\r\n" for line in lines)
        + "END:VEVENT\r\n"
    )


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("google_machbar_public.ics", 4016),
        ("google_moved_overrides_allday.ics", 6),
        ("thunderbird_rrule_exdate_overrides.ics", 7),
        ("exchange2010_windows_tz_allday_overrides.ics", 24),
        ("exchange_cdo_quoted_tzid_rrule.ics", 14),
    ],
)
def test_every_fixture_feed_parses(fixtures_dir: Path, name: str, count: int) -> None:
    events = feed(fixtures_dir, name)
    assert len(events) == count
    assert len({e.external_id for e in events}) == count  # UID + occurrence start is unique
    assert all(e.starts_at.tzinfo is not None for e in events)


def test_x_wr_timezone_calendar_keeps_local_times_and_umlauts(fixtures_dir: Path) -> None:
    events = feed(fixtures_dir, "google_machbar_public.ics")
    bio = next(e for e in events if "Bioökonomie-Tag" in e.title)
    assert bio.starts_at == datetime(2019, 2, 28, 19, 0, tzinfo=UTC)  # 20:00 Europe/Berlin
    assert bio.timezone == "Europe/Berlin"
    assert bio.external_id == "4pudsugalsbuqetcfdns8demti@google.com@20190228T190000Z"


def test_recurrence_id_override_moves_one_instance(fixtures_dir: Path) -> None:
    events = feed(fixtures_dir, "google_moved_overrides_allday.ics")
    timed = [e.starts_at for e in events if not e.all_day]
    # The 15 Aug 14:00 Sydney instance was moved to the 14th.
    assert datetime(2023, 8, 14, 4, 0, tzinfo=UTC) in timed
    assert datetime(2023, 8, 15, 4, 0, tzinfo=UTC) not in timed


def test_windows_zone_all_day_with_exclusive_dtend(fixtures_dir: Path) -> None:
    events = feed(fixtures_dir, "exchange2010_windows_tz_allday_overrides.ics")
    first = events[0]
    assert first.all_day and first.title.startswith("Refuse black bin")
    assert first.starts_at == datetime(2020, 4, 2, tzinfo=UTC)
    assert first.ends_at == datetime(2020, 4, 3, tzinfo=UTC)  # DTEND is exclusive: one day
    starts = {e.starts_at.date().isoformat() for e in events}
    assert "2020-04-17" in starts and "2020-04-16" not in starts  # RECURRENCE-ID override moved it


def test_exchange_cdo_rrule_with_spaces_is_repaired(fixtures_dir: Path) -> None:
    events = feed(fixtures_dir, "exchange_cdo_quoted_tzid_rrule.ics")
    assert events[0].starts_at == datetime(2015, 7, 3, 8, 0, tzinfo=UTC)  # 10:00 at +02:00
    assert events[-1].starts_at.date().isoformat() == "2015-07-22"
    assert all(e.starts_at.weekday() < 5 for e in events)


def test_broken_rrule_skips_that_series_only() -> None:
    data = cal_text(
        vevent("bad", "Broken", ":20300101T100000Z", "RRULE:FREQ=SOMETIMES;COUNT=x"),
        vevent("good", "Good", ":20300102T100000Z", "RRULE:FREQ=DAILY;COUNT=3"),
    )
    events, _ = occurrences(parse_calendar(data, "t"), *WIDE, UTC_ZONE)
    assert [e.title for e in events] == ["Good"] * 3


def test_missing_vtimezone_windows_name_floating_and_unknown_zone() -> None:
    data = cal_text(
        vevent("a", "IANA without VTIMEZONE", ";TZID=Europe/Berlin:20300701T100000"),
        vevent("b", "Windows zone", ";TZID=W. Europe Standard Time:20300101T100000"),
        vevent("c", "Floating", ":20300101T100000", "DURATION:PT2H"),
        vevent("d", "Unknown zone", ";TZID=Somewhere Odd:20300101T100000"),
    )
    bali = ZoneInfo("Asia/Makassar")
    events = {e.title: e for e in occurrences(parse_calendar(data, "t"), *WIDE, bali)[0]}
    assert events["IANA without VTIMEZONE"].starts_at == datetime(2030, 7, 1, 8, 0, tzinfo=UTC)
    assert events["Windows zone"].starts_at == datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    assert events["Floating"].starts_at == datetime(2030, 1, 1, 2, 0, tzinfo=UTC)  # feed zone UTC+8
    assert events["Floating"].ends_at == datetime(2030, 1, 1, 4, 0, tzinfo=UTC)
    assert events["Unknown zone"].starts_at == datetime(2030, 1, 1, 2, 0, tzinfo=UTC)


async def test_ingest_ics_feeds_fills_db_and_reports_a_broken_feed(
    make_app: MakeApp, fixtures_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.ics"
    broken.write_text("this is not a calendar")
    feeds = [
        {"url": str(fixtures_dir / "ics" / "google_moved_overrides_allday.ics"), "city": "msk"},
        {"url": str(broken)},
        {"url": str(tmp_path / "missing.ics")},
    ]
    app = await make_app(events_ics_feeds=feeds, events_window_days=60)
    now = datetime(2023, 8, 1, tzinfo=UTC)
    report = await ingest(app, "ics", now=now)
    st = report.sources["ics"]
    assert st.saved == 6 and st.fetched == 6
    assert st.status == "partial" and len(st.errors) == 2
    assert any("broken.ics is not a valid iCalendar" in render_stored(e, "en") for e in st.errors)
    assert any("cannot read" in render_stored(e, "en") for e in st.errors)
    async with app.db.session() as s:
        rows = (await s.execute(select(Event).order_by(Event.starts_at))).scalars().all()
    assert len(rows) == 6 and all(r.city == "msk" and r.source == "ics" for r in rows)
    assert sum(r.all_day for r in rows) == 3
    assert all("@" in r.external_id for r in rows)
    # No translator: only titles already in English ("All Day") have an English title.
    assert {(r.title, r.title_en, r.translation_provider) for r in rows if r.title_en} == {
        ("All Day", "All Day", "original")
    }

    again = await ingest(app, "ics", now=now)
    assert (again.sources["ics"].saved, again.sources["ics"].skipped) == (0, 6)
    async with app.db.session() as s:
        assert (await s.execute(select(func.count()).select_from(Event))).scalar_one() == 6

    later = await ingest(app, "ics", now=now + timedelta(days=16))  # the first weeks are over
    assert later.archived > 0
