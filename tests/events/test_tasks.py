"""Scheduling: cron per region at local night/noon, reminders, archive, and no ingest on start-up."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.events.conftest import RU_TITLES, MakeApp, messages, write_feed
from tgassist.core.scheduler import build_trigger
from tgassist.events.ingest import ingest
from tgassist.events.models import IngestRun
from tgassist.events.tasks import PRODUCT, startup_backfill


def test_jobs_table() -> None:
    jobs = {j.name: j for j in PRODUCT.jobs}
    assert jobs["events_reminders"].every_sec == 300 and jobs["events_archive"].every_sec == 6 * 3600
    ru, bali = jobs["events_ingest_ru"], jobs["events_ingest_bali"]
    assert (ru.timezone, bali.timezone) == ("Europe/Moscow", "Asia/Makassar")
    after = datetime(2030, 1, 1, 13, 0, tzinfo=UTC)
    nxt_ru = build_trigger(ru).get_next_fire_time(None, after)
    nxt_bali = build_trigger(bali).get_next_fire_time(None, after)
    assert nxt_ru.astimezone(UTC) == datetime(2030, 1, 2, 0, 0, tzinfo=UTC)  # 03:00 Moscow
    assert nxt_bali.astimezone(UTC) == datetime(2030, 1, 1, 19, 0, tzinfo=UTC)  # 03:00 Bali
    assert PRODUCT.on_start == (startup_backfill,)


async def test_scheduler_start_backfills_once_and_never_ingests(
    make_app: MakeApp, settings_factory: object, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tgassist.runtime import Roles, serve

    feed = write_feed(tmp_path / "f.ics", RU_TITLES[:2], datetime(2030, 1, 5, tzinfo=UTC))
    app = await make_app(events_ics_feeds=[feed])
    await ingest(app, "ics", now=datetime(2030, 1, 1, tzinfo=UTC))
    settings = settings_factory(events_ics_feeds=[feed], data_dir=tmp_path / "srv")  # type: ignore[operator]
    task = asyncio.create_task(serve(settings, Roles(scheduler=True)))
    for _ in range(200):
        if "[AUTO-BACKFILL] Found 2 events without EN" in messages(caplog):
            break
        await asyncio.sleep(0.05)
    else:
        task.cancel()
        pytest.fail("the start-up backfill did not run within 10 s")
    os.kill(os.getpid(), signal.SIGTERM)  # the runtime's own handler (installed by now) stops it
    await asyncio.wait_for(task, 30)
    logs = messages(caplog)
    assert logs.count("[AUTO-BACKFILL] Found 2 events without EN") == 1
    async with app.db.session() as s:
        assert (await s.execute(select(func.count()).select_from(IngestRun))).scalar_one() == 1  # only ours
