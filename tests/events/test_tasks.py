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
from tgassist.events.tasks import PRODUCT, start_parsers, startup_backfill
from tgassist.settings import Settings


def test_jobs_table() -> None:
    jobs = {j.name: j for j in PRODUCT.jobs}
    assert (
        jobs["events_reminders"].every_sec == 300 and jobs["events_archive"].every_sec == 6 * 3600
    )
    ru, bali = jobs["events_ingest_ru"], jobs["events_ingest_bali"]
    assert (ru.timezone, bali.timezone) == ("Europe/Moscow", "Asia/Makassar")  # fixed per region
    after = datetime(2030, 1, 1, 13, 0, tzinfo=UTC)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    nxt_ru = build_trigger(ru, settings).get_next_fire_time(None, after)
    nxt_bali = build_trigger(bali, settings).get_next_fire_time(None, after)
    assert nxt_ru.astimezone(UTC) == datetime(2030, 1, 2, 0, 0, tzinfo=UTC)  # 03:00 Moscow
    assert nxt_bali.astimezone(UTC) == datetime(2030, 1, 1, 19, 0, tzinfo=UTC)  # 03:00 Bali
    custom = Settings(
        _env_file=None, events_ingest_cron="30 6 * * *", events_ics_timezone="Europe/Berlin"
    )  # type: ignore[call-arg]
    nxt_ics = build_trigger(jobs["events_ingest_ics"], custom).get_next_fire_time(None, after)
    assert nxt_ics.astimezone(UTC) == datetime(
        2030, 1, 2, 5, 30, tzinfo=UTC
    )  # 06:30 Berlin, from settings
    assert PRODUCT.on_start == (startup_backfill, start_parsers)


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
        assert (
            await s.execute(select(func.count()).select_from(IngestRun))
        ).scalar_one() == 1  # only ours


def test_tgassist_run_on_a_fresh_data_dir_does_not_ingest(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    """Acceptance: `tgassist run` starts everything; no source is asked for anything at start-up."""
    import json
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.events.httpfake import FakeHttp

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with FakeHttp(lambda p, q: (200, {"results": [], "data": []})) as sources:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TGASSIST_")}
        env.update(
            {
                "TGASSIST_DATA_DIR": str(tmp_path / "data"),
                "TGASSIST_API_PORT": str(port),
                "TGASSIST_LOG_LEVEL": "DEBUG",
                "TGASSIST_LOG_JSON": "true",
                "TGASSIST_EVENTS_KUDAGO_BASE_URL": sources.url,
                "TGASSIST_EVENTS_BALIFORUM_BASE_URL": sources.url,
                "TGASSIST_EVENTS_ICS_FEEDS": json.dumps([{"url": sources.url + "/feed.ics"}]),
                "TGASSIST_ADMIN_TOKEN": "test-admin-token",
            }
        )
        exe = Path(sys.executable).parent / "tgassist"
        log_file = (tmp_path / "run.log").open(
            "w"
        )  # a file, not a pipe: debug logs would fill a pipe
        proc = subprocess.Popen(
            [str(exe), "run"] if exe.exists() else [sys.executable, "-m", "tgassist.cli", "run"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            body: dict = {}
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and body.get("scheduler", {}).get("status") != "ok":
                try:
                    details = urllib.request.Request(
                        f"http://127.0.0.1:{port}/health/details",
                        headers={"Authorization": "Bearer test-admin-token"},  # admins only
                    )
                    with urllib.request.urlopen(details, timeout=5) as resp:
                        body = json.loads(resp.read())
                except OSError:
                    time.sleep(0.5)
            time.sleep(1.0)  # give start-up hooks time to do anything they would do
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
            log_file.close()
    out = (tmp_path / "run.log").read_text()
    assert body.get("events", {}).get("events") == 0 and body["events"]["last_run_status"] is None
    assert (
        "events_ingest_ru" in body["scheduler"]["jobs"]
        and "events_ingest_bali" in body["scheduler"]["jobs"]
    )
    assert "[AUTO-BACKFILL] No events without EN, skip" in out
    assert "[INGEST]" not in out and sources.requests == []
