"""`tgassist pipeline status | reprocess` as a user runs them (a real subprocess on the test backends)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.channels.enrich_util import channel, message, save, stream_events
from tests.util import run_pipeline
from tgassist.app import App
from tgassist.channels.events import POSTS_CRAWL, POSTS_INDEXED
from tgassist.channels.stages import STAGES


def _env(app: App) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGASSIST_")}
    s = app.settings
    env.update(
        TGASSIST_DATA_DIR=str(s.data_dir),
        TGASSIST_DATABASE_URL=str(s.database_url),
        TGASSIST_REDIS_URL=str(s.redis_url),
        TGASSIST_LOG_LEVEL="WARNING",
        TGASSIST_LANGUAGE="en",  # the CLI speaks TGASSIST_LANGUAGE
    )
    return env


async def cli(app: App, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "tgassist"
    cmd = [str(exe), *args] if exe.exists() else [sys.executable, "-m", "tgassist.cli", *args]
    return await asyncio.to_thread(
        subprocess.run,
        cmd,
        env=_env(app),
        text=True,
        capture_output=True,
        timeout=120,
    )


async def test_status_shows_every_stream_and_dead_letters(app: App) -> None:
    cid = await channel(app)
    await save(app, cid, [message("Первый пост о футболе"), message("Второй пост об экономике")])
    await run_pipeline(app, STAGES)
    r = await cli(app, "pipeline", "status", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    rows = {(x["stream"], x["group"]): x for x in report["streams"]}
    assert {(s.stream, s.group_name) for s in STAGES} <= set(rows)
    assert rows[("posts.parsed", "tagging")]["length"] == 2
    mine = [rows[(s.stream, s.group_name)] for s in STAGES]
    assert all(x["pending"] == 0 and x["lag"] == 0 and x["dlq"] == 0 for x in mine), mine
    assert report["ocr"]["status"] == "ok" and report["albums"]["pending"] == 0
    await app.redis.xadd(POSTS_CRAWL, {"type": "posts.crawl", "data": "{broken"})
    await run_pipeline(app, STAGES)
    r = await cli(app, "pipeline", "status")
    assert r.returncode == 0, r.stderr
    assert "posts.crawl" in r.stdout and "enrichment" in r.stdout
    assert "backlog: 0, dead letters: 1" in r.stdout


async def test_reprocess_runs_only_the_chosen_stage_again(app: App) -> None:
    cid = await channel(app)
    ids = await save(
        app, cid, [message("Первый пост о футболе"), message("Второй пост об экономике")]
    )
    await run_pipeline(app, STAGES)
    r = await cli(app, "pipeline", "reprocess", "--stage", "indexing", "--since", "2024-01-01")
    assert r.returncode == 0, r.stderr
    assert "2 event(s) published for stage indexing" in r.stdout
    worker = await run_pipeline(app, STAGES)
    assert (
        worker.stats.processed == 2 and worker.stats.skipped == 4
    )  # tag_persistence, crawl_trigger skip
    reindexed = [e for e in await stream_events(app, POSTS_INDEXED) if e["source"] == "reprocess"]
    assert sorted(e["post_id"] for e in reindexed) == sorted(ids.values())
    assert await app.vectors.count() == 2
    r = await cli(app, "pipeline", "reprocess", "--stage", "tagging", "--since", "2999-01-01")
    assert r.returncode == 0 and "0 event(s)" in r.stdout


async def test_reprocess_refuses_unknown_stage_and_bad_dates(app: App) -> None:
    r = await cli(app, "pipeline", "reprocess", "--stage", "nope")
    assert r.returncode == 1 and "unknown stage 'nope'" in r.stderr and "Traceback" not in r.stderr
    r = await cli(app, "pipeline", "reprocess", "--stage", "vision", "--since", "yesterday")
    assert r.returncode == 1 and "--since" in r.stderr
