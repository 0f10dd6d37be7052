"""Ask: extractive answers with citations, "not found", and an LLM held to its citations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.channels.read_util import NOW, add_posts, index_posts, make_channel
from tests.fakes.openai_server import FakeOpenAI
from tgassist.app import App
from tgassist.channels.ask import ask, check_grounding
from tgassist.channels.read_errors import ReadError

POSTS = [
    "Мэрия Казани объявила, что с 1 марта проезд в трамвае подорожает до 45 рублей.",
    "Власти Сочи ввели курортный сбор 100 рублей в сутки с каждого взрослого туриста.",
    "NASA postponed the Artemis III crewed Moon landing to 2027 because of spacesuit delays.",
    "Python 3.13 adds an experimental free-threaded build that disables the global interpreter lock.",
]


async def _world(app: App) -> list[int]:
    ch = await make_channel(app, "asknews", "Ask News")
    ids = await add_posts(app, ch, POSTS, start=NOW - timedelta(days=1))
    await index_posts(app, ids)
    return ids


async def test_extractive_answer_cites_the_post_it_quotes(app: App) -> None:
    ids = await _world(app)
    ans = await ask(app, "How much will a tram ride cost in Kazan?")
    assert ans.found and ans.mode == "extractive"
    assert "45" in ans.text and "[1]" in ans.text
    assert ans.sources[0].post_id == ids[0]
    assert ans.sources[0].url == f"https://t.me/asknews/{ans.sources[0].message_id}"
    assert ans.sources[0].quote in ans.text


async def test_a_question_the_channels_do_not_answer_is_not_found(app: App) -> None:
    await _world(app)
    ans = await ask(app, "What is the capital of Australia?")
    assert not ans.found and ans.text == "" and ans.sources == ()
    assert ans.message_key == "search.ask.not_found"


async def test_ask_rejects_bad_input(app: App) -> None:
    with pytest.raises(ReadError) as err:
        await ask(app, "и что")
    assert err.value.key == "search.query_no_words"


def test_grounding_check() -> None:
    passages = ["Проезд в трамвае подорожает до 45 рублей.", "Курортный сбор 100 рублей."]
    assert check_grounding("Проезд в трамвае подорожает до 45 рублей [1].", passages) is None
    assert "no citation" in (
        check_grounding("Проезд в трамвае подорожает до 45 рублей.", passages) or ""
    )
    assert "only passages 1-2" in (
        check_grounding("Проезд подорожает до 45 рублей [7].", passages) or ""
    )
    assert "number 60" in (
        check_grounding("Проезд в трамвае подорожает до 60 рублей [1].", passages) or ""
    )
    assert "not supported" in (
        check_grounding("Метро Казани закроют на ремонт летом [2].", passages) or ""
    )


@pytest.fixture
def llm_app(make_app: Callable[..., Any]) -> Callable[[FakeOpenAI], Any]:
    async def build(fake: FakeOpenAI) -> App:
        return await make_app(
            llm_provider="openai", llm_base_url=fake.url, llm_api_key="k", llm_max_retries=0
        )  # type: ignore[no-any-return]

    return build


async def test_llm_answer_with_valid_citations_is_used(llm_app: Any) -> None:
    with FakeOpenAI() as fake:
        app = await llm_app(fake)
        ids = await _world(app)
        fake.default_content = "Поездка на трамвае в Казани будет стоить 45 рублей [1]."
        ans = await ask(app, "Сколько будет стоить трамвай в Казани?")
        assert ans.mode == "llm" and ans.found
        assert ans.sources[0].post_id == ids[0] and "[1]" in ans.text
        prompt = fake.chat_requests[0]["messages"][-1]["content"]
        assert "[1]" in prompt and "45 рублей" in prompt


@pytest.mark.parametrize(
    "bad",
    [
        "Поездка на трамвае в Казани будет стоить 45 рублей.",  # no citation
        "Поездка на трамвае в Казани будет стоить 45 рублей [9].",  # a passage it was not given
    ],
)
async def test_llm_without_valid_citations_is_retried_once_then_extractive(
    llm_app: Any, bad: str
) -> None:
    with FakeOpenAI() as fake:
        app = await llm_app(fake)
        ids = await _world(app)
        fake.default_content = bad
        ans = await ask(app, "Сколько будет стоить трамвай в Казани?")
        assert fake.count("/chat/completions") == 2  # the answer and one retry
        assert "not acceptable" in fake.chat_requests[1]["messages"][-1]["content"]
        assert ans.mode == "extractive" and ans.found
        assert ans.message_key == "search.ask.llm_fallback"
        assert ans.sources[0].post_id == ids[0] and "45" in ans.text


async def test_llm_fixed_on_retry_is_used(llm_app: Any) -> None:
    with FakeOpenAI() as fake:
        app = await llm_app(fake)
        await _world(app)
        fake.queue(
            "Трамвай подорожает до 45 рублей [5].",
            "Трамвай в Казани подорожает до 45 рублей [1].",
        )
        ans = await ask(app, "Сколько будет стоить трамвай в Казани?")
        assert ans.mode == "llm" and ans.text.endswith("[1].")
