"""Channel imports and reprocessing report through the core TaskManager, watched like any task."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tgassist.app import App
from tgassist.channels import service
from tgassist.core.errors import LocalizedError, TgassistError


async def test_import_reports_progress_through_its_task(app: App, fixtures_dir: Path) -> None:
    export = fixtures_dir / "telegram-desktop" / "trantor"
    task = await service.start_import(app, export, user_id=None)
    job = asyncio.create_task(service.run_import(app, task.id, export))
    seen = [p async for p in app.tasks.watch(task.id, poll_sec=0.1)]
    result = await job
    assert seen[0].status in ("pending", "running") and seen[-1].status == "done"
    assert any(p.key == "channels.import.progress" for p in seen)
    done = await app.tasks.get(task.id)
    assert done is not None and done.result is not None
    assert done.result["posts_new"] == result.posts_new > 0
    assert done.message is not None and str(result.posts_new) in done.message.render("en")


async def test_failed_import_fails_its_task_and_bad_refs_are_refused(
    app: App, tmp_path: Path
) -> None:
    empty = tmp_path / "not-an-export"
    empty.mkdir()
    task = await service.start_import(app, empty)
    with pytest.raises(TgassistError):
        await service.run_import(app, task.id, empty)
    failed = await app.tasks.get(task.id)
    assert failed is not None and failed.status == "failed" and failed.key
    assert service.resolve_ref("https://t.me/Some_Channel/") == service.ChannelRef(
        "username", "some_channel"
    )
    assert service.resolve_ref(str(empty)).kind == "export"
    for bad in ("", "@", "hello world", "@" + "x" * 70):
        with pytest.raises(service.ChannelError) as err:
            service.resolve_ref(bad)
        assert err.value.key == "channels.ref_invalid"
    with pytest.raises(LocalizedError) as unknown:
        await service.start_reprocess(app, "nope")
    assert unknown.value.key == "channels.reprocess.unknown_stage"
    assert await app.tasks.list() == [failed]  # the refused reprocess created no task
