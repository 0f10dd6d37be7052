"""The embedded Redis: started once per data dir, shared by processes, persistent (AOF)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
import redis as syncredis
import redis.asyncio as aioredis

from tgassist.core.errors import BackendUnavailable
from tgassist.core.redis import connect


async def test_embedded_redis_is_shared_and_persists(tmp_path: Path) -> None:
    client, server = await connect(None, tmp_path)
    assert server is not None and server.started_here
    finder, finder_server = await connect(None, tmp_path)  # a later start finds the running server
    assert finder_server is not None and not finder_server.started_here
    await finder_server.stop_if_unused(finder)  # not the starter: leaves it running
    await finder.aclose()
    assert await client.ping()
    # another process's connection (named differently) keeps the server alive
    other = aioredis.Redis(
        unix_socket_path=str(server.socket_path), decode_responses=True, client_name="other-proc"
    )
    await client.set("k", "v")
    assert await other.get("k") == "v"
    assert (await client.config_get("appendonly"))["appendonly"] == "yes"
    await server.stop_if_unused(client)
    assert await client.ping()
    await other.aclose()
    for _ in range(100):  # the server notices the closed connection asynchronously
        if all(c.get("name") != "other-proc" for c in await client.client_list()):
            break
        await asyncio.sleep(0.02)
    await server.stop_if_unused(client)  # last one out shuts it down
    await client.aclose()
    assert not server.socket_path.exists()

    again, again_server = await connect(None, tmp_path)
    assert again_server is not None and again_server.started_here
    assert await again.get("k") == "v"  # survived the restart through the AOF
    await again_server.stop_if_unused(again)
    await again.aclose()


async def test_unreachable_redis_url_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable, match="TGASSIST_REDIS_URL"):
        await connect("redis://127.0.0.1:1/0", tmp_path)


async def test_a_client_connecting_while_the_last_one_leaves_keeps_a_server(tmp_path: Path) -> None:
    # Two Apps (processes) on one data dir: one connects just as the other shuts the server down.
    for _ in range(3):
        first, first_server = await connect(None, tmp_path)
        assert first_server is not None
        _, (second, second_server) = await asyncio.gather(
            first_server.stop_if_unused(first), connect(None, tmp_path)
        )
        await first.aclose()
        await asyncio.sleep(0.2)  # a server being shut down is gone by now
        assert await second.ping()
        assert second_server is not None
        await second_server.stop_if_unused(second)
        await second.aclose()
        assert not second_server.socket_path.exists()


async def test_a_burst_beyond_the_pool_waits_instead_of_failing(tmp_path: Path) -> None:
    client, server = await connect(None, tmp_path, max_connections=4)
    try:
        # 20 concurrent blocking reads on 4 connections: each waits for a free one
        results = await asyncio.gather(
            *(client.blpop([f"nothing-{i}"], timeout=0.2) for i in range(20))
        )
        assert results == [None] * 20
    finally:
        assert server is not None
        await server.stop_if_unused(client)
        await client.aclose()


async def test_a_reply_that_waits_for_a_busy_event_loop_is_still_read(tmp_path: Path) -> None:
    """The event loop busy for longer than redis-py 8's default 5 s read timeout (a module
    import at start, a long CPU step) while a command waits for its reply: the reply is read.
    With the default it was a timeout and redis-py's retry sent the command again: the popped
    entry was lost (a command with effects applied twice), or, retries spent, an error that
    stopped the worker (SOCKET_TIMEOUT_SEC)."""
    client, server = await connect(None, tmp_path)
    assert server is not None
    try:
        await client.ping()  # a connection in the pool, warm

        def push_later() -> None:  # another client, while the loop is busy
            time.sleep(0.3)
            other = syncredis.Redis(unix_socket_path=str(server.socket_path))
            other.rpush("q", "first", "second")
            other.close()

        pusher = threading.Thread(target=push_later)
        pusher.start()
        asyncio.get_running_loop().call_later(0.1, time.sleep, 5.5)  # the busy loop
        assert await client.blpop(["q"], timeout=3) == ("q", "first")
        pusher.join()
        assert await client.lrange("q", 0, -1) == ["second"]  # nothing lost, nothing doubled
    finally:
        await server.stop_if_unused(client)
        await client.aclose()
