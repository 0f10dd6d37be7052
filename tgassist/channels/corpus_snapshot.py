"""The corpus on disk (`<data dir>/search/corpus-<db>-<model>.pkl`): the analysed posts, the BM25
index and the vectors of one database and embedding model, written atomically, read back only
when it is of this version, of the right vector size, whole, and not newer than the database (a
backup restored over it)."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import os
import pickle
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import structlog
from sqlalchemy import func, select

from tgassist.channels.models import Post
from tgassist.core.errors import TgassistError

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.channels.corpus import Corpus

log = structlog.get_logger(__name__)

# Bump when Doc, LexicalIndex or the analyzer (stemming, stop words) change: an older snapshot
# is then skipped and the corpus loaded from the database again.
SNAPSHOT_VERSION = 1


def snapshot_path(app: App) -> Path:
    """Where this database's corpus is kept on disk (one file per database and embedding model)."""
    model = "words"
    try:
        model = f"{app.embedder.name}-{int(app.embedder.dim)}"
    except Exception:  # no embedder can be built: a lexical-only corpus
        pass
    db = hashlib.sha256(_plain_url(app.settings.db_url).encode()).hexdigest()[:12]
    slug = re.sub(r"[^A-Za-z0-9]+", "-", model).strip("-").lower()
    return Path(app.settings.data_dir) / "search" / f"corpus-{db}-{slug}.pkl"


def _plain_url(url: str) -> str:
    return re.sub(r"//[^/@]*@", "//", url)  # without the password


def _state(corpus: Corpus) -> dict[str, Any]:
    return {
        "version": SNAPSHOT_VERSION,
        "since": corpus.since,
        "max_post_id": corpus.max_post_id,
        "docs": corpus.docs,
        "slot_of": corpus.slot_of,
        "channel": corpus.channel_col.view,
        "ts": corpus.ts_col.view,
        "album": corpus.album_col.view,
        "vec": corpus.vec_col.view,
        "has_vec": corpus.has_vec.view,
        "lexical": corpus.lexical,
        "missing_vectors": corpus.missing_vectors,
        "proj": corpus.proj,
        "approx": (corpus.approx_tried, corpus.approx_energy),
        "saved_at": time.time(),
    }


def _write(path: Path, state: dict[str, Any]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    return path.stat().st_size


async def save(app: App, corpus: Corpus) -> Path | None:
    """Write the corpus to disk (in a thread; the caller holds the corpus lock, so nothing
    changes meanwhile, and searches only read). A failure is logged: search goes on."""
    path = snapshot_path(app)
    state = _state(corpus)
    try:
        state["db_mark"] = await _db_mark(app)
        size = await asyncio.to_thread(_write, path, state)
    except (OSError, TgassistError) as err:
        log.warning("search: cannot write the corpus snapshot", path=str(path), error=str(err))
        return None
    corpus.changed = 0
    corpus.saved_at = state["saved_at"]
    log.debug("search: corpus snapshot written", path=str(path), posts=len(corpus), bytes=size)
    return path


async def _db_mark(app: App) -> datetime | None:
    """The newest post change in the database: a snapshot newer than that is not of this
    database as it is now (a backup was restored over it)."""
    async with app.db.session() as session:
        value = await session.scalar(select(func.max(Post.updated_at)))
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _read(path: Path) -> dict[str, Any] | None:
    enabled = gc.isenabled()
    gc.disable()  # millions of new objects: the cyclic collector would rescan them many times
    try:
        with path.open("rb") as fh:
            state = pickle.load(fh)  # our own file in the data dir, written by _write
    except FileNotFoundError:
        return None
    finally:
        if enabled:
            gc.enable()
    if not isinstance(state, dict) or state.get("version") != SNAPSHOT_VERSION:
        raise ValueError("not a corpus snapshot of this version")
    return state


async def read_checked(app: App, width: int) -> dict[str, Any] | None:
    """The snapshot's state with its vectors as float32, or None when there is none or it does
    not fit (logged): the corpus is then loaded from the database."""
    path = snapshot_path(app)
    try:
        state = await asyncio.to_thread(_read, path)
        if state is None:
            return None
        vec = np.asarray(state["vec"], dtype=np.float32)
        if vec.ndim != 2 or vec.shape[1] != width:
            raise ValueError(f"vectors of size {vec.shape[1:]}, expected {width}")
        n = len(state["docs"])
        cols = [state[k] for k in ("channel", "ts", "album", "has_vec")]
        if any(len(c) != n for c in [vec, *cols]) or len(state["lexical"]) != n:
            raise ValueError("columns of different lengths")
        mark, now_mark = state.get("db_mark"), await _db_mark(app)
        if mark is not None and (now_mark is None or now_mark < mark):
            raise ValueError(f"written at {mark}, after the database's newest change {now_mark}")
    except Exception as err:  # a broken file must not stop search: load from the database
        log.warning("search: corpus snapshot skipped", path=str(path), error=str(err))
        return None
    state["vec"] = vec
    return state


__all__ = ["SNAPSHOT_VERSION", "read_checked", "save", "snapshot_path"]
