"""AI settings: documented, read from TGASSIST_* variables, offline by default."""

from __future__ import annotations

import pytest

from tgassist.ai.settings import AISettings
from tgassist.settings import Settings


def test_every_field_is_described() -> None:
    undocumented = [
        name for name, field in AISettings.model_fields.items() if not field.description
    ]
    assert undocumented == []


def test_defaults_are_offline_and_env_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    default = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (default.embedder, default.llm_provider, default.ocr_languages) == (
        "use",
        "none",
        "rus+eng",
    )
    monkeypatch.setenv("TGASSIST_LLM_PROVIDER", "openai")
    monkeypatch.setenv("TGASSIST_LLM_API_KEY", "sk-secret")
    monkeypatch.setenv("TGASSIST_TRANSLATE_CHUNK_ITEMS", "25")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.llm_provider == "openai" and s.translate_chunk_items == 25
    assert s.llm_api_key is not None and "sk-secret" not in repr(s)
