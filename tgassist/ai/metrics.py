"""Prometheus metrics of the AI providers: calls, tokens, cost, failures, budget refusals."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

AI_CALLS = Counter(
    "tgassist_ai_calls_total", "AI provider calls, by outcome", ["provider", "kind", "outcome"]
)
AI_TOKENS = Counter("tgassist_ai_tokens_total", "LLM tokens used", ["provider", "direction"])
AI_COST = Counter("tgassist_ai_cost_total", "LLM cost (in the configured price unit)", ["provider"])
AI_FAILURES = Counter(
    "tgassist_ai_failures_total", "AI provider failures after retries", ["provider", "reason"]
)
AI_RETRIES = Counter("tgassist_ai_retries_total", "AI requests retried", ["provider", "reason"])
AI_BUDGET_EXCEEDED = Counter(
    "tgassist_ai_budget_exceeded_total", "LLM calls refused by the daily budget", ["provider"]
)
AI_SECONDS = Histogram(
    "tgassist_ai_seconds",
    "AI provider call latency",
    ["provider", "kind"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
EMBEDDED_TEXTS = Counter("tgassist_ai_embedded_texts_total", "Texts embedded", ["model"])
TRANSLATED_ITEMS = Counter(
    "tgassist_ai_translated_items_total", "Batch translator items, by outcome", ["outcome"]
)
OCR_IMAGES = Counter("tgassist_ai_ocr_images_total", "Images through OCR, by outcome", ["outcome"])
