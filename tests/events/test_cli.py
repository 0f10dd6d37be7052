"""`tgassist events …` as a user runs it (a real process on this test's backends)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tgassist.core.db import utcnow
from tgassist.core.models import User
from tgassist.events.models import Event
from tgassist.events.service import save_event
from tgassist.settings import Settings


def run_cli(settings: Settings, *args: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGASSIST_")}
    env.update(
        {
            "TGASSIST_DATA_DIR": str(settings.data_dir),
            "TGASSIST_DATABASE_URL": str(settings.database_url),
            "TGASSIST_REDIS_URL": str(settings.redis_url),
            "COLUMNS": "200",
            "TGASSIST_LANGUAGE": "en",  # the CLI speaks TGASSIST_LANGUAGE
            **env_extra,
        }
    )
    exe = Path(sys.executable).parent / "tgassist"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "tgassist.cli"]
    return subprocess.run(
        [*cmd, "events", *args], env=env, text=True, capture_output=True, timeout=90
    )


async def test_ingest_list_sources_reminders_backfill(
    settings_factory: object, fixtures_dir: Path
) -> None:
    from tgassist.app import App

    settings: Settings = settings_factory()  # type: ignore[operator]
    feeds = json.dumps(
        [
            {"url": str(p), "city": "msk", "timezone": "Europe/Moscow"}
            for p in sorted((fixtures_dir / "ics").glob("*.ics"))
        ]
    )
    r = run_cli(settings, "ingest", "--source", "ics", TGASSIST_EVENTS_ICS_FEEDS=feeds)
    assert r.returncode == 0, r.stderr
    assert "ingest run 1: ok" in r.stdout and "llm_calls=0" in r.stdout

    app = await App.start(settings)
    try:
        async with app.db.session() as s:
            events = (await s.execute(select(Event).order_by(Event.starts_at))).scalars().all()
            user = User(telegram_id=42)
            s.add(user)
        assert events and all(e.source == "ics" for e in events)
        await save_event(app, user.id, events[-1].id)
    finally:
        await app.close()
    soonest = events[0]
    day = soonest.starts_at.astimezone(ZoneInfo("Europe/Moscow")).date().isoformat()
    r = run_cli(settings, "list", "--city", "msk", "--date", day)
    assert r.returncode == 0 and soonest.title[:20] in r.stdout

    r = run_cli(settings, "sources")
    assert r.returncode == 0 and "ics" in r.stdout and "ok" in r.stdout

    r = run_cli(settings, "reminders")
    assert r.returncode == 0 and "start" in r.stdout
    r = run_cli(settings, "reminders", "--due")
    assert r.returncode == 0 and "reminders: produced=0 sent=0 failed=0" in r.stdout

    r = run_cli(settings, "backfill")
    assert r.returncode == 1 and "TGASSIST_LLM_PROVIDER" in r.stderr and "Traceback" not in r.stderr
    r = run_cli(settings, "ingest", "--source", "nope")
    assert r.returncode == 1 and "unknown event source(s): nope" in r.stderr
    assert soonest.starts_at > utcnow() - timedelta(days=1)


async def test_a_source_error_is_shown_in_the_operators_language(
    settings_factory: object, tmp_path: Path
) -> None:
    """A feed that cannot be read: `ingest` and `sources` say so in TGASSIST_LANGUAGE, and the
    stored note is a key, so the same run reads in English when the language changes."""
    settings: Settings = settings_factory()  # type: ignore[operator]
    feeds = json.dumps([{"url": str(tmp_path / "missing.ics")}])
    wide = {"COLUMNS": "400", "TGASSIST_EVENTS_ICS_FEEDS": feeds}
    r = run_cli(settings, "ingest", "--source", "ics", TGASSIST_LANGUAGE="ru", **wide)
    assert r.returncode == 1, r.stderr  # the only source failed: so did the run
    assert "не удаётся прочитать" in r.stdout and "cannot read" not in r.stdout
    r = run_cli(settings, "sources", TGASSIST_LANGUAGE="ru", **wide)
    assert "не удаётся прочитать" in r.stdout and "cannot read" not in r.stdout
    r = run_cli(settings, "sources", TGASSIST_LANGUAGE="en", **wide)
    assert "cannot read" in r.stdout and "не удаётся" not in r.stdout
