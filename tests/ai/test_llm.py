"""LLM clients against a local server answering like the real APIs (OpenAI-compatible and GigaChat)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from prometheus_client import REGISTRY
from pydantic import BaseModel

from tests.ai.conftest import GIGACHAT_CREDENTIALS
from tests.fakes.openai_server import FakeOpenAI, FakeResponse
from tgassist.ai import (
    AIError,
    ChatMessage,
    GigaChatLLM,
    OpenAICompatibleLLM,
    build_llm,
    extract_json,
)
from tgassist.settings import Settings

PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


class Tags(BaseModel):
    tags: list[str]
    score: int


def _settings(**kw: object) -> Settings:
    return Settings(_env_file=None, **kw)  # type: ignore[call-arg]


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_no_provider_means_offline() -> None:
    assert build_llm(_settings(), None) is None


async def test_complete_sends_the_openai_request_and_reads_usage(
    fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    llm = build_llm(
        _settings(**llm_overrides, llm_cost_per_1k_prompt=2.0, llm_cost_per_1k_completion=4.0), None
    )
    assert isinstance(llm, OpenAICompatibleLLM)
    prompt_before = _metric("tgassist_ai_tokens_total", provider="openai", direction="prompt")
    fake.queue(FakeResponse(content="Привет!", prompt_tokens=100, completion_tokens=50))
    result = await llm.complete(
        [ChatMessage("system", "be brief"), ChatMessage("user", "hi")], max_tokens=20
    )
    await llm.aclose()
    assert (result.text, result.prompt_tokens, result.completion_tokens) == ("Привет!", 100, 50)
    assert result.cost == pytest.approx(0.4)  # 100 × 2/1000 + 50 × 4/1000
    sent = fake.chat_requests[0]
    assert sent["model"] == "test-model" and sent["max_tokens"] == 20
    assert sent["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]
    assert "response_format" not in sent
    assert fake.requests[0].headers["Authorization"] == "Bearer test-key"
    assert (
        _metric("tgassist_ai_tokens_total", provider="openai", direction="prompt")
        == prompt_before + 100
    )


async def test_json_mode_and_images_use_the_api_shapes(
    fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    llm = build_llm(_settings(**llm_overrides), None)
    assert llm is not None
    await llm.complete([ChatMessage("user", "what is this?")], json_mode=True, images=[PIXEL_PNG])
    await llm.aclose()
    sent = fake.chat_requests[0]
    assert sent["response_format"] == {"type": "json_object"}
    text_part, image_part = sent["messages"][0]["content"]
    assert text_part == {"type": "text", "text": "what is this?"}
    assert image_part["image_url"]["url"].startswith("data:image/png;base64,iVBOR")


async def test_retries_429_and_5xx_with_backoff_then_succeeds(
    fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    llm = build_llm(_settings(**llm_overrides), None)
    assert llm is not None
    fake.queue(
        FakeResponse.error(429, headers={"Retry-After": "0"}), FakeResponse.error(502), "done"
    )
    result = await llm.complete([ChatMessage("user", "hi")])
    await llm.aclose()
    assert result.text == "done" and fake.calls == 3


async def test_gives_up_after_retries_naming_the_provider(
    fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    llm = build_llm(_settings(**llm_overrides), None)
    assert llm is not None
    failures_before = _metric(
        "tgassist_ai_failures_total", provider="openai", reason="server_error"
    )
    fake.queue(*[FakeResponse.error(500)] * 3)
    with pytest.raises(
        AIError, match=r"openai-compatible LLM test-model at 127\.0\.0\.1.*3 attempts.*HTTP 500"
    ):
        await llm.complete([ChatMessage("user", "hi")])
    assert fake.calls == 3
    assert (
        _metric("tgassist_ai_failures_total", provider="openai", reason="server_error")
        == failures_before + 1
    )

    fake.queue(FakeResponse.error(401, "bad key"))
    with pytest.raises(AIError, match="HTTP 401.*Check the API key") as denied:
        await llm.complete([ChatMessage("user", "hi")])
    assert fake.calls == 4  # a client error is not retried
    # the operator reads it in their language: a key, both texts say to check the key
    assert denied.value.key == "core.ai.http_denied"
    assert denied.value.params["status"] == 401
    assert "Проверьте ключ API" in denied.value.render("ru")

    fake.queue(FakeResponse.invalid_json())
    with pytest.raises(AIError, match="invalid JSON"):
        await llm.complete([ChatMessage("user", "hi")])
    await llm.aclose()


async def test_timeout_is_retried_then_reported(
    fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    llm = build_llm(
        _settings(**{**llm_overrides, "llm_timeout_sec": 0.2, "llm_max_retries": 1}), None
    )
    assert llm is not None
    fake.queue(FakeResponse.slow(1.0), FakeResponse.slow(1.0))
    with pytest.raises(AIError, match="timed out after 0.2s"):
        await llm.complete([ChatMessage("user", "hi")])
    await llm.aclose()
    assert fake.calls == 2


async def test_complete_json_reasks_with_the_error_until_valid(
    fake: FakeOpenAI, llm_overrides: dict[str, Any]
) -> None:
    llm = build_llm(_settings(**llm_overrides), None)
    assert llm is not None
    fake.queue(
        "Sure! Here you go: {tags: broken",
        '{"tags": ["музыка"], "score": "high"}',
        '```json\n{"tags": ["музыка", "джаз"], "score": 7}\n```',
    )
    result = await llm.complete_json([ChatMessage("user", "tag this post")], Tags)
    assert result == Tags(tags=["музыка", "джаз"], score=7)
    assert fake.calls == 3
    second, third = fake.chat_requests[1], fake.chat_requests[2]
    assert "not valid JSON" in second["messages"][-1]["content"]
    assert (
        "score" in third["messages"][-1]["content"]
        and "integer" in third["messages"][-1]["content"]
    )
    assert all(
        r["temperature"] == 0.0 and r["response_format"] == {"type": "json_object"}
        for r in fake.chat_requests
    )
    assert (
        '"tags"' in fake.chat_requests[0]["messages"][0]["content"]
    )  # the schema is in the prompt

    fake.reset()
    fake.queue("nope", "still nope")
    with pytest.raises(AIError, match="no valid Tags JSON after 2 tries"):
        await llm.complete_json([ChatMessage("user", "tag this post")], Tags, retries=1)
    assert fake.calls == 2
    await llm.aclose()


def test_extract_json_tolerates_fences_and_chatter() -> None:
    assert extract_json('```json\n{"a": 1}\n```') == {"a": 1}
    assert extract_json('Answer: {"a": [1, 2]} hope it helps') == {"a": [1, 2]}
    with pytest.raises(ValueError):
        extract_json("no json here")


def _gigachat_settings(fake: FakeOpenAI, **kw: object) -> Settings:
    return _settings(
        llm_provider="gigachat",
        gigachat_credentials=GIGACHAT_CREDENTIALS,
        gigachat_scope="GIGACHAT_API_B2B",
        gigachat_base_url=fake.url,
        gigachat_auth_url=fake.oauth_url,
        llm_max_retries=0,
        **kw,
    )


async def test_gigachat_sdk_client_gets_a_token_and_chats(fake: FakeOpenAI) -> None:
    llm = build_llm(_gigachat_settings(fake, gigachat_model="GigaChat-Pro"), None)
    assert isinstance(llm, GigaChatLLM)
    fake.queue(
        FakeResponse(content="Здравствуйте", prompt_tokens=40, completion_tokens=9),
        "oops",
        '{"tags": ["спорт"], "score": 3}',
    )
    result = await llm.complete([ChatMessage("user", "привет")], temperature=0.0)
    assert (result.provider, result.model, result.prompt_tokens, result.completion_tokens) == (
        "gigachat",
        "GigaChat-Pro",
        40,
        9,
    )
    tags = await llm.complete_json([ChatMessage("user", "tag")], Tags)
    await llm.aclose()
    assert tags == Tags(tags=["спорт"], score=3) and fake.count("/chat/completions") == 3
    assert fake.oauth_calls == 1
    sent = fake.chat_requests[0]
    assert sent["model"] == "GigaChat-Pro" and sent["messages"] == [
        {"role": "user", "content": "привет"}
    ]
    assert 0 < sent["temperature"] <= 0.01  # GigaChat refuses 0
    assert fake.requests[0].headers["Authorization"].startswith("Bearer fake-token-")


async def test_gigachat_errors_become_ai_errors(fake: FakeOpenAI) -> None:
    llm = build_llm(_gigachat_settings(fake), None)
    assert llm is not None
    fake.queue(FakeResponse.error(500, "internal"))
    with pytest.raises(AIError, match=r"gigachat \(GigaChat\).*500"):
        await llm.complete([ChatMessage("user", "привет")])
    fake.queue({"unexpected": "shape"})
    with pytest.raises(AIError, match="gigachat"):
        await llm.complete([ChatMessage("user", "привет")])
    await llm.aclose()


def test_gigachat_without_credentials_is_a_config_error() -> None:
    from tgassist.core.errors import ConfigError

    with pytest.raises(ConfigError, match="TGASSIST_GIGACHAT_CREDENTIALS"):
        build_llm(_settings(llm_provider="gigachat"), None)


def test_fake_translation_request_shape_roundtrip() -> None:
    # the fake's translation responder reads what the translator sends: a JSON object of id → text
    from tests.fakes.openai_server import RecordedRequest, translation_responder

    body = {
        "messages": [{"role": "user", "content": json.dumps({"1": "Москва"}, ensure_ascii=False)}]
    }
    request = RecordedRequest("POST", "/v1/chat/completions", {}, b"", body)
    assert json.loads(translation_responder()(request) or "") == {"1": "Moskva"}
