"""BaliForum JSON API (constructed responses of the publicly described shape) and its faults."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from tests.events.conftest import MakeApp
from tests.events.httpfake import FakeHttp
from tgassist.core.i18n import render_stored
from tgassist.events.ingest import ingest
from tgassist.events.models import Event

NOW = datetime(2030, 1, 10, tzinfo=UTC)


def item(slug: str, title: str, dates: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    return {"id": hash(slug) % 1000, "slug": slug, "title": title, "eventDates": dates, **extra}


PAGES = {
    "1": {
        "data": [
            item(
                "yoga-ubud",
                "Йога на рассвете &amp; медитация",
                [{"startAt": "2030-01-12 06:00:00", "endAt": "2030-01-12 07:30:00"}],
                place={
                    "title": "Yoga Barn",
                    "address": "Ubud",
                    "lat": "-8.5126",
                    "lng": "115.2638",
                    "rating": 5,
                },
                types=[{"title": "Спорт"}, "Йога"],
                images=[{"url": "https://baliforum.ru/img/1.jpg"}],
                somethingNew={"nested": True},
            ),
            item("no-dates", "Без даты", []),
            item(
                "two-days",
                "Маркет",
                [
                    {"startAt": "2030-01-13T10:00:00+08:00"},
                    {"startAt": "2030-01-14T10:00:00+08:00"},
                ],
                place=None,
                images=["https://baliforum.ru/img/2.jpg"],
            ),
        ],
        "meta": {"current_page": 1, "last_page": 2},
    },
    "2": {
        "data": [item("past", "Прошедшее", [{"startAt": "2029-12-01 10:00:00"}])],
        "meta": {"current_page": 2, "last_page": 2},
    },
}
DETAIL = {
    "data": {
        "slug": "x",
        "content": {
            "blocks": [
                {"type": "header", "data": {"text": "Про &laquo;событие&raquo;"}},
                {"type": "paragraph", "data": {"text": "Приходите <b>рано</b>."}},
                {"type": "list", "data": {"items": ["коврик", "вода"]}},
            ]
        },
    }
}


def baliforum(pages: dict[str, Any] = PAGES, detail: tuple[int, Any] = (200, DETAIL)) -> FakeHttp:
    def handle(path: str, q: dict[str, str]) -> tuple[int, Any]:
        if path == "/api/v1/events":
            assert q["defaultList"] == "1"
            return 200, pages.get(q["page"], {"data": []})
        return detail

    return FakeHttp(handle)


async def test_list_detail_and_bali_times(make_app: MakeApp) -> None:
    with baliforum() as server:
        app = await make_app(events_baliforum_base_url=server.url + "/api/v1")
        report = await ingest(app, "baliforum", now=NOW)
    st = report.sources["baliforum"]
    assert (st.status, st.saved, st.invalid, st.errors) == ("ok", 3, 1, [])
    assert server.count("/api/v1/events") == 2  # stops at meta.last_page
    assert server.count("/api/v1/events/yoga-ubud") == 1
    async with app.db.session() as s:
        rows = {r.external_id: r for r in (await s.execute(select(Event))).scalars()}
    yoga = rows["yoga-ubud"]  # one date: the slug is the id (a moved date stays the same event)
    assert yoga.title == "Йога на рассвете & медитация"  # entities decoded (before dedupe)
    assert yoga.starts_at == datetime(2030, 1, 11, 22, 0, tzinfo=UTC)  # 06:00 Asia/Makassar (UTC+8)
    assert yoga.ends_at == datetime(2030, 1, 11, 23, 30, tzinfo=UTC)
    assert (yoga.city, yoga.timezone, yoga.location_name) == ("bali", "Asia/Makassar", "Yoga Barn")
    assert (yoga.lat, yoga.lng) == (-8.5126, 115.2638) and yoga.categories == ["Спорт", "Йога"]
    assert yoga.description == "Про «событие»\nПриходите рано .\nковрик\nвода"
    assert yoga.url.endswith("/events/yoga-ubud") and yoga.image_url.endswith("1.jpg")
    assert sum(k.startswith("two-days@") for k in rows) == 2


async def test_shape_change_fails_loudly_in_stats_not_the_run(
    make_app: MakeApp, tmp_path: Any, fixtures_dir: Any
) -> None:
    changed = {"1": {"events": [{"name": "x"}], "total": 1}}
    with baliforum(pages=changed) as server:
        app = await make_app(
            events_baliforum_base_url=server.url + "/api/v1",
            events_ics_feeds=[
                {"url": str(fixtures_dir / "ics" / "google_moved_overrides_allday.ics")}
            ],
        )
        report = await ingest(app, ["baliforum", "ics"], now=datetime(2023, 8, 1, tzinfo=UTC))
    st = report.sources["baliforum"]
    assert st.status == "failed" and st.saved == 0
    assert "has no `data` list (got ['events', 'total'])" in render_stored(st.errors[0], "en")
    assert "TGASSIST_EVENTS_BALIFORUM_ENABLED=false" in render_stored(st.errors[0], "en")
    assert report.sources["ics"].saved == 6 and report.status == "partial"


async def test_detail_failure_keeps_the_event(make_app: MakeApp) -> None:
    with baliforum(detail=(404, {"detail": "gone"})) as server:
        app = await make_app(events_baliforum_base_url=server.url + "/api/v1")
        report = await ingest(app, "baliforum", now=NOW)
    st = report.sources["baliforum"]
    assert (
        st.saved == 3 and st.status == "partial" and "HTTP 404" in render_stored(st.errors[0], "en")
    )
