"""The searchable corpus of a process: every post's text, OCR and page text, its BM25 terms and its
vector, kept in memory and brought up to date incrementally.

The first search loads all posts; later ones read only what changed since the last refresh (new
or edited posts, new OCR/crawl/tags results), at most every TGASSIST_SEARCH_REFRESH_SEC. The
corpus is also kept on disk (`<data dir>/search/corpus-*.pkl`: the analysed posts, the BM25 index
and the vectors, written after a full load and then every SNAPSHOT_EVERY_SEC when something
changed), so a restarted process loads that snapshot in seconds and reads from the database only
what changed since it was written. Vectors
come from the vector index (written by the indexing stage); a post not indexed yet is found by its
words alone until its vector appears. When the vector index cannot be opened (Qdrant local mode
is held by another process) search is lexical only and says so.
"""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import structlog
from sqlalchemy import func, select

from tgassist.channels import corpus_snapshot as snapshot
from tgassist.channels.lexical import LexicalIndex, analyze
from tgassist.channels.models import Channel, MediaGroup, Post, PostEnrichment
from tgassist.core.errors import TgassistError

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)

KINDS = ("tags", "vision", "crawl")
LOAD_BATCH = 2000
VECTOR_BATCH = 512
PAGE_CHARS = 4000
SNAPSHOT_EVERY_SEC = 300.0  # an updated corpus is written again at most this often
SNAPSHOT_EVERY_CHANGES = 5000  # ... or when this many posts changed since the last write
# From this many vectors on, the dense pass first scores every post on a PCA projection of the
# vectors (APPROX_DIM wide, a quarter of the memory to read), then scores the best APPROX_DEPTH of
# those exactly (search.py). Below it, every post is scored exactly.
APPROX_MIN = 20_000
APPROX_DIM = 128
APPROX_SAMPLE = 20_000
# The projection is used only if it keeps this share of the vectors' energy (real sentence
# embeddings: ~0.94 at 128 of 512 dimensions, and 99.8 % of the exact top 200 are found; random
# vectors: 0.30, and only ~40 % would be).
APPROX_MIN_ENERGY = 0.8
FREEZE_AFTER = 5000  # posts loaded at once after which the collector is told to skip them


@dataclass
class Doc:
    """What search knows of one post."""

    post_id: int
    channel_id: int
    message_id: int
    date: datetime
    text: str
    ocr: str = ""
    page: str = ""
    album_id: int | None = None
    tags: tuple[str, ...] = ()
    views: int = 0
    forwards: int = 0
    reactions: int = 0
    terms: list[str] = field(default_factory=list, repr=False)
    term_set: frozenset[str] = field(default_factory=frozenset, repr=False)
    # Where the text's terms end in `terms`, then the OCR's (the page's follow): which part of
    # the post a query matched is read from these without parsing the post again.
    part_ends: tuple[int, int] | None = field(default=None, repr=False)

    @property
    def full_text(self) -> str:
        return "\n".join(p for p in (self.text, self.ocr, self.page) if p)


@dataclass(frozen=True)
class ChannelRef:
    id: int
    username: str | None
    title: str | None


class _Grow:
    """A numpy column that grows by doubling."""

    def __init__(self, dtype: Any, width: int = 0) -> None:
        self.width = width
        self.data = np.zeros((1024, width) if width else 1024, dtype=dtype)
        self.n = 0

    def append(self, value: Any) -> None:
        if self.n == len(self.data):
            shape = (len(self.data) * 2, self.width) if self.width else len(self.data) * 2
            bigger = np.zeros(shape, dtype=self.data.dtype)
            bigger[: self.n] = self.data[: self.n]
            self.data = bigger
        self.data[self.n] = value
        self.n += 1

    @property
    def view(self) -> np.ndarray:
        return self.data[: self.n]

    @classmethod
    def of(cls, values: np.ndarray) -> _Grow:
        """A column holding `values` (with room to grow)."""
        col = cls(values.dtype, values.shape[1] if values.ndim == 2 else 0)
        shape = (max(1024, len(values) + len(values) // 8),) + values.shape[1:]
        col.data = np.zeros(shape, dtype=values.dtype)
        col.data[: len(values)] = values
        col.n = len(values)
        return col


class Corpus:
    """Slots of posts: lexical index, metadata columns and vectors. Build with `corpus_of(app)`."""

    def __init__(self, dim: int) -> None:
        self.lexical = LexicalIndex()
        self.docs: list[Doc | None] = []
        self.slot_of: dict[int, int] = {}
        self.channel_col = _Grow(np.int64)
        self.ts_col = _Grow(np.int64)
        self.album_col = _Grow(np.int64)
        self.vec_col = _Grow(np.float32, dim)
        self.has_vec = _Grow(np.bool_)
        self.channels: dict[int, ChannelRef] = {}
        self.max_post_id = 0
        self.since: datetime | None = None
        self.refreshed_at = 0.0
        self.lock = asyncio.Lock()
        self.dense_ok = True
        self.dense_error = ""
        self.missing_vectors: set[int] = set()
        self.task: asyncio.Task[None] | None = None
        self.proj: np.ndarray | None = None  # (dim, APPROX_DIM) once there are APPROX_MIN vectors
        self.low_col: _Grow | None = None  # the vectors projected by `proj`, slot by slot
        self.approx_tried = 0  # vectors when a projection was last fitted
        self.approx_energy = 0.0  # share of the vectors' energy the projection keeps
        self.changed = 0  # posts put or dropped since the snapshot was written
        self.saved_at = 0.0  # wall clock of the snapshot this corpus was written to or read from

    def __len__(self) -> int:
        return len(self.slot_of)

    def doc(self, post_id: int) -> Doc | None:
        slot = self.slot_of.get(post_id)
        return self.docs[slot] if slot is not None else None

    def put(self, doc: Doc, vector: np.ndarray | None) -> int:
        """Add or replace a post; returns its new slot."""
        old = self.slot_of.get(doc.post_id)
        if old is not None:
            prev = self.docs[old]
            self.lexical.remove(old, prev.terms if prev else [])
            if vector is None and self.has_vec.view[old]:
                vector = self.vec_col.view[old].copy()
            self.docs[old] = None
        text_terms, ocr_terms = analyze(doc.text), analyze(doc.ocr)
        doc.terms = text_terms + ocr_terms + analyze(doc.page)  # = analyze(doc.full_text)
        doc.part_ends = (len(text_terms), len(text_terms) + len(ocr_terms))
        doc.term_set = frozenset(doc.terms)
        slot = self.lexical.add(doc.terms)
        self.docs.append(doc)
        self.slot_of[doc.post_id] = slot
        self.channel_col.append(doc.channel_id)
        self.ts_col.append(int(doc.date.timestamp()))
        self.album_col.append(doc.album_id if doc.album_id is not None else -1)
        self.vec_col.append(vector if vector is not None else 0.0)
        if self.low_col is not None and self.proj is not None:
            self.low_col.append(vector @ self.proj if vector is not None else 0.0)
        self.has_vec.append(vector is not None)
        if doc.full_text.strip():  # (re)indexed posts get their (new) vector on the next fetch
            self.missing_vectors.add(doc.post_id)
        self.max_post_id = max(self.max_post_id, doc.post_id)
        self.changed += 1
        return slot

    def drop(self, post_id: int) -> None:
        slot = self.slot_of.pop(post_id, None)
        if slot is None:
            return
        prev = self.docs[slot]
        self.lexical.remove(slot, prev.terms if prev else [])
        self.docs[slot] = None
        self.missing_vectors.discard(post_id)
        self.changed += 1

    def set_vector(self, post_id: int, vector: np.ndarray) -> None:
        slot = self.slot_of.get(post_id)
        if slot is None:
            return
        self.vec_col.data[slot] = vector
        self.has_vec.data[slot] = True
        if self.low_col is not None and self.proj is not None:
            self.low_col.data[slot] = self.vec_col.data[slot] @ self.proj
        self.missing_vectors.discard(post_id)
        self.changed += 1

    def ensure_projection(self, proj: np.ndarray | None = None) -> None:
        """Fit (or take) the projection of the approximate dense pass once the corpus has
        APPROX_MIN vectors: the top principal directions of a sample of them (uncentred, so
        inner products are what is kept), then project every vector."""
        if self.low_col is not None or self.vec_col.width <= APPROX_DIM:
            return
        if proj is None:
            rows = np.flatnonzero(self.has_vec.view)
            if len(rows) < max(APPROX_MIN, 2 * self.approx_tried):
                return  # too few vectors, or tried and refused: again when they have doubled
            self.approx_tried = len(rows)
            rng = np.random.default_rng(len(rows))
            pick = rows if len(rows) <= APPROX_SAMPLE else rng.choice(rows, APPROX_SAMPLE, False)
            sample = self.vec_col.view[np.sort(pick)].astype(np.float64)
            w, v = np.linalg.eigh(sample.T @ sample)  # ascending eigenvalues
            self.approx_energy = float(w[-APPROX_DIM:].sum() / max(w.sum(), 1e-12))
            if self.approx_energy < APPROX_MIN_ENERGY:
                log.info(
                    "search: vectors too spread for the projection; dense pass stays exact",
                    energy=round(self.approx_energy, 3),
                )
                return
            proj = v[:, ::-1][:, :APPROX_DIM]
        self.proj = np.ascontiguousarray(proj, dtype=np.float32)
        self.low_col = _Grow.of(self.vec_col.view @ self.proj)

    def alive_mask(self) -> np.ndarray:
        return np.frombuffer(self.lexical.alive, dtype=np.int8).astype(bool)


_corpora: weakref.WeakKeyDictionary[Any, Corpus] = weakref.WeakKeyDictionary()


def _dim(app: App) -> int:
    try:
        return int(app.embedder.dim)
    except Exception:  # no embedder can be built: lexical only
        return 1


async def corpus_of(app: App, *, refresh: bool = True) -> Corpus:
    """This process's corpus of `app`. The first call loads every post; later ones return at once
    and, when TGASSIST_SEARCH_REFRESH_SEC has passed, start a refresh in the background (a new
    post is searchable a few seconds after it is indexed; no search waits for the refresh)."""
    corpus = _corpora.get(app)
    if corpus is None:
        corpus = _corpora[app] = Corpus(_dim(app))
    if not refresh:
        return corpus
    if corpus.since is None:
        async with corpus.lock:
            if corpus.since is None:
                await _load_snapshot(app, corpus)
                await _refresh(app, corpus)
                await _maybe_save(app, corpus, first=True)
    elif (
        time.monotonic() - corpus.refreshed_at >= app.settings.search_refresh_sec
        and not corpus.lock.locked()
        and (corpus.task is None or corpus.task.done())
    ):
        corpus.task = asyncio.create_task(_background_refresh(app, corpus))
    return corpus


async def _background_refresh(app: App, corpus: Corpus) -> None:
    try:
        async with corpus.lock:
            await _refresh(app, corpus)
            await _maybe_save(app, corpus, first=False)
    except Exception as err:  # the next search tries again; this one keeps what it has
        corpus.refreshed_at = time.monotonic()
        log.warning("search: corpus refresh failed", error=str(err))


async def refresh_now(app: App) -> Corpus:
    """Bring the corpus up to date now (after an import, in tests and benchmarks)."""
    corpus = await corpus_of(app, refresh=False)
    async with corpus.lock:
        first = corpus.since is None
        if first:
            await _load_snapshot(app, corpus)
        await _refresh(app, corpus)
        await _maybe_save(app, corpus, first=first)
    return corpus


async def _refresh(app: App, corpus: Corpus) -> None:
    started = datetime.now(UTC)
    async with app.db.session() as session:
        chans = (await session.execute(select(Channel.id, Channel.username, Channel.title))).all()
        corpus.channels = {c.id: ChannelRef(c.id, c.username, c.title) for c in chans}
        if corpus.since is None:
            ids = list((await session.scalars(select(Post.id).order_by(Post.id))).all())
        else:
            since = corpus.since
            new_or_edited = await session.scalars(
                select(Post.id).where((Post.id > corpus.max_post_id) | (Post.updated_at >= since))
            )
            enriched = await session.scalars(
                select(PostEnrichment.post_id).where(
                    PostEnrichment.updated_at >= since, PostEnrichment.kind.in_(KINDS)
                )
            )
            ids = sorted(set(new_or_edited) | set(enriched))
            total = int(await session.scalar(select(func.count()).select_from(Post)) or 0)
            if total < len(corpus) + len([i for i in ids if i not in corpus.slot_of]):
                present = set((await session.scalars(select(Post.id))).all())
                for gone in [p for p in corpus.slot_of if p not in present]:
                    corpus.drop(gone)
        for start in range(0, len(ids), LOAD_BATCH):
            docs = await _load_docs(session, ids[start : start + LOAD_BATCH])
            for doc in docs:
                corpus.put(doc, None)
    await _fill_vectors(app, corpus)
    corpus.since = started
    corpus.refreshed_at = time.monotonic()
    corpus.ensure_projection()
    if len(ids) >= FREEZE_AFTER:
        _freeze()


def _freeze() -> None:
    """Move what is alive now (a freshly loaded corpus: millions of long-lived objects) out of
    the cyclic collector's sight, so its full collections stop pausing searches for 100s of ms."""
    gc.collect()
    gc.freeze()


async def _maybe_save(app: App, corpus: Corpus, *, first: bool) -> None:
    """Write the snapshot after a load from the database, after many changes, or (not on a
    process's first load, which a user is waiting for) when it is SNAPSHOT_EVERY_SEC old."""
    if not corpus.changed:
        return
    if (
        not corpus.saved_at
        or corpus.changed >= SNAPSHOT_EVERY_CHANGES
        or (not first and time.time() - corpus.saved_at >= SNAPSHOT_EVERY_SEC)
    ):
        await snapshot.save(app, corpus)


async def _load_docs(session: Any, ids: list[int]) -> list[Doc]:
    rows = (
        await session.execute(
            select(
                Post.id,
                Post.channel_id,
                Post.message_id,
                Post.date,
                Post.text,
                Post.album_id,
                Post.views,
                Post.forwards,
                Post.reactions_count,
            ).where(Post.id.in_(ids))
        )
    ).all()
    albums = {r.album_id for r in rows if r.album_id is not None}
    captions: dict[int, str] = {}
    if albums:
        captions = {
            a: c or ""
            for a, c in (
                await session.execute(
                    select(MediaGroup.id, MediaGroup.caption).where(MediaGroup.id.in_(albums))
                )
            ).all()
        }
    extra: dict[int, dict[str, dict[str, Any]]] = {}
    for e in await session.execute(
        select(PostEnrichment.post_id, PostEnrichment.kind, PostEnrichment.data).where(
            PostEnrichment.post_id.in_(ids), PostEnrichment.kind.in_(KINDS)
        )
    ):
        extra.setdefault(e.post_id, {})[e.kind] = dict(e.data or {})
    out = []
    for r in rows:
        data = extra.get(r.id, {})
        pages = [
            p
            for p in (data.get("crawl", {}).get("pages") or [])
            if p.get("outcome") == "ok" and (p.get("title") or p.get("text"))
        ]
        page = "\n".join(
            f"{p.get('title') or ''}\n{(p.get('text') or '')[:PAGE_CHARS]}".strip() for p in pages
        )
        text = r.text or ""
        if not text and r.album_id is not None:
            text = captions.get(r.album_id, "")
        out.append(
            Doc(
                post_id=r.id,
                channel_id=r.channel_id,
                message_id=r.message_id,
                date=r.date if r.date.tzinfo else r.date.replace(tzinfo=UTC),
                text=text,
                ocr=str(data.get("vision", {}).get("ocr_text") or ""),
                page=page,
                album_id=r.album_id,
                tags=tuple(data.get("tags", {}).get("tags") or ()),
                views=int(r.views or 0),
                forwards=int(r.forwards or 0),
                reactions=int(r.reactions_count or 0),
            )
        )
    return out


async def _fill_vectors(app: App, corpus: Corpus) -> None:
    """Vectors of posts that lack one: from the vector index, else embedded here (cached)."""
    if not corpus.missing_vectors:
        return
    missing = sorted(corpus.missing_vectors)
    if corpus.dense_ok:
        try:
            index = app.vectors
            for start in range(0, len(missing), VECTOR_BATCH):
                found = await index.vectors(missing[start : start + VECTOR_BATCH])
                for pid, vec in found.items():
                    corpus.set_vector(pid, vec)
        except TgassistError as err:
            corpus.dense_error = str(err)
            log.warning("search: vector index unavailable; embedding posts here", error=str(err))
    rest = sorted(corpus.missing_vectors)[-app.settings.search_embed_missing_max :]
    if not rest:
        return
    try:
        from tgassist.channels.embedcache import cached_embed, post_document

        max_chars = app.settings.index_text_max_chars
        docs = [corpus.doc(pid) for pid in rest]
        texts = [
            post_document(d.text, d.ocr, d.page.split("\n", 1)[0], max_chars=max_chars)
            for d in docs
            if d is not None
        ]
        pids = [d.post_id for d in docs if d is not None]
        for start in range(0, len(texts), VECTOR_BATCH):
            vecs = await cached_embed(app.redis, app.embedder, texts[start : start + VECTOR_BATCH])
            for pid, vec in zip(pids[start : start + VECTOR_BATCH], vecs, strict=True):
                corpus.set_vector(pid, vec)
    except Exception as err:  # no embedder (e.g. a remote one unreachable): words only
        corpus.dense_ok = False
        corpus.dense_error = str(err)
        log.warning("search: cannot embed posts; lexical search only", error=str(err))


async def save_snapshot(app: App) -> Path | None:
    """Write this process's corpus to disk now (benchmarks, tests, before a planned restart)."""
    corpus = await corpus_of(app, refresh=False)
    async with corpus.lock:
        if corpus.since is None:
            return None
        return await snapshot.save(app, corpus)


async def _load_snapshot(app: App, corpus: Corpus) -> None:
    """Fill an empty corpus from its snapshot (then `_refresh` reads what changed since). A
    missing, unreadable or mismatched snapshot is skipped: the corpus is loaded from the
    database instead."""
    state = await snapshot.read_checked(app, corpus.vec_col.width)
    if state is None:
        return
    corpus.docs = state["docs"]
    corpus.slot_of = state["slot_of"]
    corpus.lexical = state["lexical"]
    corpus.channel_col = _Grow.of(np.asarray(state["channel"], dtype=np.int64))
    corpus.ts_col = _Grow.of(np.asarray(state["ts"], dtype=np.int64))
    corpus.album_col = _Grow.of(np.asarray(state["album"], dtype=np.int64))
    corpus.vec_col = _Grow.of(state["vec"])
    corpus.has_vec = _Grow.of(np.asarray(state["has_vec"], dtype=np.bool_))
    corpus.max_post_id = int(state["max_post_id"])
    corpus.missing_vectors = set(state["missing_vectors"])
    corpus.since = state["since"]
    corpus.saved_at = float(state["saved_at"])
    corpus.changed = 0
    corpus.approx_tried, corpus.approx_energy = state.get("approx") or (0, 0.0)
    proj = state.get("proj")
    if isinstance(proj, np.ndarray) and proj.shape == (corpus.vec_col.width, APPROX_DIM):
        corpus.ensure_projection(proj)
    _freeze()
    log.debug("search: corpus snapshot loaded", posts=len(corpus))


snapshot_path = snapshot.snapshot_path

__all__ = [
    "ChannelRef",
    "Corpus",
    "Doc",
    "corpus_of",
    "refresh_now",
    "save_snapshot",
    "snapshot_path",
]
