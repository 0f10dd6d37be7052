"""An import killed with SIGKILL mid-way: the channel is not locked (a re-import starts at once),
the dead run is closed, and the re-import completes it without duplicates."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.core.tcpproxy import until
from tgassist.app import App
from tgassist.channels.ingest import import_export
from tgassist.channels.models import Channel, ParserRun, Post
from tgassist.channels.service import close_orphaned_runs

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 4000


def _export(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    messages = [
        {
            "id": i,
            "type": "message",
            "date": "2025-01-01T10:00:00",
            "date_unixtime": str(1735725600 + i * 60),
            "from": "Kill test",
            "from_id": "channel1987654321",
            "text": f"Пост номер {i}: новости дня",
            "text_entities": [{"type": "plain", "text": f"Пост номер {i}: новости дня"}],
        }
        for i in range(1, MESSAGES + 1)
    ]
    doc = {"name": "Kill test", "type": "public_channel", "id": 1987654321, "messages": messages}
    (root / "result.json").write_text(json.dumps(doc, ensure_ascii=False))
    return root


async def _posts(app: App) -> int:
    async with app.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(Post)) or 0)


async def _importing(app: App) -> bool:
    return await _posts(app) >= 100


async def _runs(app: App) -> list[tuple[str, list[object]]]:
    async with app.db.session() as s:
        rows = await s.execute(select(ParserRun.status, ParserRun.errors).order_by(ParserRun.id))
        return [(st, list(err or [])) for st, err in rows]


@pytest.mark.slow  # waits out real timeouts (visibility, watchdog grace)
async def test_killed_import_leaves_no_lock_and_its_run_is_closed(app: App, tmp_path: Path) -> None:
    path = _export(tmp_path / "export")
    s = app.settings
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TGASSIST_")},
        "TGASSIST_DATA_DIR": str(s.data_dir),
        "TGASSIST_DATABASE_URL": str(s.database_url),
        "TGASSIST_REDIS_URL": str(s.redis_url),
        "TGASSIST_IMPORT_BATCH_SIZE": "50",
        "TGASSIST_LOG_LEVEL": "WARNING",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from tgassist.cli import main; sys.argv[0] = 'tgassist'; main()",
        "channels",
        "import",
        str(path),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await until(lambda: _importing(app), 120), "the import never got going"
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    assert 0 < await _posts(app) < MESSAGES, "the kill must land mid-import"
    assert [st for st, _ in await _runs(app)] == ["running"]
    # The killed holder's lock is taken over at once (its pid is gone); its run gets closed.
    result = await import_export(app, path)  # at once: no "channel is busy"
    assert result.posts_new + result.posts_unchanged == MESSAGES
    assert await _posts(app) == MESSAGES
    runs = await _runs(app)
    assert [st for st, _ in runs] == ["failed", "ok"]
    assert "interrupted" in json.dumps(runs[0][1])
    async with app.db.session() as session:
        channels = list(await session.scalars(select(Channel)))
    assert len(channels) == 1 and channels[0].status != "parsing"
    assert await close_orphaned_runs(app) == 0  # nothing left open
