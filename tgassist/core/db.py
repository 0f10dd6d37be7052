"""SQLAlchemy 2 async: one Base, engine/session factory, UTC datetimes, migrations."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from tgassist.core.errors import ConfigError
from tgassist.core.redact import mask_url
from tgassist.core.sqlite_driver import one_hop_dbapi

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table in every product."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def async_url(url: str) -> str:
    """Fill in the async driver: sqlite → aiosqlite, postgresql → asyncpg."""
    try:
        parsed = make_url(url)
    except Exception:  # sqlalchemy raises ArgumentError with a terse text
        raise ConfigError(
            "core.config.database_url_invalid", url=mask_url(url)
        ) from None  # the cause would print the URL with its password
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise ConfigError("core.config.database_unsupported", backend=backend)

    return parsed.render_as_string(hide_password=False)


def _sqlite_dbapi(parsed: Any) -> Any | None:
    return one_hop_dbapi() if parsed.get_driver_name() == "aiosqlite" else None


def create_engine(url: str, pool_size: int = 20) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and foreign keys. `pool_size`
    connections are kept (SQLAlchemy's default is 5: a connection over the pool's size is closed
    when given back, and under a bot's load SQLite then opened one, with its thread and pragmas,
    for almost every update)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # `?timeout=<sec>` in the URL: how long a writer waits for a locked file (default 30 s).
        busy_sec = float(str(parsed.query.get("timeout", 30)))
        url = parsed.difference_update_query(["timeout"]).render_as_string(hide_password=False)
        engine = create_async_engine(
            url,
            # one thread hop a statement, none for an empty commit (core.sqlite_driver)
            **({"module": dbapi} if (dbapi := _sqlite_dbapi(parsed)) is not None else {}),
            connect_args={"timeout": busy_sec},
            pool_size=pool_size,
            max_overflow=pool_size,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy_sec * 1000)}")
            cur.close()

        return engine
    # PostgreSQL: `pool_size` is also the most a process opens (the server's max_connections
    # is shared by every process of the install); a burst waits for a connection instead.
    return create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_pre_ping=True)


Announcer = Callable[[str, str], Awaitable[None]]


async def _announce_nowhere(topic: str, key: str) -> None:
    return None


class Database:
    """Engine + session factory. `async with db.session() as s:` commits on success.

    `announce(topic, key)` tells every process that a committed row changed (the App publishes
    it on Redis), so in-process caches such as `core.usercache` drop it; services call it after
    their commit. Without an App it goes nowhere."""

    def __init__(self, url: str, pool_size: int = 20) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.announce: Announcer = _announce_nowhere
        self._write_turn = asyncio.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self, *, write: bool = False) -> AsyncIterator[AsyncSession]:
        """A unit of work: commit when the block ends normally, roll back on error.

        `write=True` marks a short unit that writes on a hot path (the bot's user refresh): on
        SQLite such units of this process take turns on an asyncio lock instead of contending
        for the file's write lock, where a waiting writer sleeps in SQLite's busy handler with a
        growing back-off (200 concurrent sign-ups: 1.1 s → 0.4 s). Other databases ignore it."""
        turn = self._write_turn if write and self.dialect == "sqlite" else contextlib.nullcontext()
        async with turn, self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def probe(self) -> None:
        """Raise unless the database can take a write now (the circuit breaker's probe).

        SQLite answers reads while another process holds the write lock: take it and let go.
        """
        async with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                await conn.rollback()
            else:
                await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_sync(url: str, revision: str = "heads") -> None:
    """Run Alembic migrations up to `revision` (every product branch by default).

    Processes starting together must not migrate together (the losers fail on "table exists"):
    SQLite migrations hold a file lock beside the database; PostgreSQL ones an advisory lock
    (taken in migrations/env.py).
    """
    from alembic import command

    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        command.upgrade(_alembic_config(url), revision)
        return
    lock_path = Path(parsed.database + ".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        command.upgrade(_alembic_config(url), revision)


async def upgrade(url: str, revision: str = "heads") -> None:
    """Run migrations from async code (Alembic's env runs its own event loop in a thread)."""
    await asyncio.to_thread(upgrade_sync, url, revision)
