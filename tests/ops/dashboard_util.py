"""Populating an install for the dashboard tests: posts, a dead letter, a campaign file, a task."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tgassist.app import App
from tgassist.channels.ingest import import_export
from tgassist.core.bus import dlq_name

TOKEN = "test-admin-token"  # tests/conftest.py's settings


async def add_dead_letter(app: App, stream: str = "posts.parsed") -> None:
    await app.redis.xadd(
        dlq_name(stream),
        {
            "stream": stream,
            "original_id": "1-0",
            "group": "tagging",
            "error": "ValueError: a broken post",
            "deliveries": "5",
            "failed_at": datetime.now(UTC).isoformat(),
            "f:type": "posts.parsed",
            "f:data": '{"post_id": 1}',
        },
    )


async def populate(app: App, fixtures_dir: Path) -> None:
    await import_export(app, fixtures_dir / "telegram-desktop" / "trantor" / "result.json")
    await app.outbox.drain()  # posts.parsed entries: the throughput chart has something to draw
    await add_dead_letter(app)
