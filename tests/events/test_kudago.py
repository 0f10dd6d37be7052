"""KudaGo source against a local server replaying the recorded page (+ constructed next pages)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.events.conftest import MakeApp, messages
from tests.events.httpfake import FakeHttp
from tgassist.core.i18n import render_stored
from tgassist.events.ingest import ingest
from tgassist.events.models import Event, IngestRun

NOW = datetime(2018, 10, 14, tzinfo=UTC)  # the recorded page is from October 2018
PATH = "/public-api/v1.4/events/"


def ts(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


PAGE2 = {
    "count": 5,
    "next": None,
    "previous": None,
    "results": [
        {
            "id": 900001,
            "title": "концерт &laquo;Джаз&raquo; &amp; блюз",
            "dates": [{"start": ts(2018, 10, 20, 16), "end": 253370764800}],  # year 9999: no end
            "place": {
                "id": 1,
                "title": "Клуб &quot;Дом&quot;",
                "address": "ул. Пушкина, 1",
                "coords": {"lat": 55.75, "lon": 37.62},
            },
            "location": {"slug": "msk"},
            "categories": ["concert"],
            "is_free": True,
            "price": "",
            "images": [],
            "site_url": "https://kudago.com/msk/event/jazz/",
            "description": "Джаз &amp; блюз",
        },
        {
            "id": 900002,
            "title": "дата-заглушка",
            "dates": [{"start": -62135596800, "end": 253370764800}],
        },
        {"id": 900003, "title": "нет дат", "dates": []},
    ],
}
ENGLISH = {
    173791: "Face 2 Face exhibition",
    173783: "концерт «Музыка трёх континентов»",
    900001: "Jazz &amp; blues",
}


def kudago(fixtures_dir: Path, page2: list[tuple[int, Any]] | None = None) -> FakeHttp:
    """Page 1 = the recorded response; page 2 = PAGE2 (or the scripted replies, then PAGE2)."""
    first = json.loads((fixtures_dir / "kudago" / "eventer_events_msk_2018_page.json").read_text())
    script = list(page2 or [])

    def handle(path: str, q: dict[str, str]) -> tuple[int, Any]:
        assert path == PATH
        page = json.loads(json.dumps(PAGE2 if q.get("page") == "2" else first))
        if q.get("page") == "2" and script and q.get("lang") == "ru":
            return script.pop(0)
        if q.get("lang") == "en":
            for item in page["results"]:
                item["title"] = ENGLISH.get(item["id"], item["title"])
        return 200, page

    return FakeHttp(handle)


async def test_recorded_page_and_next_page_fill_the_db(
    make_app: MakeApp, fixtures_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with kudago(fixtures_dir) as server:
        app = await make_app(
            events_kudago_base_url=server.url + "/public-api/v1.4", events_kudago_cities=["msk"]
        )
        report = await ingest(app, "kudago", now=NOW)
    st = report.sources["kudago"]
    assert (st.status, st.fetched, st.saved, st.invalid) == ("ok", 3, 3, 2)
    assert st.en_from_source == 2 and st.missing_translations == 1
    assert "[INGEST] Missing translations (kudago): 1" in messages(caplog)
    first = server.requests[0][1]
    assert (
        first["location"] == "msk"
        and first["expand"] == "place,dates"
        and first["text_format"] == "text"
    )
    assert first["actual_since"] == str(int(NOW.timestamp())) and int(first["page_size"]) <= 100
    assert "dates" in first["fields"] and first["lang"] == "ru"
    # `next` of the recorded page (kudago.com) was followed on the configured server.
    page2 = [q for _, q in server.requests if q.get("page") == "2"]
    assert page2 and all(q["text_format"] == "text" for q in page2)
    async with app.db.session() as s:
        rows = {r.external_id.split("@")[0]: r for r in (await s.execute(select(Event))).scalars()}
    face = rows["173791"]
    assert face.title == "Выставка Face 2 Face" and face.title_en == "Face 2 Face exhibition"
    assert face.translation_provider == "kudago" and face.timezone == "Europe/Moscow"
    assert face.starts_at == datetime.fromtimestamp(1539421200, UTC) and face.categories == [
        "exhibition",
        "kids",
    ]
    assert (
        face.image_url.endswith(".JPG")
        and face.url == "https://kudago.com/msk/event/vyistavka-face-2-face/"
    )
    concert = rows["173783"]
    assert (
        concert.title_en is None and concert.age_restriction == "16+"
    )  # Cyrillic "English" is ignored
    jazz = rows["900001"]
    assert jazz.title == "Концерт «Джаз» & блюз" and jazz.title_en == "Jazz & blues"
    assert jazz.location_name == 'Клуб "Дом"' and jazz.description == "Джаз & блюз"
    assert jazz.ends_at is None and (jazz.lat, jazz.lng) == (55.75, 37.62) and jazz.is_free is True
    assert "900002" not in rows and "900003" not in rows
    assert await app.redis.exists(
        "ratelimit:events:kudago"
    )  # requests went through the token bucket


async def test_500_then_200_is_retried(make_app: MakeApp, fixtures_dir: Path) -> None:
    with kudago(fixtures_dir, page2=[(500, {"detail": "boom"})]) as server:
        app = await make_app(
            events_kudago_base_url=server.url + "/public-api/v1.4",
            events_kudago_cities=["msk"],
            events_kudago_lang_en=False,
        )
        report = await ingest(app, "kudago", now=NOW)
    st = report.sources["kudago"]
    assert (st.status, st.saved, st.errors) == ("ok", 3, [])
    assert sum(1 for _, q in server.requests if q.get("page") == "2") == 2


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ((200, '{"count": 5, "results": [{"id": '), "did not return valid JSON"),
        ((200, {"detail": "changed"}), "without a `results` list"),
    ],
)
async def test_bad_page_keeps_good_pages_and_reports(
    make_app: MakeApp, fixtures_dir: Path, reply: Any, expected: str
) -> None:
    with kudago(fixtures_dir, page2=[reply]) as server:
        app = await make_app(
            events_kudago_base_url=server.url + "/public-api/v1.4",
            events_kudago_cities=["msk"],
            events_kudago_lang_en=False,
        )
        report = await ingest(app, "kudago", now=NOW)
    st = report.sources["kudago"]
    assert st.status == "partial" and st.saved == 2 and st.cancelled == 0
    assert expected in render_stored(st.errors[0], "en") and report.status == "partial"
    async with app.db.session() as s:
        run = (await s.execute(select(IngestRun))).scalar_one()
    assert run.status == "partial" and run.finished_at is not None
    assert expected in render_stored(run.stats["sources"]["kudago"]["errors"][0], "en")


async def test_server_down_fails_the_source_not_the_run(
    make_app: MakeApp, fixtures_dir: Path
) -> None:
    with FakeHttp(lambda p, q: (503, "down")) as server:
        app = await make_app(
            events_kudago_base_url=server.url,
            events_kudago_cities=["msk", "spb"],
            events_ics_feeds=[
                {"url": str(fixtures_dir / "ics" / "google_moved_overrides_allday.ics")}
            ],
        )
        report = await ingest(app, ["kudago", "ics"], now=datetime(2023, 8, 1, tzinfo=UTC))
    assert report.sources["kudago"].status == "failed"
    assert "failed after 3 tries (HTTP 503)" in render_stored(
        report.sources["kudago"].errors[0], "en"
    )
    assert report.sources["ics"].saved == 6 and report.status == "partial"
    assert len(server.requests) == 6  # 3 tries per city
