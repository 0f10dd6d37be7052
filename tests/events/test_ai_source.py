"""LLM event suggestions: strict JSON, validated, marked as AI, no translation needed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from tests.events.conftest import MakeApp, llm_settings
from tests.fakes.openai_server import FakeOpenAI, RecordedRequest
from tgassist.core.i18n import render_stored
from tgassist.events.ingest import ingest
from tgassist.events.models import Event

NOW = datetime(2030, 3, 1, tzinfo=UTC)
UBUD = {
    "events": [
        {
            "title": "Кирtan в Ubud",
            "title_en": "Kirtan in Ubud",
            "description": "Музыка",
            "starts_at": "2030-03-02T19:00:00",
            "ends_at": "2030-03-02T21:00:00",
            "location_name": "Yoga Barn",
            "lat": -8.51,
            "lng": 115.26,
            "url": None,
        },
        {
            "title": "Слишком поздно",
            "title_en": "Too late",
            "starts_at": "2031-01-01T10:00:00",
            "location_name": "Ubud",
        },
    ]
}


def respond(request: RecordedRequest) -> str:
    text = request.last_user_content()
    if "Ubud" in text:
        return json.dumps(UBUD)
    return "I cannot help with that."  # Canggu: never valid JSON


async def test_ai_suggestions_are_validated_and_marked(make_app: MakeApp) -> None:
    with FakeOpenAI(responder=respond) as fake:
        app = await make_app(events_ai_locations=["Ubud", "Canggu"], **llm_settings(fake))
        report = await ingest(app, "ai", now=NOW)
        calls = fake.count("/chat/completions")
    st = report.sources["ai"]
    assert st.saved == 1 and st.invalid == 0 and st.outside_window == 1 and st.status == "partial"
    assert st.errors[0]["key"] == "events_ingest.error.ai_failed"
    assert render_stored(st.errors[0], "en").startswith(
        "ai: Canggu: openai (gpt-4o-mini): no valid"
    )
    assert calls == 1 + 3  # Ubud once; Canggu asked again twice with the error, then given up
    assert report.translation.calls == 0 and st.en_from_source == 1
    async with app.db.session() as s:
        ev = (await s.execute(select(Event))).scalar_one()
    assert (
        ev.is_generated_by_ai
        and ev.title_en == "Kirtan in Ubud"
        and ev.translation_provider == "ai:openai"
    )
    assert (
        ev.starts_at == datetime(2030, 3, 2, 11, 0, tzinfo=UTC) and ev.city == "bali"
    )  # Bali time


async def test_ai_source_is_off_without_llm(make_app: MakeApp) -> None:
    app = await make_app()
    report = await ingest(app, "ai", now=NOW)
    assert report.sources["ai"].status == "disabled" and report.sources["ai"].fetched == 0
