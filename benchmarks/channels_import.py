"""Import throughput: a synthetic Telegram Desktop export → committed posts + published events.

`python -m benchmarks channels_import`. The export is generated from the real trantor fixture's
messages (text, entities, hashtags, links, signatures, reactions): BENCH_POSTS text posts (50,000)
and BENCH_PHOTOS photos (5,000) in albums of 2–5, each photo a small unique JPEG-shaped file.
Runs on embedded defaults (SQLite + embedded Redis in a temp data dir), then on PostgreSQL
(BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432/test: a scratch database is created
and dropped; BENCH_PG=0 skips it). Reports posts/s from the start of the import until every post is
committed and every event is published.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from tgassist.app import App
from tgassist.channels.ingest import import_export
from tgassist.settings import Settings

POSTS = int(os.environ.get("BENCH_POSTS", "50000"))
PHOTOS = int(os.environ.get("BENCH_PHOTOS", "5000"))
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
FIXTURE = (
    Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "telegram-desktop" / "trantor"
)


def make_export(root: Path) -> int:
    """Write result.json + photos/; returns the number of messages."""
    source = json.loads((FIXTURE / "result.json").read_text(encoding="utf-8"))
    texts = [m for m in source["messages"] if m["type"] == "message" and m.get("text_entities")]
    head = next(FIXTURE.glob("photos/*.jpg")).read_bytes()[:1500]
    (root / "photos").mkdir(parents=True)
    messages: list[dict[str, Any]] = []
    unix = 1_689_611_059
    msg_id = 0
    photos_left = PHOTOS
    posts_per_album = max(1, POSTS // max(1, PHOTOS // 3))
    for n in range(POSTS):
        tpl = texts[n % len(texts)]
        msg_id += 1
        unix += 7
        messages.append(
            {
                "id": msg_id,
                "type": "message",
                "date": "2023-07-18T00:00:00",
                "date_unixtime": str(unix),
                "from": source["name"],
                "from_id": f"channel{source['id']}",
                "author": tpl.get("author"),
                "text": tpl["text"],
                "text_entities": tpl["text_entities"],
                **(
                    {"reactions": [{"type": "emoji", "count": n % 50, "emoji": "👍"}]}
                    if n % 10 == 0
                    else {}
                ),
            }
        )
        if photos_left and n % posts_per_album == 0:
            size = min(photos_left, 2 + n % 4)
            unix += 7
            for k in range(size):
                msg_id += 1
                name = f"photos/photo_{msg_id}.jpg"
                (root / name).write_bytes(head + msg_id.to_bytes(8, "big"))
                messages.append(
                    {
                        "id": msg_id,
                        "type": "message",
                        "date": "2023-07-18T00:00:00",
                        "date_unixtime": str(unix),
                        "from": source["name"],
                        "from_id": f"channel{source['id']}",
                        "photo": name,
                        "photo_file_size": len(head) + 8,
                        "width": 640,
                        "height": 480,
                        "text": f"album {msg_id}" if k == 0 else "",
                        "text_entities": [],
                    }
                )
            photos_left -= size
    (root / "result.json").write_text(
        json.dumps(
            {**{k: v for k, v in source.items() if k != "messages"}, "messages": messages},
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    return len(messages)


async def measure(settings: Settings, export: Path, label: str) -> dict[str, Any]:
    app = await App.start(settings, migrate=True)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        result = await import_export(app, export)
        t1 = time.perf_counter()
        events = await app.outbox.drain()
        t2, c2 = time.perf_counter(), time.process_time()
        again = await import_export(app, export)
        t3 = time.perf_counter()
    finally:
        await app.close()
    posts = result.posts_new
    row = {
        "backend": label,
        "posts": posts,
        "albums": result.albums_in_export,
        "media": result.media,
        "events": events,
        "commit_s": t1 - t0,
        "publish_s": t2 - t1,
        "total_s": t2 - t0,
        "posts_per_s": posts / (t2 - t0),
        "cpu_s": c2 - c0,
        "reimport_s": t3 - t2,
        "reimport_new": again.posts_new,
        "load": os.getloadavg()[0],
    }
    print(
        f"{label:<26} {posts:>7,} posts {row['albums']:>5,} albums {events:>7,} events  "
        f"commit {row['commit_s']:6.1f}s  publish {row['publish_s']:5.1f}s  "
        f"=> {row['posts_per_s']:7,.0f} posts/s  (this process: {row['cpu_s']:.1f} CPU s; load avg {row['load']:.1f})  "
        f"re-import {row['reimport_s']:5.1f}s ({again.posts_new} new)",
        flush=True,
    )
    return row


async def run() -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "export"
        t0 = time.perf_counter()
        n = make_export(export)
        print(
            f"synthetic export: {n:,} messages ({POSTS:,} text posts + {PHOTOS:,} photos in albums), "
            f"written in {time.perf_counter() - t0:.1f}s",
            flush=True,
        )
        embedded = Settings(_env_file=None, data_dir=Path(tmp) / "embedded")  # type: ignore[call-arg]
        rows.append(await measure(embedded, export, "SQLite + embedded Redis"))
        if os.environ.get("BENCH_PG", "1") != "0":
            rows.append(await _postgres(Path(tmp), export))
    return rows


async def _postgres(tmp: Path, export: Path) -> dict[str, Any]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"tgassist_bench_{os.getpid()}"
    admin = create_engine(
        make_url(PG_URL).set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        settings = Settings(_env_file=None, data_dir=tmp / "pg", database_url=url)  # type: ignore[call-arg]
        return await measure(settings, export, "PostgreSQL + embedded Redis")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
