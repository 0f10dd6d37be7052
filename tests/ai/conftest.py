"""Fixtures of the AI tests: a fake OpenAI-compatible server and Apps wired to it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.openai_server import FakeOpenAI

GIGACHAT_CREDENTIALS = base64.b64encode(b"client-id:client-secret").decode()


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def llm_overrides(fake: FakeOpenAI) -> dict[str, Any]:
    """Settings of an OpenAI-compatible LLM at the fake, with fast retries."""
    return {
        "llm_provider": "openai",
        "llm_base_url": fake.url,
        "llm_api_key": "test-key",
        "llm_model": "test-model",
        "llm_timeout_sec": 5.0,
        "llm_max_retries": 2,
        "llm_retry_base_sec": 0.01,
        "llm_retry_max_sec": 0.05,
    }
