"""Admin HTTP routes of the events product (token auth, ingest, backfill, sources, runs)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx

from tests.events.conftest import RU_TITLES, MakeApp, llm_settings, write_feed
from tests.fakes.openai_server import FakeOpenAI, translation_responder
from tgassist.api.app import create_api
from tgassist.core.db import utcnow

AUTH = {"Authorization": "Bearer test-admin-token"}


def client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_api(app)), base_url="http://t"
    )  # type: ignore[arg-type]


async def test_ingest_sources_and_runs(make_app: MakeApp, tmp_path: Path) -> None:
    feed = write_feed(
        tmp_path / "f.ics", RU_TITLES[:4], utcnow().replace(microsecond=0) + timedelta(days=1)
    )
    app = await make_app(events_ics_feeds=[feed])
    async with client(app) as c:
        assert (await c.post("/admin/ingest/run", json={"source": "ics"})).status_code == 401
        assert (
            await c.get("/admin/events/sources", headers={"Authorization": "Bearer wrong"})
        ).status_code == 401
        r = await c.post("/admin/ingest/run", json={"source": "ics", "wait": True}, headers=AUTH)
        assert r.status_code == 200
        body = r.json()
        assert (
            body["status"] == "ok"
            and body["sources"]["ics"]["saved"] == 4
            and body["totals"]["saved"] == 4
        )
        bad = await c.post(
            "/admin/ingest/run",
            json={"source": "nope"},
            headers={**AUTH, "Accept-Language": "de-DE, en;q=0.8"},  # the first one we speak
        )
        assert bad.status_code == 422
        assert bad.json()["detail"]["key"] == "events.sources.unknown"
        assert bad.json()["detail"]["params"]["names"] == "nope"
        assert "unknown event source(s): nope" in bad.json()["detail"]["message"]
        bad = await c.post("/admin/ingest/run?lang=ru", json={"source": "nope"}, headers=AUTH)
        assert "неизвестные источники событий: nope" in bad.json()["detail"]["message"]

        r = await c.post("/admin/ingest/run", json={"source": ["ics"]}, headers=AUTH)
        assert r.status_code == 202 and r.json()["sources"] == ["ics"]
        for _ in range(100):
            runs = (await c.get("/admin/events/runs", headers=AUTH)).json()
            if len(runs) == 2 and runs[0]["finished_at"]:
                break
            await asyncio.sleep(0.05)
        assert runs[0]["status"] == "ok" and runs[0]["stats"]["sources"]["ics"]["skipped"] == 4

        sources = {
            s["name"]: s for s in (await c.get("/admin/events/sources", headers=AUTH)).json()
        }
        assert (
            sources["ics"]["last_status"] == "ok" and sources["ics"]["last_stats"]["skipped"] == 4
        )
        assert sources["ics"]["configured"] and not sources["jsonld"]["configured"]
        assert sources["ai"]["configured"] is False  # no LLM configured
        assert sources["kudago"]["config"]["cities"] == ["msk", "spb"]
        health = (await c.get("/health/details", headers=AUTH)).json()["events"]
        assert health == health | {
            "status": "ok",
            "events": 4,
            "without_en": 4,
            "last_run_status": "ok",
        }


async def test_backfill_route(make_app: MakeApp, tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "f.ics", RU_TITLES[:3], utcnow() + timedelta(days=1))
    offline = await make_app(events_ics_feeds=[feed])
    async with client(offline) as c:
        await c.post("/admin/ingest/run", json={"source": "ics", "wait": True}, headers=AUTH)
        r = await c.post("/admin/translation/backfill", headers=AUTH)
        assert r.status_code == 409 and r.json()["detail"]["key"].endswith("no_translator")
        assert "TGASSIST_LLM_PROVIDER" in r.json()["detail"]["message"]
        r = await c.post(
            "/admin/translation/backfill", headers={**AUTH, "Accept-Language": "ru-RU"}
        )
        assert r.json()["detail"]["message"].startswith("переводчик не настроен")
        r = await c.post("/admin/translation/backfill", headers={**AUTH, "Accept-Language": "en"})
        assert r.json()["detail"]["message"].startswith("no translator is configured")
    with FakeOpenAI(responder=translation_responder()) as fake:
        online = await make_app(events_ics_feeds=[feed], **llm_settings(fake))
        async with client(online) as c:
            r = await c.post("/admin/translation/backfill", json={"wait": True}, headers=AUTH)
        assert r.status_code == 200
        assert r.json() | {"errors": []} == {
            "found": 3,
            "translated": 3,
            "missing": 0,
            "calls": 1,
            "batches": 1,
            "errors": [],
        }


async def test_the_dashboard_shows_a_source_error_in_the_readers_language(
    make_app: MakeApp, tmp_path: Path
) -> None:
    """The stored note is a key: the events page renders it in the page's language; a note
    stored as plain text by an older version is shown as it is."""
    from sqlalchemy import update

    from tgassist.events.ingest import ingest
    from tgassist.events.models import EventSource

    app = await make_app(events_ics_feeds=[{"url": str(tmp_path / "missing.ics")}])
    report = await ingest(app, "ics")
    assert report.sources["ics"].errors[0]["key"] == "events.source.file_unreadable"
    async with client(app) as c:
        ru = (await c.get("/dashboard/events?lang=ru", headers=AUTH)).text
        en = (await c.get("/dashboard/events?lang=en", headers=AUTH)).text
        assert "не удаётся прочитать" in ru and "cannot read" not in ru
        assert "cannot read" in en and "не удаётся" not in en
        async with app.db.session() as s:
            await s.execute(
                update(EventSource)
                .where(EventSource.name == "ics")
                .values(last_stats={"errors": ["ics: an old note"]})
            )
        assert "ics: an old note" in (await c.get("/dashboard/events", headers=AUTH)).text
