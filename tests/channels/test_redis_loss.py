"""Redis lost the channels pipeline mid-way: the database is the source of truth.

Posts whose outbox rows are still kept are re-sent by the relay; older ones (rows pruned) are
re-queued from their per-stage state (`pipeline reprocess --missing`). Every post ends up
tagged and indexed once, and nothing that was complete is queued again.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select

from tests.channels.enrich_util import channel, enrichment, message, save
from tests.util import run_pipeline
from tgassist.app import App
from tgassist.channels.models import PostEnrichment
from tgassist.channels.reprocess import reprocess_missing
from tgassist.channels.stages import STAGES
from tgassist.core.models import OutboxRow
from tgassist.core.recovery import recover

TEXTS = [
    "Сборная по футболу выиграла матч со счётом 2:1",
    "Центробанк повысил ключевую ставку до 16 процентов",
    "Новый смартфон получил камеру на 200 мегапикселей",
]


async def _tag_rows(app: App) -> int:
    async with app.db.session() as s:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(PostEnrichment)
                .where(PostEnrichment.kind == "tags")
            )
            or 0
        )


async def test_missing_stages_are_requeued_once_from_the_database(app: App) -> None:
    cid = await channel(app)
    done = await save(app, cid, [message(TEXTS[0])])
    await run_pipeline(app, STAGES)
    assert not any((await reprocess_missing(app)).values())  # complete posts are not queued
    # Two more posts saved; Redis loses everything before any worker saw them, and their
    # outbox rows are pruned already (older than the kept window).
    ids = await save(app, cid, [message(TEXTS[1]), message(TEXTS[2])])
    await app.outbox.drain()
    await app.redis.flushdb()
    async with app.db.session() as s:
        await s.execute(delete(OutboxRow))
    report = await recover(app, STAGES)
    assert report is not None and report.outbox_redriven == 0
    assert report.products == {"channels.redrive_after_loss": 2}  # only the two untagged posts
    await run_pipeline(app, STAGES)
    assert await _tag_rows(app) == 3
    for pid in [*done.values(), *ids.values()]:
        row = await enrichment(app, pid, "tags")
        assert row is not None and row.status == "ok"
        assert await app.vectors.get(pid) is not None
    assert not any((await reprocess_missing(app)).values())  # nothing left missing


async def test_reprocess_missing_from_the_cli(app: App) -> None:
    from tests.channels.test_pipeline_cli import cli

    cid = await channel(app)
    await save(app, cid, [message(TEXTS[0]), message(TEXTS[1])])
    await app.outbox.drain()
    await app.redis.flushdb()  # the posts' events are gone; the posts are not
    r = await cli(app, "pipeline", "reprocess", "--missing")
    assert r.returncode == 0, r.stderr
    assert "re-queued: tagging 2" in r.stdout
    await run_pipeline(app, STAGES)
    assert await _tag_rows(app) == 2
    r = await cli(app, "pipeline", "reprocess", "--missing")
    assert "nothing missing" in r.stdout
    r = await cli(app, "pipeline", "reprocess", "--missing", "--stage", "tagging")
    assert r.returncode != 0 and "either --stage or --missing" in (r.stdout + r.stderr)
