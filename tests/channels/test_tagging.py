"""Tagging: offline keyphrases + zero-shot topics, LLM tags (strict, from the text), cache, faults."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAI, FakeResponse
from tgassist.app import App
from tgassist.channels.tagging import Tagger, keyphrases, load_taxonomy, normalise_tag
from tgassist.core.errors import ConfigError
from tgassist.settings import Settings

FOOTBALL = (
    "Сборная Германии по футболу сыграла вничью. Лукаш Подольски забил гол в последнем матче за сборную, "
    "тренер сборной поблагодарил игрока. #футбол #Подольски"
)
PYTHON = "Вышел Python 3.13: разработчики ускорили интерпретатор, а библиотеки получили поддержку нового кода."


def test_offline_keyphrases_are_lemmas_hashtags_first_without_stop_words() -> None:
    tags = keyphrases(FOOTBALL, 6)
    assert tags[:2] == ["футбол", normalise_tag("Подольски")]  # hashtags, normalised like every tag
    assert "сборная" in tags  # three forms of one lemma, counted together
    assert not {"по", "за", "в", "сборную", "сборной"} & set(tags)
    assert all(t == t.lower() for t in tags)
    assert normalise_tag("#Нейросети") == "нейросеть"
    assert len(keyphrases(FOOTBALL, 3)) == 3


def test_shipped_taxonomy_has_about_thirty_bilingual_topics() -> None:
    topics = load_taxonomy(None)
    assert 25 <= len(topics) <= 40
    assert len({t.id for t in topics}) == len(topics)
    assert all(t.ru and t.en for t in topics)


async def test_offline_tags_have_keyphrases_and_topics_and_are_cached(app: App) -> None:
    tagger = Tagger.for_app(app)
    first = await tagger.tag(FOOTBALL)
    assert first.provider == "offline" and not first.cached
    assert "topic:sports" in first.topics
    assert "футбол" in first.tags and "topic:sports" in first.tags
    again = await tagger.tag(FOOTBALL)
    assert again.cached and again.tags == first.tags
    code = await tagger.tag(PYTHON)
    assert code.topics[0] == "topic:programming"
    assert "python" in code.tags
    assert (await tagger.tag("   ")).tags == []


async def test_unrelated_text_gets_no_forced_topic(app: App) -> None:
    result = await Tagger.for_app(app).tag("ок")
    assert result.topics == []


async def test_custom_taxonomy_file_is_used(
    settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    path = tmp_path / "tax.json"
    path.write_text(
        json.dumps(
            {
                "topics": [
                    {
                        "id": "football",
                        "ru": "футбол",
                        "en": "football",
                        "examples": "матч, гол, сборная; match, goal, team",
                    },
                    {
                        "id": "cooking",
                        "ru": "кулинария",
                        "en": "cooking",
                        "examples": "рецепт, суп; recipe, soup",
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    app = await App.start(settings_factory(tagging_taxonomy_path=path))
    try:
        await app.redis.flushdb()
        result = await Tagger.for_app(app).tag(FOOTBALL)
        assert result.topics == ["topic:football"]
    finally:
        await app.close()
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="TGASSIST_TAGGING_TAXONOMY_PATH") as caught:
        load_taxonomy(str(broken))
    # the operator is told what to do, in their language
    assert caught.value.key == "channels.config.taxonomy_unreadable"
    assert caught.value.params["path"] == str(broken)
    assert "unset it to use the built-in one" in str(caught.value)
    assert "уберите настройку, чтобы работала встроенная" in caught.value.render("ru")
    assert '{"topics": [{"id", "ru", "en"}]}' in caught.value.render("ru")


@pytest.fixture
async def llm_app(
    settings_factory: Callable[..., Settings],
) -> AsyncIterator[tuple[App, FakeOpenAI]]:
    with FakeOpenAI() as fake:
        app = await App.start(
            settings_factory(
                llm_provider="openai",
                llm_base_url=fake.url,
                llm_api_key="k",
                llm_timeout_sec=0.5,
                llm_max_retries=0,
            )
        )
        await app.redis.flushdb()
        try:
            yield app, fake
        finally:
            await app.redis.flushdb()
            await app.close()


async def test_llm_tags_are_lemmatised_deduped_and_must_occur_in_the_text(
    llm_app: tuple[App, FakeOpenAI],
) -> None:
    app, fake = llm_app
    fake.queue(
        json.dumps(
            {"tags": ["Сборной Германии", "Подольски", "подольски", "#Футбол", "Месси", "в", "гол"]}
        )
    )
    result = await Tagger.for_app(app).tag(FOOTBALL)
    assert result.provider.startswith("llm:openai")
    podolski = normalise_tag("Подольски")
    assert result.keyphrases == [
        "сборная германия",
        podolski,
        "футбол",
        "гол",
    ]  # Месси is not in the text
    assert "topic:sports" in result.tags
    assert fake.count("/chat/completions") == 1
    assert (await Tagger.for_app(app).tag(FOOTBALL)).cached  # no second LLM call
    assert fake.count("/chat/completions") == 1


async def test_invalid_llm_json_falls_back_to_offline_tags(llm_app: tuple[App, FakeOpenAI]) -> None:
    app, fake = llm_app
    fake.queue(
        "Sure! Tags: football, goal", '{"tags": "football"}', "no"
    )  # prose, wrong shape, prose
    result = await Tagger.for_app(app).tag(FOOTBALL)
    assert (
        fake.count("/chat/completions") == 3
    )  # asked, re-asked twice with the error, then gave up
    assert result.provider == "offline"
    assert result.llm_error and "JSON" in result.llm_error
    assert result.keyphrases == keyphrases(FOOTBALL, app.settings.tagging_max_tags)
    fake.queue(json.dumps({"tags": ["гол"]}))
    retry = await Tagger.for_app(app).tag(
        FOOTBALL
    )  # a failure is not cached: the LLM is asked again
    assert not retry.cached and retry.keyphrases == ["гол"]
    fake.queue(FakeResponse.invalid_json())  # a broken HTTP body from the API itself
    broken = await Tagger.for_app(app).tag(PYTHON)
    assert broken.provider == "offline" and "python" in broken.tags


async def test_llm_timeout_falls_back_to_offline_tags(llm_app: tuple[App, FakeOpenAI]) -> None:
    app, fake = llm_app
    fake.queue(FakeResponse.slow(3.0, content=json.dumps({"tags": ["гол"]})))
    result = await Tagger.for_app(app).tag(FOOTBALL)
    assert result.provider == "offline"
    assert result.llm_error
    assert "футбол" in result.tags
