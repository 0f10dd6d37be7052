"""TaskManager: the one progress facility every door watches."""

from __future__ import annotations

import asyncio

from tgassist.app import App
from tgassist.core.tasks import Progress


async def test_lifecycle_and_watch_sees_each_change(app: App) -> None:
    task = await app.tasks.create("demo.import", user_id=7, subject_type="channel", subject_id=3)
    assert (task.status, task.key, task.subject_id) == ("pending", "core.task.queued", "3")
    seen: list[Progress] = []

    async def watch() -> None:
        async for p in app.tasks.watch(task.id, poll_sec=0.2):
            seen.append(p)

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.1)
    await app.tasks.start(task.id)
    for n in (1, 2, 3):
        await app.tasks.progress(
            task.id, stage="import", percent=n * 30, key="core.task.started", n=n
        )
    await app.tasks.progress(task.id, stage="import", percent=250, key="core.task.started", n=9)
    await app.tasks.finish(task.id, {"posts": 12})
    await asyncio.wait_for(watcher, 10)
    assert seen[0].status == "pending" and seen[-1].status == "done"
    assert [p.percent for p in seen if p.status == "running" and p.stage] == [30, 60, 90, 100]
    assert seen[-1].message is not None and seen[-1].message.render("en") == "Done"
    done = await app.tasks.get(task.id)
    assert done is not None and done.result == {"posts": 12} and done.finished_at is not None
    # a late report never reopens a finished task
    await app.tasks.progress(task.id, stage="import", percent=5, key="core.task.started")
    assert (await app.tasks.get(task.id)).status == "done"  # type: ignore[union-attr]
    # watching a finished task yields its final state once and ends
    assert [p.status async for p in app.tasks.watch(task.id)] == ["done"]


async def test_cancel_is_seen_by_the_job_and_only_by_its_owner(app: App) -> None:
    task = await app.tasks.create("demo", user_id=1)
    assert await app.tasks.cancel(task.id, user_id=2) is False  # someone else's task
    assert await app.tasks.is_cancelled(task.id) is False
    assert await app.tasks.cancel(task.id, user_id=1) is True
    assert await app.tasks.is_cancelled(task.id) is True
    await app.tasks.cancelled(task.id)
    assert await app.tasks.cancel(task.id) is False  # nothing left to cancel
    view = await app.tasks.get(task.id)
    assert view is not None and view.status == "cancelled" and view.key == "core.task.cancelled"


async def test_fail_keeps_a_key_for_users_and_detail_for_developers(app: App) -> None:
    task = await app.tasks.create("demo")
    await app.tasks.fail(task.id, "core.task.failed", error="Traceback…", error_text="x")
    view = await app.tasks.get(task.id)
    assert view is not None and view.status == "failed" and view.error == "Traceback…"
    assert view.params == {"error_text": "x"}
    assert [t.id for t in await app.tasks.list(status="failed")] == [task.id]
    assert await app.tasks.list(status="running") == []


async def test_watch_without_the_stream_falls_back_to_the_row(app: App) -> None:
    task = await app.tasks.create("demo")
    seen: list[str] = []

    async def watch() -> None:
        async for p in app.tasks.watch(task.id, poll_sec=0.1):
            seen.append(p.status)

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.05)
    await app.tasks.finish(task.id)
    await app.redis.delete(f"tasks:progress:{task.id}")  # e.g. Redis lost the stream
    await asyncio.wait_for(watcher, 5)
    assert seen[0] == "pending" and seen[-1] == "done"
    assert [p async for p in app.tasks.watch("no-such-task")] == []
