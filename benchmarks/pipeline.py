"""The channels enrichment pipeline end to end: N text posts from import to `posts.indexed`.

`python -m benchmarks pipeline` (or `make bench`). Embedded defaults (SQLite, embedded Redis, Qdrant
local mode, LadybugDB), offline providers (USE embeddings, offline tags). Posts are saved through
the ingestion path (`save_batch`, outbox rows), then the production worker loop and outbox relay
run every enrichment stage until each post has reached `posts.indexed`.

Reports posts/s end to end, p95 latency import → indexed, per-stage handler p50/p95, and the ratio
to the embedding model's own throughput measured in the same run (each post is embedded once).
`BENCH_POSTS` (default 10000) sets N.
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

N = int(os.environ.get("BENCH_POSTS", "10000"))
IMPORT_BATCH = 2000

RU = (
    "Сборная по футболу выиграла матч",
    "Центробанк повысил ключевую ставку до 16%",
    "Вышел новый релиз Python",
    "Учёные нашли новый способ лечения",
    "В Москве открылась выставка современного искусства",
    "Компания представила смартфон с новой камерой",
    "Рецепт быстрого ужина из курицы и риса",
    "Концерт группы перенесли на осень",
    "Ипотека дорожает: что делать покупателям квартир",
    "Запуск ракеты с тремя спутниками прошёл успешно",
)
EN = (
    "The team won the championship final",
    "Inflation slowed for the third month",
    "New language model tops benchmarks",
    "City council approves a new park",
    "Airline adds direct flights to Bali",
    "Startup raises a seed round",
)


def corpus(n: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        parts = rnd.sample(RU, 2) + [rnd.choice(EN)]
        out.append(
            f"{'. '.join(parts)}. Пост номер {i} #{rnd.choice(['новости', 'tech', 'спорт', 'экономика'])}"
        )
    return out


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def histogram_quantile(stage: str, q: float) -> float:
    """Quantile of tgassist_handler_seconds{stage} from its buckets (upper bound of the bucket)."""
    from prometheus_client import REGISTRY

    buckets: list[tuple[float, float]] = []
    for metric in REGISTRY.collect():
        if metric.name != "tgassist_handler_seconds":
            continue
        for s in metric.samples:
            if s.name.endswith("_bucket") and s.labels.get("stage") == stage:
                buckets.append((float(s.labels["le"]), s.value))
    buckets.sort()
    if not buckets or buckets[-1][1] == 0:
        return float("nan")
    target = q * buckets[-1][1]
    return next(le for le, count in buckets if count >= target)


async def embed_baseline(app: object, texts: list[str]) -> float:
    embedder = app.embedder  # type: ignore[attr-defined]
    await embedder.embed(texts[:8])  # load the model
    t0 = time.perf_counter()
    for i in range(0, len(texts), 64):
        await embedder.embed(texts[i : i + 64])
    return len(texts) / (time.perf_counter() - t0)


async def run() -> dict[str, float]:
    from tgassist.app import App
    from tgassist.channels.events import POSTS_INDEXED, POSTS_PARSED
    from tgassist.channels.service import ensure_channel
    from tgassist.channels.sources.base import ChannelInfo, RawMessage
    from tgassist.channels.stages import STAGES
    from tgassist.channels.store import save_batch
    from tgassist.core.worker import Worker
    from tgassist.settings import Settings

    texts = corpus(N)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), vision_enabled=False)  # type: ignore[call-arg]
        app = await App.start(settings, migrate=True)
        try:
            base_rate = await embed_baseline(app, corpus(2000, seed=99))
            await app.vectors.ensure()
            app.graph  # noqa: B018  (open the graph before timing)
            from tgassist.channels.tagging import Tagger

            await Tagger.for_app(app).topics("прогрев")  # embeds the taxonomy once
            channel = await ensure_channel(
                app, ChannelInfo(None, "bench", "Bench"), source="export"
            )
            start = datetime(2024, 1, 1, tzinfo=UTC)
            stop = asyncio.Event()
            worker = Worker(app, STAGES, name="bench")
            relay = asyncio.create_task(app.outbox.run(stop, poll=0.05))
            consume = asyncio.create_task(worker.run())
            t0 = time.perf_counter()
            for i in range(0, N, IMPORT_BATCH):
                batch = [
                    RawMessage(message_id=j + 1, date=start + timedelta(seconds=j), text=texts[j])
                    for j in range(i, min(N, i + IMPORT_BATCH))
                ]
                await save_batch(app, channel.id, batch)
            t_import = time.perf_counter() - t0
            indexed: set[int] = set()
            last = "0-0"
            while len(indexed) < N:
                resp = await app.redis.xread({POSTS_INDEXED: last}, count=5000, block=200)
                for _s, entries in resp or []:
                    for mid, fields in entries:
                        last = mid
                        indexed.add(int(fields["data"].split('"post_id":', 1)[1].split(",", 1)[0]))
            elapsed = time.perf_counter() - t0
            worker.stop()
            stop.set()
            await asyncio.gather(consume, relay)
            # Latency import → indexed from stream entry ids (ms timestamps).
            parsed_at: dict[int, int] = {}
            for mid, fields in await app.redis.xrange(POSTS_PARSED):
                parsed_at[int(fields["data"].split('"post_id":', 1)[1].split(",", 1)[0])] = int(
                    mid.split("-")[0]
                )
            lat = []
            for mid, fields in await app.redis.xrange(POSTS_INDEXED):
                pid = int(fields["data"].split('"post_id":', 1)[1].split(",", 1)[0])
                lat.append((int(mid.split("-")[0]) - parsed_at[pid]) / 1000)
            rate = N / elapsed
            print(
                f"posts: {N} text posts, embedded defaults, offline providers ({os.cpu_count()} CPUs)"
            )
            print(f"import (save_batch, outbox rows): {t_import:.1f} s")
            print(
                f"end to end (import start → last posts.indexed): {elapsed:.1f} s = {rate:.0f} posts/s"
            )
            print(
                f"latency import → indexed: p50 {quantile(lat, 0.5):.2f} s, p95 {quantile(lat, 0.95):.2f} s"
            )
            print("handler latency per stage (histogram bucket bound):")
            for st in STAGES:
                p50, p95 = histogram_quantile(st.name, 0.5), histogram_quantile(st.name, 0.95)
                if p95 == p95:  # not NaN: the stage ran
                    print(
                        f"  {st.name:24s} p50 ≤ {p50 * 1000:7.1f} ms   p95 ≤ {p95 * 1000:7.1f} ms"
                    )
            print(
                f"embedding model alone ({app.embedder.name}, batches of 64): {base_rate:.0f} texts/s"
            )
            print(f"ratio pipeline / embedding bound: {rate / base_rate:.2f}")
            print(
                f"qdrant points: {await app.vectors.count()}, worker stats: processed={worker.stats.processed} "
                f"failed={worker.stats.failed} dead_lettered={worker.stats.dead_lettered}"
            )
            return {"posts_per_s": rate, "p95_s": quantile(lat, 0.95), "embed_per_s": base_rate}
        finally:
            await app.close()


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
