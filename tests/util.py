"""Test helpers shared by every product's tests."""

from __future__ import annotations

from collections.abc import Sequence

from tgassist.app import App
from tgassist.core.product import Stage
from tgassist.core.worker import Worker


async def run_pipeline(app: App, stages: Sequence[Stage], max_rounds: int = 50) -> Worker:
    """Relay the outbox and run `stages` until nothing moves (no network, no sleeps)."""
    worker = Worker(app, stages, name="test-worker")
    for _ in range(max_rounds):
        published = await app.outbox.drain()
        before = (
            worker.stats.processed
            + worker.stats.failed
            + worker.stats.dead_lettered
            + worker.stats.skipped
        )
        await worker.run_until_idle()
        after = (
            worker.stats.processed
            + worker.stats.failed
            + worker.stats.dead_lettered
            + worker.stats.skipped
        )
        if not published and after == before and not await app.outbox.pending():
            return worker
    raise AssertionError("pipeline did not settle")
