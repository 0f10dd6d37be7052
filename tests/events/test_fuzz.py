"""Seeded, bounded fuzzing of every events parser: never a traceback; what is left out is counted
and named with a known reason.

Inputs are mutants of the real fixtures (/work/shared/fixtures: ics, kudago, event-listing) plus
generated hostile values (huge numbers, NaN, nesting, wrong types, broken rules). `derandomize`
makes every run draw the same examples. Rules that never match (FREQ=SECONDLY;BYMONTHDAY=30 in
February) would make dateutil search until year 9999 in-process; they are left to the budget test
(test_ics_faults), which runs the parser in its time-capped child process.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES as SHARED_FIXTURES
from tgassist.core.i18n import render_stored
from tgassist.events.sources.baliforum import BALI_TZ, BaliForumSource, _why_invalid
from tgassist.events.sources.base import REASONS, FetchResult, RawEvent
from tgassist.events.sources.ics import ParseLimits, expand_feed
from tgassist.events.sources.jsonld import iter_events, jsonld_blocks, page_events
from tgassist.events.sources.kudago import KudaGoSource, _why_not
from tgassist.settings import Settings

FIXTURES = SHARED_FIXTURES  # TGASSIST_FIXTURES_DIR or the repository's sibling shared/fixtures
FUZZ = settings(
    derandomize=True,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SETTINGS = Settings()
SINCE = datetime(2014, 1, 1, tzinfo=UTC)  # the fixtures' events are in 2015-2023
UNTIL = SINCE + timedelta(days=3650)

# Values a broken or hostile feed puts where a scalar belongs.
odd_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "0", "-1", "9999-12-31", "0001-01-01T00:00:00+14:00", "&amp;lt;", "NaN"]),
)
odd_values = st.recursive(
    odd_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def check(result: FetchResult) -> None:
    """What every parser promises."""
    for ev in result.events:
        assert isinstance(ev, RawEvent) and ev.title and ev.external_id
        assert ev.starts_at.tzinfo is not None
        assert ev.ends_at is None or ev.ends_at >= ev.starts_at or ev.all_day
        assert ev.lat is None or math.isfinite(ev.lat)
    for skip in result.skips:
        assert skip.reason in REASONS and skip.item and skip.count >= 1


# iCalendar: lines of the real feeds, mutated (the 32 KB Google feed cut to its first 150 lines:
# a whole expansion of it takes a second, too slow for 40 examples).
ICS_FEEDS = [
    "\r\n".join(p.read_text(encoding="utf-8").splitlines()[:150])
    if p.name.startswith("google_machbar")
    else p.read_text(encoding="utf-8")
    for p in sorted((FIXTURES / "ics").glob("*.ics"))
]
HOSTILE_ICS_LINES = [
    "RRULE:FREQ=SECONDLY",
    "RRULE:FREQ=MINUTELY;COUNT=100000",
    "RRULE:FREQ=DAILY;INTERVAL=0",
    "RRULE:FREQ=DAILY;INTERVAL=-3",
    "RRULE:FREQ=WEEKLY;BYDAY=XX,MO",
    "RRULE:FREQ=DAILY;UNTIL=tomorrow",
    "RRULE:FREQ=YEARLY;COUNT=-1",
    "RRULE:FREQ=",
    "RRULE:FREQ=MONTHLY;BYSETPOS=400;BYDAY=MO",
    "DTSTART:99999999T999999Z",
    "DTSTART;VALUE=DATE:00010101",
    "DTSTART;TZID=Nowhere/Odd:20200101T100000",
    "DTEND:20000101T000000Z",
    "DURATION:P-1D",
    "EXDATE:garbage",
    "RDATE;VALUE=PERIOD:20200101T000000Z/nothing",
    "RECURRENCE-ID:20200102T100000Z",
    "GEO:nan;inf",
    "BEGIN:VEVENT",
    "END:VEVENT",
    "END:VCALENDAR",
    "SUMMARY:" + "Ж" * 500,
    "UID:",
]


@st.composite
def ics_mutants(draw: st.DrawFn) -> bytes:
    lines = draw(st.sampled_from(ICS_FEEDS)).splitlines()
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, len(lines)))
        action = draw(
            st.sampled_from(["insert"] * 3 + ["delete", "replace_value"] * 2 + ["truncate"])
        )
        if action == "insert":
            lines.insert(where, draw(st.sampled_from(HOSTILE_ICS_LINES)))
        elif action == "delete" and lines:
            del lines[min(where, len(lines) - 1)]
        elif action == "replace_value" and lines:
            n = min(where, len(lines) - 1)
            head = lines[n].split(":", 1)[0]
            lines[n] = f"{head}:{draw(st.text(max_size=20))}"
        elif action == "truncate":
            lines = lines[: max(where, 1)]
    return "\r\n".join(lines).encode("utf-8", "replace")


@FUZZ
@given(data=ics_mutants())
def test_fuzz_icalendar(data: bytes) -> None:
    limits = ParseLimits(per_series=200, per_feed=2000, seconds=5)
    result = expand_feed(data, "fuzz.ics", SINCE, UNTIL, ZoneInfo("Europe/Berlin"), "msk", limits)
    check(result)
    event(
        f"events={min(len(result.events), 1)} skips={min(len(result.skips), 1)} "
        f"errors={min(len(result.errors), 1)}"
    )
    assert len(result.events) <= 2000
    for note in result.errors:  # a whole-feed fault is a clear sentence, not a traceback
        error = render_stored(note, "en")
        assert error.startswith("ics: ") and "Traceback" not in error


# JSON-LD: schema.org events with odd values, in HTML with odd script tags.
EVENT_KEYS = ["name", "startDate", "endDate", "location", "offers", "image", "url", "eventStatus"]


@st.composite
def jsonld_pages(draw: st.DrawFn) -> tuple[str, int]:
    nodes = []
    for _ in range(draw(st.integers(0, 5))):
        node: dict[str, Any] = {"@type": draw(st.sampled_from(["Event", "MusicEvent", "Place"]))}
        node["name"] = draw(st.one_of(st.text(max_size=20), odd_values))
        node["startDate"] = draw(
            st.one_of(st.sampled_from(["2020-05-01", "2020-05-01T20:00:00+0100"]), odd_values)
        )
        for key in draw(st.lists(st.sampled_from(EVENT_KEYS[2:]), max_size=4)):
            node[key] = draw(odd_values)
        nodes.append(node)
    wrapper = draw(st.sampled_from(["list", "graph", "plain"]))
    body: Any = {"@graph": nodes} if wrapper == "graph" else nodes
    text = json.dumps(body, allow_nan=True)
    junk = draw(
        st.sampled_from(["", "<script>", '<script type="application/ld+json">{', "<!--", ">"])
    )
    page = f'<html>{junk}<script type="application/ld+json">{text}</script>{junk}</html>'
    return page, sum(1 for _ in iter_events(body)) if wrapper != "plain" or nodes else 0


@FUZZ
@given(page=jsonld_pages())
def test_fuzz_jsonld(page: tuple[str, int]) -> None:
    html, _ = page
    result = page_events(html.encode(), "jsonld", "bali", ZoneInfo("UTC"), SINCE, UNTIL, 1000)
    check(result)
    # Every event node on the page is either an event or a named skip.
    found = sum(1 for _ in iter_events(jsonld_blocks(html)))
    assert len(result.events) + sum(s.count for s in result.skips) == found


@FUZZ
@given(
    html=st.sampled_from(sorted((FIXTURES / "event-listing").glob("*.html"))).flatmap(
        lambda p: st.tuples(st.just(p.read_text()), st.integers(0, 200_000), st.text(max_size=40))
    )
)
def test_fuzz_jsonld_real_pages_cut_and_spliced(html: tuple[str, int, str]) -> None:
    text, cut, splice = html
    page = text[:cut] + splice + text[cut:]
    result = page_events(page.encode(), "jsonld", None, ZoneInfo("UTC"), SINCE, UNTIL, 1000)
    check(result)


# KudaGo and BaliForum: items of the recorded page (or the documented shape) with odd values.
KUDAGO_ITEMS = json.loads((FIXTURES / "kudago" / "eventer_events_msk_2018_page.json").read_text())[
    "results"
]
BALI_ITEM = {
    "slug": "yoga",
    "title": "Йога",
    "eventDates": [{"startAt": "2020-01-10 19:00:00", "endAt": "2020-01-10 21:00:00"}],
    "place": {"title": "Yoga Barn", "lat": -8.5, "lng": 115.2},
    "types": [{"title": "sport"}],
    "images": [{"url": "https://example.com/a.jpg"}],
    "price": "100",
    "isFree": False,
}


def mutant(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    keys = [*base, "dates", "id", "title", "place", "start", "end", "coords"]
    return st.dictionaries(st.sampled_from(keys), odd_values, max_size=4).map(
        lambda changes: {**json.loads(json.dumps(base)), **changes}
    )


def bare(cls: type, **attrs: Any) -> Any:
    """A source without its HTTP/Redis parts: `parse` reads only these attributes."""
    obj = cls.__new__(cls)
    obj.__dict__.update(attrs)
    return obj


@FUZZ
@given(item=st.sampled_from(KUDAGO_ITEMS).flatmap(mutant))
def test_fuzz_kudago(item: dict[str, Any]) -> None:
    source = bare(KudaGoSource, settings=SETTINGS)
    result = FetchResult(events=source.parse(item, "msk", SINCE, UNTIL))
    if not result.events:
        result.skip(_why_not(item), item.get("id") or "?")
    check(result)


@FUZZ
@given(item=mutant(BALI_ITEM))
def test_fuzz_baliforum(item: dict[str, Any]) -> None:
    source = bare(
        BaliForumSource, tz=ZoneInfo(BALI_TZ), site="https://baliforum.ru", settings=SETTINGS
    )
    events = source.parse(item, SINCE, UNTIL)
    result = FetchResult(events=events or [])
    if events is None:
        result.skip(*_why_invalid(item))
    elif not events:
        result.skip("outside_window", "item")
    check(result)
