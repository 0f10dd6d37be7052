"""Batch translation with an LLM: JSON id-mapped chunks, validated, cached, retrying only what is missing.

Contract (relied on by products): N uncached distinct texts with `chunk_items` C and an LLM that
answers correctly cost exactly ceil(N / C) calls (unless `chunk_chars` splits sooner); the same
texts again cost 0 calls (Redis cache by source-text hash). Failures never raise: the result lists
the ids still missing and what went wrong.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from tgassist.ai.base import LLM, AIError, BudgetExceeded, ChatMessage
from tgassist.ai.llm import extract_json
from tgassist.ai.metrics import TRANSLATED_ITEMS
from tgassist.ai.text import is_mostly_cyrillic
from tgassist.core.i18n import Msg, render_stored

if TYPE_CHECKING:
    from tgassist.core.redis import Redis
    from tgassist.settings import Settings

log = structlog.get_logger(__name__)

PROMPT = (
    "You are a translator. The user sends a JSON object that maps ids to texts (mostly Russian). "
    "Translate every text into {target}. Reply with ONLY a JSON object with exactly the same ids, "
    "each mapped to its translation as a string. Keep numbers, dates, emojis and URLs; "
    "transliterate names that have no {target} form; never leave Cyrillic letters."
)


@dataclass
class TranslationResult:
    """What a batch achieved: translations by the caller's ids, ids left untranslated, and why."""

    translated: dict[str, str] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    calls: int = 0
    cached: int = 0
    # what went wrong, as stored messages ({"key", "params"}: `render_stored` shows them)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


class BatchTranslator:
    """Translates many short texts per LLM call. Reuse one instance; it is safe to share."""

    def __init__(
        self,
        llm: LLM,
        redis: Redis | None,
        *,
        chunk_items: int = 40,
        chunk_chars: int = 6000,
        max_retries: int = 2,
        cache_ttl_sec: int = 180 * 86400,
        concurrency: int = 4,
    ) -> None:
        self.llm = llm
        self.redis = redis
        self.chunk_items = chunk_items
        self.chunk_chars = chunk_chars
        self.max_retries = max_retries
        self.cache_ttl_sec = cache_ttl_sec
        self.concurrency = concurrency

    @property
    def provider(self) -> str:
        """The LLM provider doing the translating (stored beside translations)."""
        return str(getattr(self.llm, "provider", "llm"))

    # --- public ----------------------------------------------------------------------------------
    async def translate(
        self, items: dict[str, str], *, target: str = "English"
    ) -> TranslationResult:
        """Translate `items` (caller id → text). Never raises for provider or answer failures."""
        result = TranslationResult()
        by_text: dict[str, list[str]] = {}
        for item_id, text in items.items():
            if not text.strip():
                result.translated[item_id] = text
                continue
            by_text.setdefault(text, []).append(item_id)
        if not by_text:
            return result

        sources = list(by_text)
        done: dict[str, str] = await self._cached(sources, target)
        result.cached = sum(len(by_text[s]) for s in done)
        # Short request ids instead of the caller's: fewer tokens, and nothing odd to echo back.
        pending = {str(n): s for n, s in enumerate((s for s in sources if s not in done), 1)}
        fresh: dict[str, str] = {}
        for _ in range(self.max_retries + 1):
            if not pending:
                break
            got, stop = await self._round(pending, target, result)
            fresh.update({pending[k]: v for k, v in got.items()})
            pending = {k: s for k, s in pending.items() if k not in got}
            if stop:
                break
        await self._store(fresh, target)
        done.update(fresh)

        for text, ids in by_text.items():
            for item_id in ids:
                if text in done:
                    result.translated[item_id] = done[text]
                else:
                    result.missing.add(item_id)
        TRANSLATED_ITEMS.labels("cached").inc(result.cached)
        TRANSLATED_ITEMS.labels("translated").inc(len(result.translated) - result.cached)
        TRANSLATED_ITEMS.labels("missing").inc(len(result.missing))
        if result.missing:
            log.warning(
                "translation incomplete",
                missing=len(result.missing),
                errors=[render_stored(e, "en") for e in result.errors[-3:]],
            )
        return result

    # --- one round over the pending ids ----------------------------------------------------------
    async def _round(
        self, pending: dict[str, str], target: str, result: TranslationResult
    ) -> tuple[dict[str, str], bool]:
        """Ask for every chunk of `pending`; return the valid answers and whether to stop (budget)."""
        chunks = self._chunks(pending)
        gate = asyncio.Semaphore(self.concurrency)
        stop = asyncio.Event()

        async def run(chunk: dict[str, str]) -> dict[str, str]:
            async with gate:
                if stop.is_set():
                    return {}
                result.calls += 1
                try:
                    reply = await self.llm.complete(
                        [
                            ChatMessage("system", PROMPT.format(target=target)),
                            ChatMessage("user", json.dumps(chunk, ensure_ascii=False)),
                        ],
                        temperature=0.0,
                        json_mode=True,
                    )
                except BudgetExceeded as err:
                    result.calls -= 1  # refused before any request was made
                    stop.set()
                    result.errors.append(err.msg.to_dict())
                    return {}
                except AIError as err:
                    result.errors.append(
                        Msg(
                            "core.ai.translate.chunk_failed", {"count": len(chunk), "error": err}
                        ).to_dict()
                    )
                    return {}
                return self._validate(chunk, reply.text, result)

        answers = await asyncio.gather(*(run(c) for c in chunks))
        merged: dict[str, str] = {}
        for answer in answers:
            merged.update(answer)
        return merged, stop.is_set()

    def _chunks(self, pending: dict[str, str]) -> list[dict[str, str]]:
        chunks: list[dict[str, str]] = []
        current: dict[str, str] = {}
        size = 0
        for key, text in pending.items():
            if current and (
                len(current) >= self.chunk_items or size + len(text) > self.chunk_chars
            ):
                chunks.append(current)
                current, size = {}, 0
            current[key] = text
            size += len(text)
        if current:
            chunks.append(current)
        return chunks

    @staticmethod
    def _validate(chunk: dict[str, str], text: str, result: TranslationResult) -> dict[str, str]:
        try:
            data: Any = extract_json(text)
        except ValueError:
            result.errors.append(
                Msg(
                    "core.ai.translate.invalid_json",
                    {"count": len(chunk), "answer": repr(text[:120])},
                ).to_dict()
            )
            return {}
        if (
            isinstance(data, dict)
            and len(data) == 1
            and isinstance(next(iter(data.values())), dict)
        ):
            data = next(iter(data.values()))  # {"translations": {...}}
        if not isinstance(data, dict):
            result.errors.append(
                Msg("core.ai.translate.not_object", {"count": len(chunk)}).to_dict()
            )
            return {}
        good: dict[str, str] = {}
        wrong = [k for k in data if str(k) not in chunk]
        if wrong:
            result.errors.append(
                Msg(
                    "core.ai.translate.unknown_ids", {"count": len(chunk), "ids": str(wrong[:5])}
                ).to_dict()
            )
        rejected = []
        for key in chunk:
            value = data.get(key)
            if isinstance(value, str) and value.strip() and not is_mostly_cyrillic(value):
                good[key] = value.strip()
            elif key in data:
                rejected.append(key)
        absent = len(chunk) - len(good) - len(rejected)
        if rejected:
            result.errors.append(
                Msg(
                    "core.ai.translate.untranslated",
                    {"count": len(chunk), "rejected": len(rejected)},
                ).to_dict()
            )
        if absent:
            result.errors.append(
                Msg(
                    "core.ai.translate.ids_missing", {"count": len(chunk), "absent": absent}
                ).to_dict()
            )
        return good

    # --- cache -----------------------------------------------------------------------------------
    @staticmethod
    def _key(text: str, target: str) -> str:
        digest = hashlib.sha256(f"{target}\x00{text}".encode()).hexdigest()[:40]
        return f"ai:translate:{digest}"

    async def _cached(self, sources: list[str], target: str) -> dict[str, str]:
        if self.redis is None:
            return {}
        try:
            values = await self.redis.mget([self._key(s, target) for s in sources])
        except Exception as err:  # a cache outage costs calls, not the batch
            log.warning("translation cache unavailable", error=str(err))
            return {}
        return {
            s: v.decode() if isinstance(v, bytes) else v
            for s, v in zip(sources, values, strict=True)
            if v
        }

    async def _store(self, fresh: dict[str, str], target: str) -> None:
        if self.redis is None or not fresh:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for source, text in fresh.items():
                    pipe.set(self._key(source, target), text, ex=self.cache_ttl_sec)
                await pipe.execute()
        except Exception as err:
            log.warning("translation cache write failed", error=str(err))


def build_translator(
    settings: Settings, llm: LLM | None, redis: Redis | None
) -> BatchTranslator | None:
    """The batch translator, or None without an LLM (titles then wait for a later backfill)."""
    if llm is None or not settings.translate_enabled:
        return None
    return BatchTranslator(
        llm,
        redis,
        chunk_items=settings.translate_chunk_items,
        chunk_chars=settings.translate_chunk_chars,
        max_retries=settings.translate_max_retries,
        cache_ttl_sec=settings.translate_cache_ttl_sec,
        concurrency=settings.translate_concurrency,
    )
