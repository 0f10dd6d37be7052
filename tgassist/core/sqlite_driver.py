"""SQLite through aiosqlite with one thread hop per statement, none for an empty transaction.

aiosqlite runs each sqlite3 call on its connection's thread and hands the result back to the
event loop. SQLAlchemy's adapter makes four such calls per statement (cursor, execute, fetchall,
close) and two more per unit of work (commit, then the pool's rollback), so a one-query read
was six hops, each waiting for a turn of the event loop: under the bot's load that wait, not
SQLite, was most of a query's time. Here a statement is one call on the thread (cursor, execute,
fetch all rows, close), and commit/rollback are skipped when the sqlite3 connection has no
transaction open (pysqlite itself does nothing then: a read-only unit never began one).

Used by `core.db.create_engine` as the DBAPI module of SQLite engines (`module=`);
server-side cursors (`stream()`) keep SQLAlchemy's own cursor.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
import structlog
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

__all__ = ["one_hop_dbapi"]

log = structlog.get_logger(__name__)


def _run(
    connection: aiosqlite.Connection, operation: Any, parameters: Any, many: bool
) -> tuple[Any, list[Any], int, int | None]:
    """On aiosqlite's thread: the whole statement, from cursor to closed cursor."""
    cursor = connection._conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement runs in one call on aiosqlite's thread; the rows,
    description, rowcount and lastrowid are kept here (there is no sqlite3 cursor left open)."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: Any) -> None:  # no cursor made up front: no hop
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            conn: aiosqlite.Connection = self._connection  # type: ignore[assignment]
            description, rows, rowcount, lastrowid = await conn._execute(
                _run, conn, operation, parameters, many
            )
        self._description, self._rowcount, self._lastrowid = description, rowcount, lastrowid
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._run(operation, seq_of_parameters, many=True)

    async def _async_soft_close(self) -> None:
        return None  # nothing is open on the thread

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """Commit and rollback go to the thread only when a transaction is open."""

    __slots__ = ()
    _cursor_cls = OneHopCursor

    def _in_transaction(self) -> bool:
        # aiosqlite's sqlite3 connection (None once closed: the adapter then does nothing
        # either). Read from the loop's thread while no call of this connection runs.
        conn: sqlite3.Connection | None = self._connection._connection  # type: ignore[attr-defined]
        return conn is not None and conn.in_transaction

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()


class OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def _supported() -> bool:
    """What this module uses of aiosqlite and SQLAlchemy beyond their public API (both are
    pinned from below only): without it, SQLAlchemy's own driver runs, as it did before."""
    slots = {
        slot
        for base in AsyncAdapt_aiosqlite_connection.__mro__
        for slot in base.__dict__.get("__slots__", ())
    }
    return (
        callable(getattr(aiosqlite.Connection, "_execute", None))
        and isinstance(getattr(aiosqlite.Connection, "_conn", None), property)
        and hasattr(AsyncAdapt_aiosqlite_cursor, "_execute_async")
        and hasattr(AsyncAdapt_aiosqlite_cursor, "_executemany_async")
        and {"_execute_mutex", "_connection"} <= slots
    )


def one_hop_dbapi() -> Any | None:
    """The DBAPI module for `create_async_engine(..., module=...)` on a sqlite+aiosqlite URL;
    None (use SQLAlchemy's) when the installed aiosqlite or SQLAlchemy lacks what it uses."""
    if not _supported():
        log.warning("sqlite driver: aiosqlite/SQLAlchemy internals changed; using SQLAlchemy's")
        return None
    return OneHopDbapi(aiosqlite, sqlite3)
