"""iCalendar faults of issue 12: broken VEVENTs are isolated, moved occurrences keep their identity,
runaway rules are capped or stopped by the parse budget."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.events.conftest import MakeApp
from tests.events.test_ics import cal_text, vevent
from tgassist.core.i18n import render_stored
from tgassist.core.models import User
from tgassist.events.exceptions import ParseBudgetError, SourceError
from tgassist.events.ingest import ingest
from tgassist.events.models import Event, EventReminder
from tgassist.events.reminders import produce_due
from tgassist.events.service import save_event, saved_events
from tgassist.events.sources.budget import run_bounded, warm_up
from tgassist.events.sources.ics import ParseLimits, expand_feed, occurrences, parse_calendar

NOW = datetime(2030, 1, 1, tzinfo=UTC)
WINDOW = (NOW, NOW + timedelta(days=60))
UTC_ZONE = ZoneInfo("UTC")
GOOD = vevent("good", "Good", ":20300110T110000Z")


def expand(data: bytes, limits: ParseLimits | None = None) -> tuple[list, list]:  # type: ignore[type-arg]
    return occurrences(parse_calendar(data, "t"), *WINDOW, UTC_ZONE, limits=limits)


async def ics_app(make_app: MakeApp, tmp_path: Path, *feeds: bytes, **settings: object):  # type: ignore[no-untyped-def]
    paths = []
    for n, data in enumerate(feeds):
        path = tmp_path / f"feed{n}.ics"
        path.write_bytes(data)
        paths.append({"url": str(path), "city": "msk", "name": f"feed{n}"})
    return await make_app(events_ics_feeds=paths, **settings)


async def test_vevent_without_dtstart_loses_only_itself(make_app: MakeApp, tmp_path: Path) -> None:
    data = cal_text("BEGIN:VEVENT\r\nUID:nostart\r\nSUMMARY:No start\r\nEND:VEVENT\r\n", GOOD)
    app = await ics_app(make_app, tmp_path, data)
    report = await ingest(app, "ics", now=NOW)
    st = report.sources["ics"]
    assert (st.status, st.saved, st.invalid) == ("ok", 1, 1)
    assert st.rejected_by_reason == {"no_start": 1}
    assert st.rejected[0]["key"] == "events_ingest.skip.no_start"
    assert st.rejected[0]["params"]["item"] == "feed0: nostart"
    async with app.db.session() as s:
        assert [e.title for e in (await s.execute(select(Event))).scalars()] == ["Good"]


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (("RRULE:FREQ=SOMETIMES",), "bad_rrule"),
        (("RRULE:COUNT=3",), "bad_rrule"),
        (("RRULE:FREQ=DAILY;INTERVAL=0",), "rrule_interval_zero"),
        (("DTEND:2030-99-99",), "bad_date"),
        (("EXDATE:yesterday",), "bad_date"),
    ],
)
def test_bad_rule_or_date_is_counted_and_named(lines: tuple[str, ...], reason: str) -> None:
    data = cal_text(vevent("bad", "Bad", ":20300105T100000Z", *lines), GOOD)
    started = time.perf_counter()
    events, skips = expand(data)
    assert time.perf_counter() - started < 2  # INTERVAL=0 never ends in dateutil
    assert [e.title for e in events] == ["Good"]
    assert [(k.reason, k.item) for k in skips] == [(reason, "bad")]


def test_bad_date_in_dtstart_and_a_broken_override() -> None:
    data = cal_text(
        vevent("bd", "Bad start", ":2030-99-99"),
        vevent("s", "Series", ":20300105T100000Z", "RRULE:FREQ=DAILY;COUNT=3"),
        vevent("s", "Moved", ":20300106T180000Z", "RECURRENCE-ID:20300106T100000Z", "DTEND:xx"),
    )
    events, skips = expand(data)
    # The broken override is dropped alone; its occurrence stays at its original time.
    assert sorted(e.starts_at.day for e in events) == [5, 6, 7]
    assert {(k.reason, k.item) for k in skips} == {
        ("bad_date", "bd"),
        ("bad_date", "s @ 20300106T100000Z"),
    }


def test_secondly_rule_is_capped_per_series_and_per_feed() -> None:
    data = cal_text(
        vevent("sec", "Every second", ":20300110T110000Z", "RRULE:FREQ=SECONDLY"),
        vevent("min", "Every minute", ":20300110T110000Z", "RRULE:FREQ=MINUTELY"),
        GOOD,
    )
    started = time.perf_counter()
    events, skips = expand(data, ParseLimits(per_series=500, per_feed=800))
    assert time.perf_counter() - started < 3
    assert len(events) == 800
    assert sum(e.title == "Every second" for e in events) == 500
    assert [(k.reason, k.item, k.count) for k in skips] == [
        ("series_cap", "sec", 1),
        ("series_cap", "min", 1),
        ("feed_cap", "min", 200),
        ("feed_cap", "good", 1),
    ]


async def test_moved_occurrence_keeps_its_row_save_and_reminders(
    make_app: MakeApp, tmp_path: Path
) -> None:
    series = vevent("weekly", "Weekly talk", ":20300107T100000Z", "RRULE:FREQ=WEEKLY;COUNT=4")
    app = await ics_app(make_app, tmp_path, cal_text(series))
    await ingest(app, "ics", now=NOW)
    async with app.db.session() as s:
        user = User(telegram_id=7001, language="en")
        s.add(user)
        second = (
            await s.execute(
                select(Event).where(Event.starts_at == datetime(2030, 1, 14, 10, tzinfo=UTC))
            )
        ).scalar_one()
    assert await save_event(app, user.id, second.id, now=NOW)

    moved = vevent(
        "weekly", "Weekly talk (moved)", ":20300115T160000Z", "RECURRENCE-ID:20300114T100000Z"
    )
    (tmp_path / "feed0.ics").write_bytes(cal_text(series, moved))
    report = await ingest(app, "ics", now=NOW + timedelta(hours=1))
    st = report.sources["ics"]
    assert (st.saved, st.updated, st.cancelled) == (0, 1, 0)
    async with app.db.session() as s:
        row = await s.get(Event, second.id)
        assert row is not None
        assert (row.status, row.title) == ("active", "Weekly talk (moved)")
        assert row.starts_at == datetime(2030, 1, 15, 16, tzinfo=UTC)
    saved = await saved_events(app, user.id, "en")
    assert [(c.id, c.starts_at) for c in saved] == [(second.id, row.starts_at)]
    # The reminders follow the new start: the 24 h one fires on the 14th at 16:00, not at 10:00.
    assert await produce_due(app, now=datetime(2030, 1, 13, 11, tzinfo=UTC)) == 0
    async with app.db.session() as s:
        due = {
            r.kind: (r.due_at, r.status) for r in (await s.execute(select(EventReminder))).scalars()
        }
    assert due["24h"] == (datetime(2030, 1, 14, 16, tzinfo=UTC), "pending")
    assert await produce_due(app, now=datetime(2030, 1, 14, 16, 5, tzinfo=UTC)) == 1


async def test_runaway_rule_is_stopped_by_the_time_budget_and_other_feeds_go_on(
    make_app: MakeApp, tmp_path: Path
) -> None:
    # dateutil searches until year 9999 for a second that never comes (30 February).
    never = vevent(
        "never", "Never", ":20300110T110000Z", "RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30"
    )
    app = await ics_app(
        make_app, tmp_path, cal_text(never), cal_text(GOOD), events_parse_timeout_sec=1.5
    )
    await warm_up()  # the forkserver's own start (seconds on a loaded machine) is not measured
    started = time.perf_counter()
    report = await ingest(app, "ics", now=NOW)
    assert time.perf_counter() - started < 6
    st = report.sources["ics"]
    assert (st.status, st.saved) == ("partial", 1)
    assert "feed feed0: parsing ran past its budget of 1.5 s" in render_stored(st.errors[0], "en")


def hog_memory(mb: int) -> int:
    """Allocates `mb` MB (runs in the budgeted child)."""
    return len(bytearray(mb * 2**20))


async def test_memory_budget_stops_a_greedy_parse() -> None:
    assert await run_bounded(hog_memory, 8, timeout_sec=20, memory_mb=64, what="small") == 8 * 2**20
    with pytest.raises(ParseBudgetError) as err:
        await run_bounded(hog_memory, 2048, timeout_sec=20, memory_mb=64, what="ics: feed big")
    assert err.value.kind == "memory" and "more than 64 MB" in str(err.value)
    # a key the operator's door renders in their language
    assert err.value.key == "events.source.parse_memory"
    assert "больше 64 МБ" in err.value.render("ru")
    assert "TGASSIST_EVENTS_PARSE_MEMORY_MB" in err.value.render("ru")


def test_a_value_icalendar_rejects_loses_only_its_component() -> None:
    # icalendar refuses the whole file for a bad RDATE period or a negative DURATION.
    data = cal_text(
        vevent(
            "period", "Bad period", ":20300105T100000Z", "RDATE;VALUE=PERIOD:20300106T100000Z/x"
        ),
        vevent("dur", "Bad duration", ":20300105T100000Z", "DURATION:P-1D"),
        GOOD,
        "BEGIN:VEVENT\r\nUID:cut\r\nSUMMARY:Cut off\r\n",
    )
    with pytest.raises(SourceError):
        parse_calendar(data, "t")
    result = expand_feed(data, "t", *WINDOW, UTC_ZONE, None, ParseLimits())
    assert [e.title for e in result.events] == ["Good"] and result.errors == []
    assert [(k.reason, k.item) for k in result.skips] == [
        ("bad_date", "period"),
        ("bad_date", "dur"),
        ("no_start", "cut"),
    ]


def test_not_a_calendar_is_still_a_clear_feed_error() -> None:
    result = expand_feed(b"<html>404</html>", "t", *WINDOW, UTC_ZONE, None, ParseLimits())
    assert result.events == [] and "t is not a valid iCalendar file" in render_stored(
        result.errors[0], "en"
    )


async def test_a_moved_occurrence_stored_under_its_old_key_is_taken_over(
    make_app: MakeApp, tmp_path: Path
) -> None:
    series = vevent("weekly", "Weekly talk", ":20300107T100000Z", "RRULE:FREQ=WEEKLY;COUNT=4")
    moved = vevent("weekly", "Moved talk", ":20300115T160000Z", "RECURRENCE-ID:20300114T100000Z")
    app = await ics_app(make_app, tmp_path, cal_text(series, moved))
    await ingest(app, "ics", now=NOW)
    async with app.db.session() as s:
        row = (await s.execute(select(Event).where(Event.title == "Moved talk"))).scalar_one()
        assert row.external_id == "weekly@20300114T100000Z"
        row.external_id = "weekly@20300115T160000Z"  # how releases before this one stored it
        user = User(telegram_id=7002)
        s.add(user)
    assert await save_event(app, user.id, row.id, now=NOW)
    report = await ingest(app, "ics", now=NOW + timedelta(hours=1))
    assert (report.sources["ics"].saved, report.sources["ics"].cancelled) == (0, 0)
    async with app.db.session() as s:
        again = await s.get(Event, row.id)
        assert again is not None
        assert (again.external_id, again.status) == ("weekly@20300114T100000Z", "active")
    assert [c.id for c in await saved_events(app, user.id)] == [row.id]


def test_the_soft_deadline_stops_between_series_and_says_so() -> None:
    data = cal_text(GOOD, vevent("other", "Other", ":20300111T110000Z"))
    result = expand_feed(data, "big.ics", *WINDOW, UTC_ZONE, None, ParseLimits(seconds=0))
    assert result.events == []
    assert render_stored(result.errors[0], "en").startswith(
        "ics: feed big.ics: stopped after 0 of 2 series"
    )


def spin() -> None:
    """Never returns (runs in the budgeted child)."""
    while True:
        pass


async def test_cancelling_the_ingest_kills_its_parser(tmp_path: Path) -> None:
    import asyncio
    import multiprocessing

    def alive() -> list[object]:
        return [p for p in multiprocessing.active_children() if p.is_alive()]

    task = asyncio.create_task(run_bounded(spin, timeout_sec=60, memory_mb=64, what="spin"))
    for _ in range(300):  # the forkserver may still be starting
        if alive():
            break
        await asyncio.sleep(0.1)
    assert alive()
    task.cancel()  # what SIGTERM does to a running ingest
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not alive()
