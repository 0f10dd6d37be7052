"""Translation at ingest: one logical batch, skips of existing EN, faults, and the backfill."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.events.conftest import RU_TITLES, MakeApp, llm_settings, messages, write_feed
from tests.fakes.openai_server import FakeOpenAI, FakeResponse, translation_responder
from tgassist.core.i18n import render_stored
from tgassist.events.ingest import ingest
from tgassist.events.models import Event
from tgassist.events.translate import backfill, startup_backfill

NOW = datetime(2030, 5, 1, tzinfo=UTC)
FIRST = NOW + timedelta(days=2)


async def titles_en(app) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    async with app.db.session() as s:
        return {r.title: r.title_en for r in (await s.execute(select(Event))).scalars()}


async def test_one_batch_then_skips_existing(
    make_app: MakeApp, tmp_path: Path, debug_logs: pytest.LogCaptureFixture
) -> None:
    feed = write_feed(tmp_path / "f.ics", RU_TITLES, FIRST)
    with FakeOpenAI(responder=translation_responder()) as fake:
        app = await make_app(events_ics_feeds=[feed], **llm_settings(fake, translate_chunk_items=4))
        first = await ingest(app, "ics", now=NOW)
        assert fake.count("/chat/completions") == math.ceil(10 / 4) == first.translation.calls
        assert "[INGEST] Missing translations (ics): 10" in messages(debug_logs)
        assert first.sources["ics"].translated == 10 and first.translation.provider == "openai"
        assert (await titles_en(app))["Концерт номер 3"] == "Kontsert nomer 3"

        await app.redis.flushdb()  # no translation cache: the skip comes from the DB lookup
        debug_logs.clear()
        second = await ingest(app, "ics", now=NOW)
        assert fake.count("/chat/completions") == 3  # zero new calls
        logs = messages(debug_logs)
        assert "[INGEST] Missing translations (ics): 0" in logs
        assert (
            sum(
                m.startswith("[TRANSLATION-SKIP] Using existing EN for external_id=ev-")
                for m in logs
            )
            == 10
        )
        assert second.sources["ics"].skipped == 10 and second.translation.requested == 0

        changed = [*RU_TITLES[:8], "Новый спектакль", "Другая выставка"]
        write_feed(tmp_path / "f.ics", changed, FIRST)
        debug_logs.clear()
        third = await ingest(app, "ics", now=NOW)
        assert fake.count("/chat/completions") == 4 and third.translation.requested == 2
        assert "[INGEST] Missing translations (ics): 2" in messages(debug_logs)
        assert third.sources["ics"].updated == 2 and third.sources["ics"].skipped == 8
        assert json.loads(fake.requests[-1].last_user_content()) == {
            "1": "Новый спектакль",
            "2": "Другая выставка",
        }
    assert (await titles_en(app))["Новый спектакль"] == "Novyy spektakl"


async def test_source_english_and_no_translator(
    make_app: MakeApp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = await make_app(events_ics_feeds=[write_feed(tmp_path / "f.ics", RU_TITLES[:3], FIRST)])
    report = await ingest(app, "ics", now=NOW)
    assert (
        report.status == "ok" and report.translation.missing == 3 and report.translation.calls == 0
    )
    assert "[INGEST] No translator configured: 3 texts wait for the backfill" in messages(caplog)
    assert set((await titles_en(app)).values()) == {None}


@pytest.mark.parametrize(
    ("script", "error"),
    [
        (
            FakeResponse(content=json.dumps({"1": "Concert number 1"})),
            "ids missing from the answer",
        ),
        (FakeResponse(content=json.dumps({"901": "x", "902": "y"})), "unknown ids in the answer"),
        (FakeResponse(content="Sure! Here are your translations: none"), "invalid JSON"),
        (FakeResponse.slow(2.0, content="{}"), ""),
    ],
    ids=["fewer-items", "wrong-ids", "invalid-json", "timeout"],
)
async def test_translator_faults_keep_the_run_and_backfill_fills_later(
    make_app: MakeApp,
    tmp_path: Path,
    script: FakeResponse,
    error: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    feed = write_feed(tmp_path / "f.ics", RU_TITLES[:3], FIRST)
    with FakeOpenAI(responder=translation_responder()) as fake:
        app = await make_app(
            events_ics_feeds=[feed],
            llm_timeout_sec=0.5,
            **llm_settings(fake, translate_chunk_items=10, translate_max_retries=0),
        )
        fake.queue(script)
        report = await ingest(app, "ics", now=NOW)
        assert report.sources["ics"].saved == 3 and report.status == "partial"
        assert report.translation.errors and error in " ".join(
            render_stored(e, "en") for e in report.translation.errors
        )
        got = await titles_en(app)
        translated = 1 if error == "ids missing from the answer" else 0
        assert (
            sum(v is not None for v in got.values()) == translated == report.translation.translated
        )
        assert report.translation.missing == 3 - translated

        result = await backfill(app)
        assert (result.found, result.translated, result.missing) == (
            3 - translated,
            3 - translated,
            0,
        )
    assert None not in (await titles_en(app)).values()


async def test_missing_ids_are_retried_alone(make_app: MakeApp, tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "f.ics", RU_TITLES[:3], FIRST)
    with FakeOpenAI(responder=translation_responder()) as fake:
        app = await make_app(events_ics_feeds=[feed], **llm_settings(fake, translate_max_retries=1))
        fake.queue(json.dumps({"1": "Concert number 1"}))
        report = await ingest(app, "ics", now=NOW)
        assert report.translation.calls == 2 and report.translation.missing == 0
        assert set(json.loads(fake.requests[1].last_user_content())) == {"2", "3"}
    assert report.sources["ics"].translated == 3


async def test_startup_backfill_logs(
    make_app: MakeApp, tmp_path: Path, debug_logs: pytest.LogCaptureFixture
) -> None:
    feed = write_feed(tmp_path / "f.ics", RU_TITLES[:5], FIRST)
    offline = await make_app(events_ics_feeds=[feed])
    assert await startup_backfill(offline) is None
    assert "[AUTO-BACKFILL] No events without EN, skip" in messages(debug_logs)
    assert debug_logs.records[-1].levelname == "DEBUG"
    await ingest(offline, "ics", now=NOW)

    with FakeOpenAI(responder=translation_responder()) as fake:
        online = await make_app(
            events_ics_feeds=[feed], **llm_settings(fake, translate_chunk_items=2)
        )
        debug_logs.clear()
        report = await startup_backfill(online)
        assert report is not None and fake.count("/chat/completions") == 3
    logs = messages(debug_logs)
    assert logs.index("[AUTO-BACKFILL] Found 5 events without EN") < logs.index(
        "[AUTO-BACKFILL] Completed. translated=5"
    )
    debug_logs.clear()
    assert await startup_backfill(online) is None
    assert "[AUTO-BACKFILL] No events without EN, skip" in messages(debug_logs)


async def test_descriptions_and_places_when_enabled(make_app: MakeApp, tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "f.ics", RU_TITLES[:3], FIRST, description="Описание")
    with FakeOpenAI(responder=translation_responder()) as fake:
        app = await make_app(
            events_ics_feeds=[feed],
            events_translate_description=True,
            events_translate_location=True,
            **llm_settings(fake, translate_chunk_items=5),
        )
        report = await ingest(app, "ics", now=NOW)
        # 3 titles + 3 descriptions + 3 identical place names (sent once): 7 texts, 2 calls of 5.
        assert report.translation.requested == 9 and fake.count("/chat/completions") == 2
        again = await ingest(app, "ics", now=NOW)
        assert again.translation.requested == 0 and fake.count("/chat/completions") == 2
    async with app.db.session() as s:
        row = (await s.execute(select(Event).where(Event.external_id.like("ev-1@%")))).scalar_one()
    assert (row.title_en, row.description_en, row.location_name_en) == (
        "Kontsert nomer 2",
        "Opisanie 1",
        "Klub",
    )
