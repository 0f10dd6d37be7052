"""Circuit breakers per backend: an outage pauses consumption instead of consuming deliveries.

A handler error is an *infrastructure* error when it comes from the database or Redis being
unreachable (refused or dropped connections, a locked SQLite file, a PostgreSQL that is shutting
down …) and a probe of that backend fails too. Then the backend's breaker opens: the worker stops
reading, the entry stays pending with its delivery refunded, and a prober retries the backend with
exponential back-off; once it answers, the breaker closes and the parked entries run again. Every
other error belongs to the message itself and goes down the usual retry → dead-letter path.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)

DB = "db"
REDIS = "redis"

PROBE_TIMEOUT_SEC = 5.0

# SQLite reports bugs (no such table, syntax) and unavailability with the same exception class.
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "unable to open database",
    "disk i/o error",
    "database or disk is full",
    "readonly database",
)
# PostgreSQL SQLSTATE classes meaning "the server cannot serve now": connection exceptions,
# insufficient resources, operator intervention (shutdown, cannot connect now).
_PG_UNAVAILABLE = ("08", "53", "57P")


def _chain(err: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cur: BaseException | None = err
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        orig = getattr(cur, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's error
        cur = (
            orig
            if isinstance(orig, BaseException) and id(orig) not in seen
            else cur.__cause__ or cur.__context__
        )


def _modules(err: BaseException) -> set[str]:
    """Modules of the frames `err` travelled through (and of its cause chain)."""
    out: set[str] = set()
    for e in _chain(err):
        out.add(type(e).__module__)
        tb = e.__traceback__
        while tb is not None:
            out.add(str(tb.tb_frame.f_globals.get("__name__", "")))
            tb = tb.tb_next
    return out


def infrastructure_backend(err: BaseException) -> str | None:
    """`"db"` or `"redis"` when `err` says that backend is unreachable, else None."""
    from redis import exceptions as rexc
    from sqlalchemy import exc as saexc

    for e in _chain(err):
        if isinstance(e, rexc.ConnectionError | rexc.TimeoutError | rexc.BusyLoadingError):
            return REDIS
        if isinstance(e, rexc.ResponseError) and str(e).startswith(("LOADING", "MASTERDOWN")):
            return REDIS
        if isinstance(e, saexc.DisconnectionError | saexc.TimeoutError):
            return DB
        if isinstance(e, saexc.DBAPIError) and e.connection_invalidated:
            return DB
        if isinstance(e, sqlite3.OperationalError):
            if str(e).lower().startswith(_SQLITE_UNAVAILABLE):
                return DB
            return None
        state = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)
        if isinstance(state, str) and state.startswith(_PG_UNAVAILABLE):
            return DB
        module = type(e).__module__
        if module.startswith("asyncpg") and type(e).__name__ in (
            "ConnectionDoesNotExistError",
            "ConnectionFailureError",
            "InterfaceError",
            "InternalClientError",
        ):
            return DB
        if isinstance(e, ConnectionError | OSError) and not isinstance(e, FileNotFoundError):
            # A refused/reset socket: whose? The code it was raised through tells.
            where = _modules(e)
            if any(m.startswith(("sqlalchemy", "asyncpg", "aiosqlite")) for m in where):
                return DB
            if any(m.startswith("redis") for m in where):
                return REDIS
    return None


@dataclass(frozen=True)
class BreakerState:
    name: str
    state: str  # closed | open
    since: str | None
    error: str | None
    probes: int


class Breaker:
    """One backend's circuit. Closed: use it. Open: paused until a probe answers."""

    def __init__(
        self,
        name: str,
        probe: Callable[[], Awaitable[Any]],
        base_sec: float = 0.5,
        max_sec: float = 30.0,
    ) -> None:
        self.name = name
        self.probe = probe
        self.base_sec = base_sec
        self.max_sec = max_sec
        self._closed = asyncio.Event()
        self._closed.set()
        self._prober: asyncio.Task[None] | None = None
        self.opened_at: float | None = None
        self.since: datetime | None = None
        self.error: str | None = None
        self.probes = 0
        self.outages = 0

    @property
    def is_open(self) -> bool:
        return not self._closed.is_set()

    async def _probe_once(self) -> BaseException | None:
        self.probes += 1
        try:
            await asyncio.wait_for(self.probe(), PROBE_TIMEOUT_SEC)
            return None
        except asyncio.CancelledError:
            raise
        except BaseException as err:  # noqa: BLE001 - any failure means "not answering"
            return err

    async def confirm(self, err: BaseException) -> bool:
        """After an infrastructure-looking error: True (and open) when the backend is down.

        A backend that answers the probe at once was not the problem: the error is the message's.
        """
        if self.is_open:
            return True
        failure = await self._probe_once()
        if failure is None:
            return False
        self.trip(err)
        return True

    def trip(self, err: BaseException) -> None:
        """Open the circuit (idempotent) and start probing with back-off."""
        if self.is_open:
            return
        self._closed.clear()
        self.opened_at = time.monotonic()
        self.since = datetime.now(UTC)
        self.error = f"{type(err).__name__}: {err}"[:300]
        self.outages += 1
        log.warning(
            "backend unavailable: consumption paused, entries stay pending",
            backend=self.name,
            error=self.error,
        )
        self._prober = asyncio.create_task(self._probe_loop(), name=f"breaker:{self.name}")

    async def _probe_loop(self) -> None:
        delay = self.base_sec
        while True:
            await asyncio.sleep(delay)
            failure = await self._probe_once()
            if failure is None:
                break
            self.error = f"{type(failure).__name__}: {failure}"[:300]
            delay = min(self.max_sec, delay * 2)
        paused = time.monotonic() - (self.opened_at or time.monotonic())
        log.info(
            "backend back: consumption resumes", backend=self.name, paused_sec=round(paused, 1)
        )
        self.opened_at = self.since = self.error = None
        self._closed.set()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def state(self) -> BreakerState:
        return BreakerState(
            self.name,
            "open" if self.is_open else "closed",
            self.since.isoformat() if self.since else None,
            self.error,
            self.probes,
        )

    async def close(self) -> None:
        if self._prober is not None:
            self._prober.cancel()
            await asyncio.gather(self._prober, return_exceptions=True)


class Breakers:
    """The database and Redis breakers of one process."""

    def __init__(self, db: Breaker, redis: Breaker) -> None:
        self.db = db
        self.redis = redis

    @classmethod
    def for_app(cls, app: App) -> Breakers:
        s = app.settings
        return cls(
            Breaker(DB, app.db.probe, s.bus_breaker_base_sec, s.bus_breaker_max_sec),
            Breaker(REDIS, app.redis.ping, s.bus_breaker_base_sec, s.bus_breaker_max_sec),
        )

    def __iter__(self) -> Iterator[Breaker]:
        return iter((self.db, self.redis))

    def for_error(self, err: BaseException) -> Breaker | None:
        backend = infrastructure_backend(err)
        return self.db if backend == DB else self.redis if backend == REDIS else None

    @property
    def any_open(self) -> bool:
        return any(b.is_open for b in self)

    async def wait_closed(self, stop: asyncio.Event) -> bool:
        """Wait until every breaker is closed; False when `stop` was set first."""
        while self.any_open and not stop.is_set():
            waiters = [asyncio.ensure_future(b.wait_closed()) for b in self if b.is_open]
            stopper = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait([*waiters, stopper], return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in (*waiters, stopper):
                    w.cancel()
        return not stop.is_set()

    def report(self) -> dict[str, dict[str, Any]]:
        return {b.name: b.state().__dict__ for b in self}

    async def close(self) -> None:
        for b in self:
            await b.close()


__all__ = ["DB", "REDIS", "Breaker", "BreakerState", "Breakers", "infrastructure_backend"]
