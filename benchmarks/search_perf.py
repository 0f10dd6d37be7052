"""Reader performance at 50,000 posts on embedded defaults: `python -m benchmarks search_perf`.

Builds BENCH_POSTS (50,000) posts in 50 channels over 7 days (SQLite + embedded Redis + Qdrant
local in a temp dir): the generated QA corpus's sentences mixed with a Zipf-distributed vocabulary
of 20,000 word forms, so postings have realistic lengths. Vectors are random unit vectors of the bundled
USE model's size (BENCH_REAL_VECTORS=1 embeds every post with the model instead: ~20 minutes on
2 busy cores), upserted the way the indexing stage does; queries are embedded with the real model. Then measures:

- the corpus's first load (every post, its terms and its vector, into memory);
- search p50/p95 over 300 queries (target p95 ≤ 50 ms) and ask p95 over 100 (≤ 300 ms), offline;
- an incremental update: 100 new posts saved and indexed → searchable after one refresh
  (its time; no rebuild);
- digests for BENCH_USERS (1,000) users following 10 channels each (≤ 60 s), exactly once;
- trends over 7 days of all posts (≤ 30 s).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from tgassist.app import App
from tgassist.settings import Settings

POSTS = int(os.environ.get("BENCH_POSTS", "50000"))
USERS = int(os.environ.get("BENCH_USERS", "1000"))
REAL_VECTORS = os.environ.get("BENCH_REAL_VECTORS") == "1"
CHANNELS = 50
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DATA = Path(__file__).resolve().parent / "data" / "qa"


def vocabulary(rng: random.Random) -> tuple[list[str], list[str]]:
    """Real words of the QA corpus plus generated word forms; and the corpus sentences."""
    corpus = [json.loads(line)["text"] for line in (DATA / "corpus.jsonl").open(encoding="utf-8")]
    real = sorted({w.strip(".,;:«»!?()").lower() for t in corpus for w in t.split() if len(w) > 2})
    syll_ru = ["ка", "ро", "ми", "та", "ле", "но", "ва", "ст", "пр", "ин", "ом", "ар", "ел", "ус"]
    syll_en = ["ra", "to", "mi", "ne", "ka", "lo", "st", "pr", "in", "er", "an", "or", "el", "us"]
    made = set()
    while len(made) < 20_000:
        syll = syll_ru if rng.random() < 0.6 else syll_en
        made.add("".join(rng.choice(syll) for _ in range(rng.randint(2, 5))))
    return real + sorted(made), corpus


def make_text(rng: random.Random, vocab: list[str], weights: np.ndarray, corpus: list[str]) -> str:
    n = rng.randint(15, 60)
    words = [vocab[i] for i in np.searchsorted(weights, [rng.random() for _ in range(n)])]
    head = rng.choice(corpus) if rng.random() < 0.3 else ""
    return (head + " " + " ".join(words)).strip().capitalize() + "."


async def build(app: App, rng: random.Random) -> tuple[list[int], list[str]]:
    from tgassist.channels.service import ensure_channel
    from tgassist.channels.sources.base import ChannelInfo, RawMessage
    from tgassist.channels.store import save_batch

    vocab, corpus = vocabulary(rng)
    zipf = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    weights = np.cumsum(zipf) / zipf.sum()
    channels = []
    for c in range(CHANNELS):
        ch = await ensure_channel(
            app, ChannelInfo(telegram_id=None, username=f"bench{c}", title=f"Bench {c}"), "telegram"
        )
        channels.append(ch.id)
    per = POSTS // CHANNELS
    mid = 0
    for c, ch_id in enumerate(channels):
        msgs = []
        for _ in range(per):
            mid += 1
            age = timedelta(seconds=rng.uniform(0, 7 * 86400))
            msgs.append(
                RawMessage(
                    message_id=mid,
                    date=NOW - age,
                    text=make_text(rng, vocab, weights, corpus),
                    views=rng.randint(100, 5000) * (c + 1),
                    forwards=rng.randint(0, 50),
                )
            )
        await save_batch(app, ch_id, msgs)
    return channels, vocab


async def index_all(app: App) -> float:
    from sqlalchemy import select

    from tgassist.channels.index import PostVector
    from tgassist.channels.models import Post

    started = time.perf_counter()
    async with app.db.session() as session:
        rows = (await session.execute(select(Post.id, Post.channel_id, Post.date, Post.text))).all()
    rng = np.random.default_rng(7)
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        if REAL_VECTORS:
            vecs = await app.embedder.embed([r.text for r in chunk])
        else:  # random unit vectors: the dense side's cost does not depend on what they mean
            vecs = rng.standard_normal((len(chunk), app.embedder.dim)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        await app.vectors.upsert(
            [
                PostVector(r.id, r.channel_id, v, date=r.date, text=r.text)
                for r, v in zip(chunk, vecs, strict=True)
            ]
        )
    return time.perf_counter() - started


def pct(values: list[float], p: float) -> float:
    return round(float(np.percentile(values, p)) * 1000, 1)


async def run() -> dict[str, Any]:
    from tgassist.channels.ask import ask
    from tgassist.channels.corpus import refresh_now
    from tgassist.channels.search import SearchQuery, search
    from tgassist.channels.trends import find_trends

    rng = random.Random(7)
    out: dict[str, Any] = {"posts": POSTS}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data")  # type: ignore[call-arg]
        app = await App.start(settings, migrate=True)
        try:
            t = time.perf_counter()
            channels, vocab = await build(app, rng)
            out["save_s"] = round(time.perf_counter() - t, 1)
            out["embed_and_upsert_s"] = round(await index_all(app), 1)
            t = time.perf_counter()
            corpus = await refresh_now(app)
            out["corpus_first_load_s"] = round(time.perf_counter() - t, 1)
            out["corpus_posts"] = len(corpus)
            questions = [
                json.loads(line)["q"] for line in (DATA / "questions.jsonl").open(encoding="utf-8")
            ]
            queries = questions + [
                " ".join(rng.choice(vocab[:3000]) for _ in range(rng.randint(2, 5)))
                for _ in range(300 - len(questions))
            ]
            times = []
            for q in queries:
                t = time.perf_counter()
                await search(app, SearchQuery(q, limit=10))
                times.append(time.perf_counter() - t)
            out["search_ms_p50"], out["search_ms_p95"] = pct(times, 50), pct(times, 95)
            times = []
            for q in questions[:100]:
                t = time.perf_counter()
                await ask(app, q)
                times.append(time.perf_counter() - t)
            out["ask_ms_p50"], out["ask_ms_p95"] = pct(times, 50), pct(times, 95)
            out.update(await incremental(app, channels[0]))
            out.update(await digests(app, channels, rng))
            t = time.perf_counter()
            trends = await find_trends(app, until=NOW, window_hours=24, baseline_days=6)
            out["trends_7d_s"] = round(time.perf_counter() - t, 1)
            out["trends_found"] = len(trends)
        finally:
            await app.close()
    return out


async def incremental(app: App, channel_id: int) -> dict[str, Any]:
    from tgassist.channels.corpus import refresh_now
    from tgassist.channels.index import PostVector
    from tgassist.channels.search import SearchQuery, search
    from tgassist.channels.sources.base import RawMessage
    from tgassist.channels.store import save_batch

    texts = [f"Уникальнаяновость{i} о запуске спутника номер {i}" for i in range(100)]
    msgs = [RawMessage(message_id=10_000_000 + i, date=NOW, text=t) for i, t in enumerate(texts)]
    res = await save_batch(app, channel_id, msgs)
    ids = [dict(res.post_ids)[m.message_id] for m in msgs]
    vecs = await app.embedder.embed(texts)
    await app.vectors.upsert(
        [
            PostVector(p, channel_id, v, date=NOW, text=t)
            for p, v, t in zip(ids, vecs, texts, strict=True)
        ]
    )
    t = time.perf_counter()
    await refresh_now(app)
    refresh = time.perf_counter() - t
    hits = await search(app, SearchQuery("уникальнаяновость42 спутник", limit=3))
    return {
        "incremental_100_posts_refresh_s": round(refresh, 2),
        "incremental_found": bool(hits.hits and hits.hits[0].post_id == ids[42]),
    }


async def digests(app: App, channels: list[int], rng: random.Random) -> dict[str, Any]:
    from sqlalchemy import func, select

    from tgassist.channels.digests import send_due, update_settings
    from tgassist.channels.models import Subscription
    from tgassist.channels.read_models import DigestDelivery
    from tgassist.core.events import Event
    from tgassist.core.models import User
    from tgassist.core.outbox import add_event

    class Outgoing(Event):
        chat_id: int
        key: str
        params: dict[str, Any]
        dedupe_key: str

    async def sender(session: Any, **kw: Any) -> None:
        add_event(
            session,
            "bot.outgoing",
            Outgoing(
                chat_id=kw["chat_id"],
                key=kw["key"],
                params=kw["params"],
                dedupe_key=kw["dedupe_key"],
            ),
        )

    async with app.db.session() as session:
        users = [User(telegram_id=1_000_000 + i) for i in range(USERS)]
        session.add_all(users)
        await session.flush()
        uids = [u.id for u in users]
        for uid in uids:
            for ch in rng.sample(channels, 10):
                session.add(Subscription(user_id=uid, channel_id=ch))
    for uid in uids:
        await update_settings(app, uid, time_local="09:00", timezone="UTC")
    t = time.perf_counter()
    report = await send_due(app, NOW, send=sender)
    took = time.perf_counter() - t
    again = await send_due(app, NOW, send=sender)
    async with app.db.session() as session:
        rows = await session.scalar(select(func.count()).select_from(DigestDelivery))
    return {
        "digests_users": USERS,
        "digests_s": round(took, 1),
        "digests_sent": report.sent,
        "digests_second_run_sent": again.sent,
        "digest_rows": int(rows or 0),
    }


def main() -> None:
    print(json.dumps(asyncio.run(run()), indent=2))


if __name__ == "__main__":
    main()
