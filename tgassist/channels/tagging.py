"""Post tags: LLM keyphrases when an LLM is configured, else offline keyphrases; plus topics.

Offline keyphrases are hashtags and the most frequent nouns (pymorphy3 lemmas) and Latin words,
stop words dropped. Topics are zero-shot: the post's embedding against a RU/EN taxonomy
(`topic:<id>` tags). LLM tags are strict JSON, and a tag survives only if every word of it
occurs in the post (compared as lemmas). Results are cached in Redis by text hash.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

import numpy as np
import structlog
from pydantic import BaseModel, Field

from tgassist.ai.base import AIError, ChatMessage
from tgassist.ai.text import CYRILLIC_RE, LATIN_RE, STOP_WORDS, lemma, morph, tokens
from tgassist.channels.embedcache import cached_embed, post_document, text_hash
from tgassist.channels.metrics import TAGGING
from tgassist.core.errors import ConfigError

if TYPE_CHECKING:
    from tgassist.ai.base import LLM, Embedder
    from tgassist.app import App
    from tgassist.core.redis import Redis

log = structlog.get_logger(__name__)

TAXONOMY_PATH = Path(__file__).resolve().parent / "data" / "taxonomy.json"
HASHTAG_RE = re.compile(r"#(\w{2,50})")
TOPIC_MARGIN = 0.1  # a second topic must score within this of the best one
LLM_TEXT_CHARS = 4000


@dataclass(frozen=True)
class Topic:
    id: str
    ru: str
    en: str
    examples: str

    def documents(self) -> list[str]:
        """One text per language; a post's topic score is its best match among them."""
        ru, _, en = self.examples.partition(";")
        return [f"{self.ru}: {ru.strip()}", f"{self.en}: {en.strip() or ru.strip()}"]


@lru_cache(maxsize=8)
def load_taxonomy(path: str | None = None) -> tuple[Topic, ...]:
    """Topics from a JSON file (`{"topics": [{id, ru, en, examples}]}`); ConfigError if unusable."""
    source = Path(path) if path else TAXONOMY_PATH
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        topics = tuple(
            Topic(t["id"], t["ru"], t["en"], t.get("examples", "")) for t in data["topics"]
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(
            "channels.config.taxonomy_unreadable", path=str(source), error=str(err)
        ) from err
    if not topics:
        raise ConfigError("channels.config.taxonomy_empty", path=str(source))

    return topics


def normalise_tag(tag: str) -> str:
    """Lowercase lemmas of the tag's words (`#Нейросети` → `нейросеть`)."""
    return " ".join(lemma(t) for t in tokens(tag.lstrip("#")))


@lru_cache(maxsize=200_000)
def _keyword(token: str) -> str | None:
    """The lemma of a token worth tagging (a noun, or a Latin word), else None."""
    if len(token) < 3 or token.isdigit() or token in STOP_WORDS:
        return None
    if CYRILLIC_RE.search(token):
        parse = morph().parse(token)[0]
        if parse.tag.POS != "NOUN":
            return None
        lem = str(parse.normal_form).replace("ё", "е")
        return None if lem in STOP_WORDS or len(lem) < 3 else lem
    if LATIN_RE.search(token) and not token[0].isdigit():
        return token
    return None


def keyphrases(text: str, limit: int) -> list[str]:
    """Hashtags first, then the most frequent keyword lemmas (earlier first on ties)."""
    out: list[str] = []
    for tag in HASHTAG_RE.findall(text):
        norm = normalise_tag(tag) or tag.lower()
        if norm and norm not in out:
            out.append(norm)
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for pos, tok in enumerate(tokens(HASHTAG_RE.sub(" ", text))):
        kw = _keyword(tok)
        if kw:
            counts[kw] += 1
            first.setdefault(kw, pos)
    ranked = sorted(counts, key=lambda k: (-counts[k], first[k]))
    out.extend(k for k in ranked if k not in out)
    return out[:limit]


class LLMTags(BaseModel):
    """The JSON an LLM must answer with."""

    tags: list[str] = Field(default_factory=list, max_length=40)


LLM_PROMPT = (
    'You tag posts of Telegram channels. Reply with JSON {"tags": [...]}: up to %d short keywords or '
    "key phrases (1-3 words each) copied from the post, most important first, in the post's language. "
    "Only words that occur in the post; no # signs, no explanations."
)


@dataclass
class TagResult:
    """Tags of one text: keyphrases + topics, which provider made them, whether from the cache."""

    tags: list[str]
    provider: str
    keyphrases: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    cached: bool = False
    llm_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Tagger:
    """Tags texts; one per App (topic vectors are embedded once)."""

    def __init__(
        self,
        redis: Redis,
        embedder: Embedder | None,
        llm: LLM | None,
        *,
        max_tags: int = 8,
        max_topics: int = 2,
        threshold: float = 0.28,
        cache_ttl: int = 30 * 86400,
        taxonomy: tuple[Topic, ...] = (),
        max_chars: int = 2000,
    ) -> None:
        self.redis = redis
        self.embedder = embedder
        self.llm = llm
        self.max_tags = max_tags
        self.max_topics = max_topics
        self.threshold = threshold
        self.cache_ttl = cache_ttl
        self.taxonomy = taxonomy or load_taxonomy(None)
        self.max_chars = max_chars
        self._topic_vectors: np.ndarray | None = None
        self._topic_owner = np.array(
            [i for i, t in enumerate(self.taxonomy) for _ in t.documents()]
        )

    @classmethod
    def for_app(cls, app: App) -> Tagger:
        tagger = _TAGGERS.get(app)
        if tagger is None:
            s = app.settings
            tagger = _TAGGERS[app] = cls(
                app.redis,
                app.embedder,
                app.llm,
                max_tags=s.tagging_max_tags,
                max_topics=s.tagging_max_topics,
                threshold=s.tagging_topic_threshold,
                cache_ttl=s.tagging_cache_ttl_sec,
                taxonomy=load_taxonomy(
                    str(s.tagging_taxonomy_path) if s.tagging_taxonomy_path else None
                ),
                max_chars=s.index_text_max_chars,
            )
        return tagger

    @property
    def provider(self) -> str:
        return f"llm:{self.llm.provider}:{self.llm.model}" if self.llm is not None else "offline"

    def _cache_key(self, provider: str, document: str) -> str:
        model = self.embedder.name if self.embedder is not None else "-"
        params = f"{provider}|{model}|{self.max_tags}|{self.max_topics}|{self.threshold}|{len(self.taxonomy)}"
        return f"tags:v1:{text_hash(params)[:12]}:{text_hash(document)[:32]}"

    async def tag(self, text: str, ocr: str = "") -> TagResult:
        """Tags of a post's text (+ OCR text). An LLM failure falls back to offline keyphrases."""
        return (await self.tag_many([(text, ocr)]))[0]

    async def tag_many(self, items: list[tuple[str, str]]) -> list[TagResult]:
        """Tags of many (text, OCR text) pairs: one cache lookup, one embedding call for the misses."""
        docs = [post_document(text, ocr, max_chars=self.max_chars) for text, ocr in items]
        results: list[TagResult | None] = [None if d else TagResult([], "none") for d in docs]
        todo = [i for i, d in enumerate(docs) if d]
        if not todo:
            return [r for r in results if r is not None]
        keys = {i: self._cache_key(self.provider, docs[i]) for i in todo}
        for i, hit in zip(todo, await self.redis.mget([keys[i] for i in todo]), strict=True):
            if hit:
                TAGGING.labels(self.provider, "hit").inc()
                results[i] = TagResult(**{**json.loads(hit), "cached": True})
        misses = [i for i in todo if results[i] is None]
        if misses:
            phrases = await asyncio.gather(*(self._phrases(docs[i]) for i in misses))
            topics = await self.topics_many([docs[i] for i in misses])
            pipe = self.redis.pipeline(transaction=False)
            for i, (words, provider, llm_error), found in zip(misses, phrases, topics, strict=True):
                result = TagResult(
                    _merge(words, found), provider, words, found, llm_error=llm_error
                )
                results[i] = result
                TAGGING.labels(provider, "miss").inc()
                if llm_error is None:  # a failure is not cached: the LLM is asked again next time
                    payload = {k: v for k, v in result.as_dict().items() if k != "cached"}
                    pipe.set(keys[i], json.dumps(payload, ensure_ascii=False), ex=self.cache_ttl)
            await pipe.execute()
        return [r for r in results if r is not None]

    async def _phrases(self, document: str) -> tuple[list[str], str, str | None]:
        """(keyphrases, provider, LLM error): the LLM's, or offline ones when it fails."""
        if self.llm is not None:
            try:
                return await self._llm_keyphrases(document), self.provider, None
            except AIError as err:  # invalid JSON after re-asks, timeout, budget
                error = str(err)[:500]
                log.warning("llm tagging failed; offline keyphrases used", error=error)
                return keyphrases(document, self.max_tags), "offline", error
        return keyphrases(document, self.max_tags), "offline", None

    async def _llm_keyphrases(self, document: str) -> list[str]:
        assert self.llm is not None
        answer = await self.llm.complete_json(
            [
                ChatMessage("system", LLM_PROMPT % self.max_tags),
                ChatMessage("user", document[:LLM_TEXT_CHARS]),
            ],
            LLMTags,
        )
        present = {lemma(t) for t in tokens(document)}
        out: list[str] = []
        for raw in answer.tags:
            norm = normalise_tag(raw)
            words = norm.split()
            if not words or all(w in STOP_WORDS for w in words):
                continue
            if all(w in present for w in words) and norm not in out:  # invented tags are dropped
                out.append(norm)
        return out[: self.max_tags]

    async def topics(self, document: str) -> list[str]:
        """`topic:<id>` tags whose taxonomy entry is similar enough to the document."""
        return (await self.topics_many([document]))[0]

    async def topics_many(self, documents: list[str]) -> list[list[str]]:
        if self.embedder is None or self.max_topics == 0:
            return [[] for _ in documents]
        if self._topic_vectors is None:
            docs = [d for t in self.taxonomy for d in t.documents()]
            self._topic_vectors = await self.embedder.embed(docs)
        todo = [i for i, d in enumerate(documents) if d.strip()]
        out: list[list[str]] = [[] for _ in documents]
        if not todo:
            return out
        vectors = await cached_embed(self.redis, self.embedder, [documents[i] for i in todo])
        for i, vec in zip(todo, vectors, strict=True):
            sims = self._topic_vectors @ vec
            scores = np.full(len(self.taxonomy), -1.0, dtype=np.float32)
            np.maximum.at(scores, self._topic_owner, sims)
            order = np.argsort(-scores)
            best = float(scores[order[0]])
            out[i] = [
                f"topic:{self.taxonomy[k].id}"
                for k in order[: self.max_topics]
                if scores[k] >= self.threshold and scores[k] >= best - TOPIC_MARGIN
            ]
        return out


def _merge(phrases: list[str], topics: list[str]) -> list[str]:
    out: list[str] = []
    for t in [*phrases, *topics]:
        if t and t not in out:
            out.append(t)
    return out


_TAGGERS: WeakKeyDictionary[App, Tagger] = WeakKeyDictionary()

__all__ = [
    "LLMTags",
    "TagResult",
    "Tagger",
    "Topic",
    "keyphrases",
    "load_taxonomy",
    "normalise_tag",
]
