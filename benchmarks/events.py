"""Events ingest: LLM calls for a partly translated batch, a zero-call re-run, and events/s.

`python -m benchmarks events`. 5,000 events from a local JSON-LD page (no network), 60 % of which
already have `title_en`; a local counting fake of an OpenAI-compatible server translates the rest.
SQLite + embedded Redis in a temp dir by default; `BENCH_DATABASE_URL` / `BENCH_REDIS_URL` for servers.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from tests.fakes.openai_server import FakeOpenAI, translation_responder
from tests.util import scratch_postgres
from tgassist.app import App
from tgassist.core.logging import configure_logging
from tgassist.events.ingest import ingest
from tgassist.events.models import Event
from tgassist.settings import Settings

N = int(os.environ.get("BENCH_N", "5000"))
TRANSLATED_SHARE = 0.6
NOW = datetime(2030, 6, 1, tzinfo=UTC)


def write_page(path: Path, n: int) -> None:
    """A page with `n` schema.org Events (Russian titles, Bali venues) in one JSON-LD block."""
    events = []
    for i in range(n):
        start = NOW + timedelta(days=1 + i % 50, minutes=i)
        events.append(
            {
                "@context": "https://schema.org",
                "@type": "Event",
                "name": f"Концерт номер {i} в клубе",
                "startDate": start.isoformat(),
                "url": f"https://example.org/e/{i}",
                "location": {
                    "@type": "Place",
                    "name": f"Клуб {i % 40}",
                    "geo": {
                        "latitude": -8.5 - (i % 100) / 1000,
                        "longitude": 115.2 + (i % 100) / 1000,
                    },
                },
            }
        )
    path.write_text(
        f'<html><script type="application/ld+json">{json.dumps(events, ensure_ascii=False)}'
        "</script></html>",
        encoding="utf-8",
    )


async def _forget_translations(app: App) -> None:
    keys = [k async for k in app.redis.scan_iter("ai:translate:*")]
    if keys:
        await app.redis.delete(*keys)


async def run(tmp: Path, db_url: str | None) -> dict[str, float]:
    page = tmp / "events.html"
    write_page(page, N)
    with FakeOpenAI(responder=translation_responder()) as fake:
        common = {
            "data_dir": tmp / "data",
            "database_url": db_url,
            "redis_url": os.environ.get("BENCH_REDIS_URL"),
            "events_window_days": 60,
            "events_jsonld_pages": [{"url": str(page), "city": "bali"}],
        }
        offline = await App.start(Settings(_env_file=None, **common), migrate=True)  # type: ignore[call-arg]
        online = await App.start(
            Settings(
                _env_file=None,
                **common,
                llm_provider="openai",
                llm_base_url=fake.url,  # type: ignore[call-arg]
                llm_api_key="bench",
            ),
            migrate=False,
        )
        try:
            await _forget_translations(online)
            t0 = time.perf_counter()
            first = await ingest(offline, "jsonld", now=NOW)
            t_first = time.perf_counter() - t0
            # 60 % already have an English title (an earlier run, or KudaGo's lang=en).
            keep = int(N * TRANSLATED_SHARE)
            async with offline.db.session() as s:
                ids = list(
                    (await s.execute(select(Event.id).order_by(Event.id).limit(keep))).scalars()
                )
                for i in range(0, len(ids), 500):
                    await s.execute(
                        update(Event)
                        .where(Event.id.in_(ids[i : i + 500]))
                        .values(title_en="(existing)")
                    )
            chunk = online.settings.translate_chunk_items
            t0 = time.perf_counter()
            second = await ingest(online, "jsonld", now=NOW)
            t_second = time.perf_counter() - t0
            calls_second = fake.count("/chat/completions")
            await _forget_translations(
                online
            )  # the re-run's zero calls come from the DB lookup, not the cache
            t0 = time.perf_counter()
            third = await ingest(online, "jsonld", now=NOW)
            t_third = time.perf_counter() - t0
            calls_third = fake.count("/chat/completions") - calls_second
        finally:
            await online.close()
            await offline.close()
    missing = N - keep
    fetch = first.sources["jsonld"].seconds
    return {
        "events": N,
        "missing_en": missing,
        "chunk": chunk,
        "expected_calls": math.ceil(missing / chunk),
        "calls_run2": calls_second,
        "calls_rerun": calls_third,
        "saved_run1": first.sources["jsonld"].saved,
        "updated_run2": second.sources["jsonld"].updated,
        "skipped_rerun": third.sources["jsonld"].skipped,
        "run1_s": t_first,
        "run1_ev_s": N / t_first,
        "run1_store_ev_s": N / max(1e-9, t_first - fetch),
        "run2_s": t_second,
        "run2_ev_s": N / t_second,
        "run3_s": t_third,
        "run3_ev_s": N / t_third,
    }


@contextmanager
def scratch_database(url: str | None) -> Iterator[str | None]:
    """A fresh PostgreSQL database beside the one in `url` (dropped after); SQLite needs none."""
    if not url:
        yield None
        return
    with scratch_postgres(url, f"tgassist_bench_events_{os.getpid()}") as scratch:
        yield scratch


def main() -> None:
    configure_logging(os.environ.get("BENCH_LOG_LEVEL", "WARNING"), json_logs=False)
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database(os.environ.get("BENCH_DATABASE_URL")) as db_url,
    ):
        r = asyncio.run(run(Path(tmp), db_url))
    backend = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    print(
        f"events ingest, {r['events']:,} events on {backend}; {r['missing_en']:,} without title_en, chunk {r['chunk']}"
    )
    print(
        f"  LLM calls, run with 60 % translated: {r['calls_run2']} (expected ceil({r['missing_en']}/{r['chunk']}) = "
        f"{r['expected_calls']}) {'OK' if r['calls_run2'] == r['expected_calls'] else 'MISMATCH'}"
    )
    print(
        f"  LLM calls, re-run: {r['calls_rerun']} {'OK' if r['calls_rerun'] == 0 else 'MISMATCH'}"
    )
    print(
        f"  run 1 (all new, no LLM):  {r['run1_s']:.2f} s, {r['run1_ev_s']:,.0f} events/s "
        f"({r['run1_store_ev_s']:,.0f}/s without the page parse), saved={r['saved_run1']}"
    )
    print(
        f"  run 2 (translate 40 %):   {r['run2_s']:.2f} s, {r['run2_ev_s']:,.0f} events/s, updated={r['updated_run2']}"
    )
    print(
        f"  run 3 (re-run, no change): {r['run3_s']:.2f} s, {r['run3_ev_s']:,.0f} events/s, skipped={r['skipped_rerun']}"
    )
    print(f"  ratio to target (1,000 events/s): {r['run1_ev_s'] / 1000:.1f}x")


if __name__ == "__main__":
    main()
