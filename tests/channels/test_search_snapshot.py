"""The search corpus on disk: a restarted process loads the snapshot and reads from the database
only what changed since (new, edited and deleted posts); a broken snapshot is skipped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, update

from tests.channels.read_util import NOW, add_posts, index_posts, make_channel
from tgassist.app import App
from tgassist.channels import corpus as corpus_mod
from tgassist.channels.corpus import refresh_now, snapshot_path
from tgassist.channels.lexical import stem
from tgassist.channels.models import Post
from tgassist.channels.search import SearchQuery, search

TEXTS = [
    "Центробанк повысил ключевую ставку до 21 процента, чтобы сдержать инфляцию.",
    "Apple released a new MacBook Pro with the M5 chip and a brighter display.",
    "В Москве открыли новую станцию метро «Бульвар Генерала Карбышева».",
    "Курс биткоина впервые превысил сто тысяч долларов на фоне притока в ETF.",
]


def _restart(app: App) -> None:
    """What a new process of this App starts with: no corpus in memory."""
    corpus_mod._corpora.pop(app, None)


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Post ids the corpus reads from the database."""
    seen: list[int] = []
    real = corpus_mod._load_docs

    async def spy(session: Any, ids: list[int]) -> Any:
        seen.extend(ids)
        return await real(session, ids)

    monkeypatch.setattr(corpus_mod, "_load_docs", spy)
    return seen


async def _ids(app: App, text: str) -> list[int]:
    return [h.post_id for h in (await search(app, SearchQuery(text), now=NOW)).hits]


async def test_restart_reads_the_snapshot_and_only_what_changed(
    app: App, loaded: list[int]
) -> None:
    ch = await make_channel(app, "snapnews", "Snap News")
    ids = await add_posts(app, ch, TEXTS, start=NOW - timedelta(days=1))
    await index_posts(app, ids)  # the first load from the database writes the snapshot
    path = snapshot_path(app)
    assert path.exists() and path.stat().st_size > 0
    assert sorted(loaded) == sorted(ids)

    # While "the process is down": a new post, an edited one, a deleted one.
    new = await add_posts(app, ch, ["Снегопад парализовал движение в Новосибирске."], start=NOW)
    await index_posts(app, new)
    async with app.db.session() as s:
        await s.execute(
            update(Post)
            .where(Post.id == ids[1])
            .values(text="Samsung showed a foldable phone.", updated_at=NOW + timedelta(days=400))
        )
        await s.execute(delete(Post).where(Post.id == ids[2]))
    _restart(app)
    loaded.clear()
    corpus = await refresh_now(app)
    assert sorted(loaded) == sorted([*new, ids[1]])  # not the unchanged posts
    assert len(corpus) == 4 and corpus.doc(ids[2]) is None
    assert (await _ids(app, "снегопад Новосибирск"))[0] == new[0]
    assert (await _ids(app, "Samsung foldable phone"))[0] == ids[1]
    edited = corpus.doc(ids[1])
    assert edited is not None and edited.text.startswith("Samsung")
    assert not corpus.lexical.known(stem("macbook"))  # the old words are gone from BM25
    assert ids[2] not in await _ids(app, "станция метро Карбышева")
    hits = (await search(app, SearchQuery("ключевая ставка"), now=NOW)).hits
    assert hits[0].post_id == ids[0] and "**" in hits[0].snippet and hits[0].url


async def test_a_broken_snapshot_is_skipped_and_rewritten(app: App, loaded: list[int]) -> None:
    ch = await make_channel(app, "snapnews2", "Snap News 2")
    ids = await add_posts(app, ch, TEXTS, start=NOW - timedelta(days=1))
    await index_posts(app, ids)
    path = snapshot_path(app)
    path.write_bytes(b"not a snapshot")
    _restart(app)
    loaded.clear()
    await refresh_now(app)
    assert sorted(loaded) == sorted(ids)  # everything read from the database again
    assert (await _ids(app, "курс биткоина"))[0] == ids[3]
    assert path.read_bytes() != b"not a snapshot"  # a good snapshot replaced it
    _restart(app)
    loaded.clear()
    await refresh_now(app)
    assert loaded == []
    assert (await _ids(app, "курс биткоина"))[0] == ids[3]


async def test_a_snapshot_newer_than_the_database_is_skipped(app: App, loaded: list[int]) -> None:
    """A backup restored over the install: the database went back in time, the snapshot did not."""
    ch = await make_channel(app, "snapnews3", "Snap News 3")
    ids = await add_posts(app, ch, TEXTS, start=NOW - timedelta(days=1))
    await index_posts(app, ids)
    async with app.db.session() as s:
        await s.execute(
            update(Post).where(Post.id == ids[0]).values(updated_at=NOW - timedelta(days=900))
        )
        await s.execute(
            update(Post).where(Post.id != ids[0]).values(updated_at=NOW - timedelta(days=1000))
        )
    _restart(app)
    loaded.clear()
    await refresh_now(app)
    assert sorted(loaded) == sorted(ids)  # read from the database again, not the snapshot
