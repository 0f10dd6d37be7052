"""Title language detection: English titles are not sent to RU→EN translation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.events.conftest import MakeApp, llm_settings, write_feed
from tests.fakes.openai_server import FakeOpenAI, translation_responder
from tgassist.events.ingest import ingest
from tgassist.events.lang import title_language
from tgassist.events.models import Event
from tgassist.events.translate import backfill

NOW = datetime(2030, 5, 1, tzinfo=UTC)
FIRST = NOW + timedelta(days=2)
LABELLED = Path(__file__).parent / "data" / "title_languages.tsv"


@pytest.mark.parametrize(
    ("title", "language"),
    [
        ("2024 🎉", "none"),
        ("Концерт Tove Styrke", "ru"),
        ("Jazz night at the Blue Note", "en"),
        ("Sunset yoga and live music", "en"),
        ("Weihnachtsfeier", "other"),
        ("Fête de la musique", "other"),
        ("Pasar malam di Ubud", "other"),
        ("東京ジャズ", "other"),
        ("Tove Styrke", "other"),  # a bare name: no evidence, so it is translated (cheap)
    ],
)
def test_rules(title: str, language: str) -> None:
    assert title_language(title) == language


def test_accuracy_on_the_labelled_fixture_titles() -> None:
    """Figures quoted in docs/events.md; the set is labelled by hand from the fixture feeds."""
    rows = [
        line.rstrip("\n").split("\t")
        for line in LABELLED.read_text(encoding="utf-8").splitlines(keepends=True)
        if line.strip() and not line.startswith("# ")
    ]
    english = [t for t, label in rows if label == "en"]
    foreign = [t for t, label in rows if label != "en"]
    kept = sum(title_language(t) == "en" for t in english)
    wrongly_kept = sum(title_language(t) == "en" for t in foreign)
    assert (len(english), len(foreign)) == (20, 31)
    # 10 of 20 English titles skip translation (before: 0); 4 of 31 others wrongly do (German
    # titles whose only evidence is the English word "Workshop" or "Open").
    assert (kept, wrongly_kept) == (10, 4)


async def test_english_titles_are_not_sent_to_translation(
    make_app: MakeApp, tmp_path: Path
) -> None:
    titles = ["Концерт номер 1", "Jazz night at the Blue Note", "2030", "Weihnachtsfeier"]
    feed = write_feed(tmp_path / "f.ics", titles, FIRST)
    declared = write_feed(tmp_path / "en.ics", ["Tove Styrke"], FIRST + timedelta(days=1))
    declared["language"] = "en"
    with FakeOpenAI(responder=translation_responder()) as fake:
        app = await make_app(events_ics_feeds=[feed, declared], **llm_settings(fake))
        report = await ingest(app, "ics", now=NOW)
    st = report.sources["ics"]
    assert report.translation.requested == 2  # the Russian and the German title only
    assert (st.en_original, st.missing_translations, st.translated) == (3, 2, 2)
    async with app.db.session() as s:
        rows = {r.title: r for r in (await s.execute(select(Event))).scalars()}
    jazz = rows["Jazz night at the Blue Note"]
    assert (jazz.title_en, jazz.translation_provider) == (jazz.title, "original")
    assert rows["Tove Styrke"].title_en == "Tove Styrke"
    assert rows["2030"].title_en == "2030"
    assert rows["Концерт номер 1"].translation_provider == "openai"


async def test_backfill_keeps_english_titles_without_a_call(
    make_app: MakeApp, tmp_path: Path
) -> None:
    feed = write_feed(tmp_path / "f.ics", ["Open lab night", "Open lab night"], FIRST)
    app = await make_app(events_ics_feeds=[feed])
    await ingest(app, "ics", now=NOW)  # no translator: English titles are filled already
    async with app.db.session() as s:
        await s.execute(Event.__table__.update().values(title_en=None, translation_provider=None))
    with FakeOpenAI(responder=translation_responder()) as fake:
        app2 = await make_app(events_ics_feeds=[feed], **llm_settings(fake))
        report = await backfill(app2)
        assert fake.count("/chat/completions") == 0
    assert (report.found, report.translated, report.calls) == (2, 2, 0)
    async with app.db.session() as s:
        providers = {r.translation_provider for r in (await s.execute(select(Event))).scalars()}
    assert providers == {"original"}
