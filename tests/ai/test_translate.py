"""The batch translator: exact call counts, cache, dedupe, partial results and every failure mode."""

from __future__ import annotations

import json
import math
from typing import Any

from tests.fakes.openai_server import (
    FakeOpenAI,
    FakeResponse,
    RecordedRequest,
    translation_responder,
)
from tgassist.ai import BatchTranslator, TranslationResult, build_translator
from tgassist.core.i18n import render_stored
from tgassist.settings import Settings

TITLES = {f"ev{i}": f"Концерт номер {i} в парке" for i in range(7)}


def _asked(fake: FakeOpenAI) -> list[dict[str, str]]:
    """The id → text objects the translator sent, one per call."""
    return [json.loads(r.last_user_content()) for r in fake.requests]


async def _translator(make_app: Any, overrides: dict[str, Any], **kw: Any) -> BatchTranslator:
    app = await make_app(**overrides, **kw)
    assert isinstance(app.translator, BatchTranslator)
    return app.translator


async def test_calls_are_ceil_n_over_chunk_and_zero_when_cached(
    make_app: Any, fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    fake.responder = translation_responder()
    translator = await _translator(make_app, llm_overrides, translate_chunk_items=3)
    first = await translator.translate(TITLES)
    assert first.calls == math.ceil(7 / 3) == fake.calls
    assert first.translated == {k: f"Kontsert nomer {k[2:]} v parke" for k in TITLES}
    assert (first.missing, first.cached, first.errors) == (set(), 0, [])
    assert all(r["temperature"] == 0.0 for r in fake.chat_requests)

    again = await translator.translate(TITLES)
    assert (again.calls, again.cached, again.translated) == (0, 7, first.translated)
    assert fake.calls == 3

    # one new title among cached ones: only it is sent
    more = await translator.translate({**TITLES, "new": "Выставка кошек"})
    assert more.calls == 1 and _asked(fake)[-1] == {"1": "Выставка кошек"}
    assert more.translated["new"] == "Vystavka koshek" and more.cached == 7


async def test_identical_texts_are_sent_once(
    make_app: Any, fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    fake.responder = translation_responder()
    translator = await _translator(make_app, llm_overrides)
    result = await translator.translate({"a": "Йога", "b": "Йога", "c": "Танцы", "d": "  "})
    assert result.calls == 1 and sorted(_asked(fake)[0].values()) == ["Йога", "Танцы"]
    assert (
        result.translated == {"a": "Yoga", "b": "Yoga", "c": "Tantsy", "d": "  "}
        and not result.missing
    )


async def test_chunks_also_split_by_characters(
    make_app: Any, fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    fake.responder = translation_responder()
    translator = await _translator(
        make_app, llm_overrides, translate_chunk_items=50, translate_chunk_chars=110
    )
    items = {
        str(i): "Длинное описание события " * 2 + str(i) for i in range(6)
    }  # 51 chars each: two fit in 110
    result = await translator.translate(items)
    assert (
        result.calls == 3 and all(len(chunk) == 2 for chunk in _asked(fake)) and not result.missing
    )


def _dropping(drop: set[str]) -> Any:
    """A responder that leaves out the ids whose source text is in `drop` (once each)."""
    base = translation_responder()
    dropped: set[str] = set()

    def respond(request: RecordedRequest) -> str | None:
        answer = json.loads(base(request) or "{}")
        asked = json.loads(request.last_user_content())
        for key, text in asked.items():
            if text in drop and text not in dropped:
                dropped.add(text)
                answer.pop(key)
        return json.dumps(answer, ensure_ascii=False)

    return respond


async def test_fewer_items_returned_are_retried_alone(
    make_app: Any, fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    fake.responder = _dropping({"Концерт номер 2 в парке", "Концерт номер 5 в парке"})
    translator = await _translator(make_app, llm_overrides, translate_chunk_items=4)
    result = await translator.translate(TITLES)
    assert not result.missing and len(result.translated) == 7
    assert result.calls == 3  # two chunks, then one call for the two missing ids
    assert sorted(_asked(fake)[-1].values()) == [
        "Концерт номер 2 в парке",
        "Концерт номер 5 в парке",
    ]
    assert any(
        "2 ids missing" in render_stored(e, "en") or "1 ids missing" in render_stored(e, "en")
        for e in result.errors
    )


async def test_without_retries_partial_results_are_kept(
    make_app: Any, fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    fake.responder = _dropping({"Концерт номер 2 в парке"})
    translator = await _translator(make_app, llm_overrides, translate_max_retries=0)
    result = await translator.translate(TITLES)
    assert result.missing == {"ev2"} and len(result.translated) == 6 and result.calls == 1
    assert [render_stored(e, "en") for e in result.errors] == [
        "chunk of 7: 1 ids missing from the answer"
    ]
    # what was translated is cached; only the missing one is asked next time
    fake.responder = translation_responder()
    again = await translator.translate(TITLES)
    assert again.calls == 1 and again.cached == 6 and not again.missing


async def test_wrong_ids_invalid_json_and_cyrillic_answers(
    make_app: Any, fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    translator = await _translator(make_app, llm_overrides, translate_max_retries=0)
    items = {"x": "Кино", "y": "Театр"}
    fake.queue('{"7": "Cinema", "8": "Theatre"}')
    wrong = await translator.translate(items)
    assert wrong.missing == {"x", "y"} and "unknown ids" in render_stored(wrong.errors[0], "en")

    fake.queue("I cannot translate that")
    broken = await translator.translate(items)
    assert broken.missing == {"x", "y"} and "invalid JSON" in render_stored(broken.errors[0], "en")

    fake.queue('{"1": "Кино", "2": ""}')
    untranslated = await translator.translate(items)
    assert untranslated.missing == {"x", "y"} and "2 empty or untranslated" in render_stored(
        untranslated.errors[0], "en"
    )
    assert untranslated.calls == 1 and fake.calls == 3


async def test_a_retry_round_recovers_from_a_broken_answer(
    make_app: Any, fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    fake.responder = translation_responder()
    translator = await _translator(make_app, llm_overrides, translate_max_retries=1)
    fake.queue(FakeResponse.invalid_json())  # an HTTP body that is not JSON at all
    result = await translator.translate({"x": "Кино"})
    assert result.translated == {"x": "Kino"} and result.calls == 2 and len(result.errors) == 1


async def test_timeout_is_reported_not_raised(
    make_app: Any, fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    translator = await _translator(
        make_app,
        {**llm_overrides, "llm_timeout_sec": 0.2, "llm_max_retries": 0},
        translate_max_retries=1,
    )
    fake.queue(FakeResponse.slow(1.0), FakeResponse.slow(1.0))
    result = await translator.translate({"x": "Кино"})
    assert isinstance(result, TranslationResult)
    assert (
        result.missing == {"x"}
        and result.calls == 2
        and "timed out" in render_stored(result.errors[0], "en")
    )


async def test_budget_stops_the_batch_and_keeps_what_was_done(
    make_app: Any, fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    fake.responder = translation_responder()
    translator = await _translator(
        make_app,
        llm_overrides,
        translate_chunk_items=2,
        translate_concurrency=1,
        llm_daily_token_budget=1,
    )
    result = await translator.translate(TITLES)
    assert result.calls == 1 and len(result.translated) == 2 and len(result.missing) == 5
    assert any("budget" in render_stored(e, "en") for e in result.errors) and fake.calls == 1


def test_no_llm_means_no_translator() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert build_translator(settings, None, None) is None
