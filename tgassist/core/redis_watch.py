"""Watchdog of an embedded Redis/Valkey: `python -m tgassist.core.redis_watch DIR SOCKET GRACE`.

Started (detached) next to the server. Once no client has been connected for GRACE seconds —
the last tgassist process exited, or was killed — it shuts the server down (saving the AOF)
under the data dir's start lock, so a process that is just connecting is never cut off. It
exits when the server is gone. One watchdog per data dir (a file lock).
"""

from __future__ import annotations

import fcntl
import sys
import time
from pathlib import Path

import redis as syncredis
from redis.exceptions import RedisError

WATCHDOG_NAME = "tgassist-watchdog"
POLL_SEC = 0.5


def _others(client: syncredis.Redis) -> int:
    return sum(1 for c in client.client_list() if c.get("name") != WATCHDOG_NAME)


def watch(directory: Path, socket_path: str, grace: float) -> None:
    guard = open(directory / "watch.lock", "w")  # noqa: SIM115 - held for the process lifetime
    try:
        fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another watchdog watches this server
    client = syncredis.Redis(
        unix_socket_path=socket_path,
        client_name=WATCHDOG_NAME,
        decode_responses=True,
        socket_timeout=5,
    )
    idle_since: float | None = None
    while True:
        time.sleep(POLL_SEC)
        try:
            busy = _others(client) > 0
        except (RedisError, OSError):
            return  # the server is gone (stopped by the last process out)
        if busy:
            idle_since = None
            continue
        idle_since = idle_since or time.monotonic()
        if time.monotonic() - idle_since < grace:
            continue
        with open(directory / "start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if _others(client) > 0:  # someone connected meanwhile
                    idle_since = None
                    continue
                client.shutdown(nosave=False)
            except (RedisError, OSError):
                pass
            # Under the lock until the server is gone (it removes the socket file on its way out).
            for _ in range(200):
                if not Path(socket_path).exists():
                    break
                time.sleep(0.05)
            return


if __name__ == "__main__":
    watch(Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]))
