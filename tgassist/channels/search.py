"""Hybrid search over posts: BM25 (RU/EN stemming, stop words, typo and layout fixes) fused with
the dense index by reciprocal rank fusion, a mild recency boost, one result per album, reposts
collapsed, snippets with the matched words marked and a link to each post."""

from __future__ import annotations

import asyncio
import math
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from tgassist.channels.corpus import Corpus, Doc, corpus_of
from tgassist.channels.lexical import LexicalIndex, analyze, word_terms, words
from tgassist.channels.read_errors import ReadError

if TYPE_CHECKING:
    from tgassist.app import App

MAX_QUERY_CHARS = 1000
MAX_LIMIT = 100
RRF_K = 60
FUSE_DEPTH = 200
APPROX_DEPTH = 2000  # candidates of the approximate dense pass scored exactly
DUP_JACCARD = 0.8
SNIPPET_CHARS = 220


@dataclass(frozen=True)
class SearchQuery:
    """What to look for, and where. `channel_ids` None = every channel (the CLI)."""

    text: str
    channel_ids: tuple[int, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    tags: tuple[str, ...] = ()
    limit: int = 10
    offset: int = 0


@dataclass(frozen=True)
class SearchHit:
    """One result: a post (an album counts once) with where it matched."""

    post_id: int
    channel_id: int
    channel: str
    channel_title: str
    message_id: int
    date: datetime
    score: float
    snippet: str
    url: str | None
    source_label: str
    matched_in: tuple[str, ...]
    album_id: int | None = None
    tags: tuple[str, ...] = ()
    duplicates: tuple[int, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    hits: tuple[SearchHit, ...]
    total: int
    lexical_only: bool = False
    corrections: tuple[tuple[str, str], ...] = ()
    took_ms: float = 0.0


@dataclass
class Ranked:
    """Fused ranking before the page is cut: slots best first, with scores (ask reuses it)."""

    slots: list[int]
    scores: list[float]
    dense: dict[int, float] = field(default_factory=dict)
    lexical: dict[int, float] = field(default_factory=dict)
    terms: list[str] = field(default_factory=list)
    corrections: list[tuple[str, str]] = field(default_factory=list)
    duplicates: dict[int, list[int]] = field(default_factory=dict)
    total: int = 0


def post_url(username: str | None, message_id: int) -> str | None:
    """https://t.me/<username>/<id>; None for a channel without a public username (an export)."""
    return f"https://t.me/{username}/{message_id}" if username else None


def validate_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ReadError("search.query_empty")
    if len(text) > MAX_QUERY_CHARS:
        raise ReadError("search.query_too_long", max=MAX_QUERY_CHARS, length=len(text))
    return text


def query_terms(text: str, lexical: LexicalIndex) -> tuple[list[str], list[tuple[str, str]]]:
    """Query terms with typos and wrong-layout words fixed against the index's vocabulary."""
    terms: list[str] = []
    fixes: list[tuple[str, str]] = []
    for w, _s, _e in words(text):
        plain = word_terms(w)
        fixed = lexical.correct(w)
        if fixed != plain and fixed:
            fixes.append((w, fixed[0]))
            terms.extend(fixed)
        terms.extend(plain)
    return terms, fixes


class QueryVectors:
    """The vectors of the last QUERY_CACHE_SIZE queries of this process, per embedder: a repeated
    query (ask embeds the question search already embedded; a user paging results) is not
    embedded again."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.by_embedder: weakref.WeakKeyDictionary[Any, OrderedDict[str, np.ndarray]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, embedder: Any, text: str) -> np.ndarray | None:
        cache = self.by_embedder.get(embedder)
        vec = cache.get(text) if cache is not None else None
        if cache is not None and vec is not None:
            cache.move_to_end(text)
        return vec

    def put(self, embedder: Any, text: str, vec: np.ndarray) -> None:
        cache = self.by_embedder.setdefault(embedder, OrderedDict())
        cache[text] = vec
        if len(cache) > self.size:
            cache.popitem(last=False)

    def clear(self) -> None:
        self.by_embedder.clear()


QUERY_CACHE_SIZE = 1024
QUERY_VECTORS = QueryVectors(QUERY_CACHE_SIZE)


def _local(embedder: Any) -> bool:
    from tgassist.ai.embeddings import E5Embedder, UseEmbedder

    return isinstance(embedder, UseEmbedder | E5Embedder)


async def embed_query(app: App, text: str) -> np.ndarray | None:
    """The query's vector: this process's cache, else the model (a local model directly; a
    remote one through the shared Redis cache, where another process may have paid for it)."""
    from tgassist.channels.embedcache import cached_embed

    embedder = app.embedder
    vec = QUERY_VECTORS.get(embedder, text)
    if vec is not None:
        return vec
    fn = getattr(embedder, "embed_query", None)
    if fn is not None:
        vecs = await fn([text])
    elif _local(embedder):
        vecs = await embedder.embed([text])
    else:
        vecs = await cached_embed(app.redis, embedder, [text])
    vec = np.ascontiguousarray(vecs[0], dtype=np.float32)
    vec.setflags(write=False)
    QUERY_VECTORS.put(embedder, text, vec)
    return vec


def _mask(corpus: Corpus, q: SearchQuery) -> np.ndarray:
    mask = corpus.alive_mask()
    if q.channel_ids is not None:
        mask &= np.isin(corpus.channel_col.view, np.asarray(q.channel_ids, dtype=np.int64))
    if q.since is not None:
        mask &= corpus.ts_col.view >= int(q.since.timestamp())
    if q.until is not None:
        mask &= corpus.ts_col.view <= int(q.until.timestamp())
    return mask


def _top(scores: np.ndarray, mask: np.ndarray, depth: int) -> list[int]:
    cand = np.flatnonzero(mask & (scores > 0))
    if len(cand) > depth:
        cand = cand[np.argpartition(-scores[cand], depth)[:depth]]
    return [int(i) for i in cand[np.argsort(-scores[cand], kind="stable")]]


@cache
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def dense_pass(corpus: Corpus, qvec: np.ndarray, mask: np.ndarray) -> tuple[list[int], dict]:
    """The FUSE_DEPTH posts nearest to the query (slots, best first) and their cosines. A big
    corpus is first scored on its projected vectors; the best APPROX_DEPTH of those are then
    scored exactly, and only exact cosines rank. One BLAS thread: a memory-bound product gains
    little from a second, and on cores shared with other work its spinning threads made the slow
    queries 2x slower (p95 47-56 ms vs 23 ms at load 4.8 on 2 cores)."""
    with _blas().limit(limits=1, user_api="blas"):
        return _dense_pass(corpus, qvec, mask)


def _dense_pass(corpus: Corpus, qvec: np.ndarray, mask: np.ndarray) -> tuple[list[int], dict]:
    vecs = corpus.vec_col.view
    if corpus.low_col is not None and corpus.proj is not None:
        approx = corpus.low_col.view @ (qvec @ corpus.proj)
        cand = np.flatnonzero(mask)
        if len(cand) > APPROX_DEPTH:
            cand = cand[np.argpartition(-approx[cand], APPROX_DEPTH)[:APPROX_DEPTH]]
        exact = vecs[cand] @ qvec
    else:
        cand = np.flatnonzero(mask)
        exact = (vecs @ qvec)[cand]
    if len(cand) > FUSE_DEPTH:
        keep = np.argpartition(-exact, FUSE_DEPTH)[:FUSE_DEPTH]
        cand, exact = cand[keep], exact[keep]
    order = np.argsort(-exact, kind="stable")
    slots = [int(s) for s in cand[order]]
    return slots, dict(zip(slots, (float(x) for x in exact[order]), strict=True))


async def rank(
    app: App, q: SearchQuery, *, now: datetime | None = None, need: int | None = None
) -> tuple[Corpus, Ranked]:
    """The fused ranking of matching posts (albums and reposts collapsed), the first `need` of
    them (all when None); `Ranked.total` counts every candidate."""
    text = validate_text(q.text)
    corpus = await corpus_of(app)
    # The model embeds the query in its thread while the words are scored here.
    embedding = (
        asyncio.ensure_future(embed_query(app, text))
        if corpus.dense_ok and corpus.has_vec.view.any()
        else None
    )
    try:
        terms, fixes = query_terms(text, corpus.lexical)
        if not terms:
            raise ReadError("search.query_no_words")
        mask = _mask(corpus, q)
        lex = corpus.lexical.scores(terms)
        lex_top = _top(lex, mask, FUSE_DEPTH)
        qvec = await embedding if embedding is not None else None
    finally:
        if embedding is not None and not embedding.done():
            embedding.cancel()
    dense_top: list[int] = []
    dense: dict[int, float] = {}
    if qvec is not None:
        dense_top, dense = dense_pass(corpus, qvec, mask & corpus.has_vec.view)
    fused: dict[int, float] = {}
    for ranked in (lex_top, dense_top):
        for r, slot in enumerate(ranked):
            fused[slot] = fused.get(slot, 0.0) + 1.0 / (RRF_K + r + 1)
    now_ts = (now or datetime.now(UTC)).timestamp()
    half = app.settings.search_recency_half_life_days * 86400
    weight = app.settings.search_recency_weight
    ts = corpus.ts_col.view
    for slot in fused:
        age = max(0.0, now_ts - float(ts[slot]))
        fused[slot] *= 1.0 + weight * math.pow(0.5, age / half)
    order = sorted(fused, key=lambda s: -fused[s])
    ranked_out = Ranked([], [], terms=terms, corrections=fixes, total=len(order))
    seen_albums: set[int] = set()
    kept_sigs: list[tuple[int, frozenset[str]]] = []
    want_tags = {t.lower() for t in q.tags}
    for slot in order:
        if need is not None and len(ranked_out.slots) >= need:
            break
        doc = corpus.docs[slot]
        if doc is None:
            continue
        if want_tags and not want_tags & {t.lower() for t in doc.tags}:
            continue
        if doc.album_id is not None:
            if doc.album_id in seen_albums:
                continue
            seen_albums.add(doc.album_id)
        sig = doc.term_set
        dup_of = _duplicate_of(sig, kept_sigs)
        if dup_of is not None:
            ranked_out.duplicates.setdefault(dup_of, []).append(doc.post_id)
            continue
        kept_sigs.append((slot, sig))
        ranked_out.slots.append(slot)
        ranked_out.scores.append(fused[slot])
        ranked_out.lexical[slot] = float(lex[slot])
        if qvec is not None:
            cos = dense.get(slot)
            ranked_out.dense[slot] = float(corpus.vec_col.view[slot] @ qvec) if cos is None else cos
    return corpus, ranked_out


def _duplicate_of(sig: frozenset[str], kept: list[tuple[int, frozenset[str]]]) -> int | None:
    if len(sig) < 5:
        return None
    for slot, other in kept[-50:]:
        inter = len(sig & other)
        if inter and inter / len(sig | other) >= DUP_JACCARD:
            return slot
    return None


def marked_snippet(
    text: str,
    terms: set[str],
    width: int = SNIPPET_CHARS,
    found: list[tuple[str, int, int]] | None = None,
) -> str:
    """The window of `text` with the most query words, those words wrapped in **…**."""
    if not text:
        return ""
    found = words(text) if found is None else found
    hit_word: dict[str, bool] = {}
    hits = []
    for w, s, e in found:
        is_hit = hit_word.get(w)
        if is_hit is None:
            is_hit = hit_word[w] = not terms.isdisjoint(word_terms(w))
        if is_hit:
            hits.append((s, e))
    start = 0
    if hits:
        best, best_n = hits[0][0], 0
        for s, _e in hits:
            n = sum(1 for s2, _ in hits if s <= s2 < s + width)
            if n > best_n:
                best, best_n = s, n
        start = max(0, best - width // 4)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
    end = min(len(text), start + width)
    out, pos = [], start
    for s, e in hits:
        if s < start or e > end:
            continue
        out.append(text[pos:s])
        out.append(f"**{text[s:e]}**")
        pos = e
    out.append(text[pos:end])
    snippet = "".join(out).replace("\n", " ").strip()
    return ("…" if start > 0 else "") + snippet + ("…" if end < len(text) else "")


def matched_in(doc: Doc, terms: set[str]) -> tuple[str, ...]:
    """Which parts of the post (text, ocr, page) hold query words; ("meaning",) when none does
    (a dense-only hit). Read from the post's analysed terms, not by parsing it again."""
    parts = (("text", doc.text), ("ocr", doc.ocr), ("page", doc.page))
    if doc.part_ends is None:  # a Doc not put into a corpus: parse its parts
        where = [n for n, p in parts if p and not terms.isdisjoint(analyze(p))]
    else:
        a, b = doc.part_ends
        spans = {"text": doc.terms[:a], "ocr": doc.terms[a:b], "page": doc.terms[b:]}
        where = [n for n, _p in parts if not terms.isdisjoint(spans[n])]
    return tuple(where) or ("meaning",)


def hit_of(corpus: Corpus, slot: int, score: float, terms: set[str], dups: list[int]) -> SearchHit:
    doc = corpus.docs[slot]
    assert doc is not None
    ch = corpus.channels.get(doc.channel_id)
    username = ch.username if ch else None
    title = (ch.title if ch else None) or username or str(doc.channel_id)
    where = matched_in(doc, terms)
    texts = {"text": doc.text, "ocr": doc.ocr, "page": doc.page}
    part = where[0] if where[0] in texts else next((n for n, p in texts.items() if p), "")
    source = texts.get(part, "")
    return SearchHit(
        post_id=doc.post_id,
        channel_id=doc.channel_id,
        channel=f"@{username}" if username else title,
        channel_title=title,
        message_id=doc.message_id,
        date=doc.date,
        score=round(score, 6),
        snippet=marked_snippet(source, terms),
        url=post_url(username, doc.message_id),
        source_label=f"{title}, {doc.date:%Y-%m-%d %H:%M} UTC",
        matched_in=where,
        album_id=doc.album_id,
        tags=doc.tags,
        duplicates=tuple(dups),
    )


async def search(app: App, q: SearchQuery, *, now: datetime | None = None) -> SearchResult:
    """Search posts; raises ReadError for an empty, too long or stop-words-only query."""
    if not 1 <= q.limit <= MAX_LIMIT or q.offset < 0:
        raise ReadError("search.limit_invalid", max=MAX_LIMIT)
    if q.since and q.until and q.since > q.until:
        raise ReadError("search.date_range")
    started = time.perf_counter()
    corpus, ranked = await rank(app, q, now=now, need=q.offset + q.limit)
    terms = set(ranked.terms)
    page = range(q.offset, min(len(ranked.slots), q.offset + q.limit))
    hits = tuple(
        hit_of(
            corpus,
            ranked.slots[i],
            ranked.scores[i],
            terms,
            ranked.duplicates.get(ranked.slots[i], []),
        )
        for i in page
    )
    return SearchResult(
        hits=hits,
        total=max(ranked.total - sum(len(d) for d in ranked.duplicates.values()), len(hits)),
        lexical_only=not corpus.dense_ok,
        corrections=tuple(ranked.corrections),
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )


__all__ = [
    "SearchHit",
    "SearchQuery",
    "SearchResult",
    "marked_snippet",
    "post_url",
    "rank",
    "search",
    "validate_text",
]
