"""KudaGo paging as the real API behaves: the documented end-of-list 404, a `next` that repeats a
page, events outside the window, and when vanished events may be cancelled."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.events.conftest import MakeApp
from tests.events.httpfake import FakeHttp
from tests.events.test_kudago import NOW, PAGE2, PATH, ts
from tgassist.core.i18n import render_stored
from tgassist.events.ingest import ingest
from tgassist.events.models import Event

END_OF_LIST = (404, {"detail": "Неправильная страница"})  # what kudago.com answers past the end
OUTSIDE = {"id": 900004, "title": "Прошлогодняя выставка", "dates": [{"start": ts(2017, 5, 1)}]}


Override = Callable[[dict[str, Any]], Any]


def pages(
    fixtures_dir: Path, overrides: dict[str, Override] | None = None, **more: Override
) -> FakeHttp:
    """Page 1 = the recorded response, page 2 = PAGE2 with a `next` to page 3, page 3 = the 404.

    `overrides["p2"]` etc. replace a page's reply: a function of the default page → (status, body);
    the dict may be changed while the server runs.
    """
    overrides = overrides if overrides is not None else {}
    overrides.update(more)
    first = json.loads((fixtures_dir / "kudago" / "eventer_events_msk_2018_page.json").read_text())
    second = {**copy.deepcopy(PAGE2), "next": "https://kudago.com/public-api/v1.4/events/?page=3"}

    def handle(path: str, q: dict[str, str]) -> tuple[int, Any]:
        assert path == PATH
        page = q.get("page", "1")
        default = {"1": (200, first), "2": (200, second)}.get(page, END_OF_LIST)
        override = overrides.get(f"p{page}")
        return override(copy.deepcopy(default[1])) if override else default

    return FakeHttp(handle)


async def kudago_app(make_app: MakeApp, server: FakeHttp) -> Any:
    return await make_app(
        events_kudago_base_url=server.url + "/public-api/v1.4",
        events_kudago_cities=["msk"],
        events_kudago_lang_en=False,
    )


async def test_documented_end_of_list_is_the_end_and_a_complete_run_cancels_vanished(
    make_app: MakeApp, fixtures_dir: Path
) -> None:
    def without_jazz(page: dict[str, Any]) -> tuple[int, Any]:
        page["results"] = [i for i in page["results"] if i["id"] != 900001]
        return 200, page

    overrides: dict[str, Override] = {}
    with pages(fixtures_dir, overrides) as server:
        app = await kudago_app(make_app, server)
        report = await ingest(app, "kudago", now=NOW)
        assert server.count(PATH) == 3
        st = report.sources["kudago"]
        assert (st.status, st.saved, st.errors, report.status) == ("ok", 3, [], "ok")
        overrides["p2"] = without_jazz
        report = await ingest(app, "kudago", now=NOW + timedelta(hours=1))
    st = report.sources["kudago"]
    assert (st.status, st.cancelled) == ("ok", 1)
    async with app.db.session() as s:
        jazz = (await s.execute(select(Event).where(Event.external_id == "900001"))).scalar_one()
    assert jazz.status == "cancelled"


async def test_a_partial_run_never_cancels_vanished_events(
    make_app: MakeApp, fixtures_dir: Path
) -> None:
    overrides: dict[str, Override] = {}
    with pages(fixtures_dir, overrides) as server:
        app = await kudago_app(make_app, server)
        await ingest(app, "kudago", now=NOW)
        overrides["p2"] = lambda page: (500, {"detail": "boom"})
        report = await ingest(app, "kudago", now=NOW + timedelta(hours=1))
    st = report.sources["kudago"]
    assert (st.status, st.cancelled) == ("partial", 0)
    assert "failed after 3 tries (HTTP 500)" in render_stored(st.errors[0], "en")
    async with app.db.session() as s:
        statuses = {e.status for e in (await s.execute(select(Event))).scalars()}
    assert statuses == {"active"}


async def test_a_next_that_repeats_a_page_is_read_once(
    make_app: MakeApp, fixtures_dir: Path
) -> None:
    def loop_back(page: dict[str, Any]) -> tuple[int, Any]:
        page["next"] = "https://kudago.com/public-api/v1.4/events/?page=2"  # itself, forever
        return 200, page

    with pages(fixtures_dir, p2=loop_back) as server:
        app = await kudago_app(make_app, server)
        report = await ingest(app, "kudago", now=NOW)
        assert server.count(PATH) == 2  # not 50 (the page cap)
    st = report.sources["kudago"]
    assert (st.saved, st.invalid) == (3, 2)  # each broken item counted once
    assert st.status == "partial" and "points to page 2, read already" in render_stored(
        st.errors[0], "en"
    )
    assert st.rejected_by_reason["repeated_page"] == 1


async def test_a_page_of_events_already_read_stops_the_city(
    make_app: MakeApp, fixtures_dir: Path
) -> None:
    def same_as_first(page: dict[str, Any]) -> tuple[int, Any]:
        first = json.loads(
            (fixtures_dir / "kudago" / "eventer_events_msk_2018_page.json").read_text()
        )
        return 200, {**first, "next": "https://kudago.com/public-api/v1.4/events/?page=3"}

    with pages(fixtures_dir, p2=same_as_first) as server:
        app = await kudago_app(make_app, server)
        report = await ingest(app, "kudago", now=NOW)
        assert server.count(PATH) == 2
    st = report.sources["kudago"]
    assert st.saved == 2 and "page 2 repeats events already read" in render_stored(
        st.errors[0], "en"
    )


async def test_outside_the_window_is_counted_apart_from_invalid(
    make_app: MakeApp, fixtures_dir: Path
) -> None:
    def with_old(page: dict[str, Any]) -> tuple[int, Any]:
        page["results"].append(OUTSIDE)
        return 200, page

    with pages(fixtures_dir, p2=with_old) as server:
        app = await kudago_app(make_app, server)
        report = await ingest(app, "kudago", now=NOW)
    st = report.sources["kudago"]
    assert (st.status, st.saved, st.invalid, st.outside_window) == ("ok", 3, 2, 1)
    assert st.rejected_by_reason == {"no_start": 2, "outside_window": 1}
    assert {r["params"]["item"] for r in st.rejected} == {"900002", "900003", "900004"}
    assert report.totals["outside_window"] == 1


async def test_a_404_on_the_first_page_is_an_error(make_app: MakeApp, fixtures_dir: Path) -> None:
    with pages(fixtures_dir, p1=lambda page: END_OF_LIST) as server:
        app = await kudago_app(make_app, server)
        report = await ingest(app, "kudago", now=NOW)
    st = report.sources["kudago"]
    assert st.status == "failed" and "answered HTTP 404" in render_stored(st.errors[0], "en")
