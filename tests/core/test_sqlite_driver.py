"""SQLite engines run a statement in one call on aiosqlite's thread and skip an empty commit
(core.sqlite_driver), and still behave as SQLite: rows, rowcount, lastrowid, executemany,
rollback of a failed unit, server-side streaming, errors translated."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from tgassist.core.db import Database, async_url

META = MetaData()
ITEMS = Table(
    "items",
    META,
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True, nullable=False),
)


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every call aiosqlite hands to its connection's thread, by function name."""
    calls: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(
        self: aiosqlite.Connection, fn: object, *args: object, **kw: object
    ) -> object:
        calls.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kw)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield calls


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(async_url(f"sqlite:///{tmp_path / 'd.sqlite3'}"))
    async with database.engine.begin() as conn:
        await conn.run_sync(META.create_all)
    async with database.session() as s:  # a pooled connection, warm
        await s.execute(select(1))
    yield database
    await database.close()


async def test_a_read_only_unit_is_one_hop(db: Database, hops: list[str]) -> None:
    async with db.session() as s:
        assert (await s.execute(text("SELECT 41 + 1"))).scalar_one() == 42
    assert hops == ["_run"]  # no cursor/fetchall/close hops, no commit, no pool rollback


async def test_a_write_is_one_hop_per_statement_plus_the_commit(
    db: Database, hops: list[str]
) -> None:
    async with db.session() as s:
        result = await s.execute(insert(ITEMS).values(name="a"))
        assert result.inserted_primary_key == (1,)
        await s.execute(insert(ITEMS), [{"name": "b"}, {"name": "c"}])  # executemany
        changed = await s.execute(
            update(ITEMS).where(ITEMS.c.name != "a").values(name=ITEMS.c.name + "!")
        )
        assert changed.rowcount == 2
    assert hops == ["_run", "_run", "_run", "commit"]
    async with db.session() as s:
        names = (await s.execute(select(ITEMS.c.name).order_by(ITEMS.c.id))).scalars().all()
    assert names == ["a", "b!", "c!"]


async def test_a_failed_unit_is_rolled_back(db: Database, hops: list[str]) -> None:
    with pytest.raises(IntegrityError):  # the driver's error, translated as before
        async with db.session() as s:
            await s.execute(insert(ITEMS).values(name="x"))
            await s.execute(insert(ITEMS).values(name="x"))
    assert hops[-1] == "rollback"
    async with db.session() as s:
        assert (await s.execute(select(ITEMS.c.id))).first() is None  # nothing half-written


async def test_streaming_and_many_rows(db: Database) -> None:
    async with db.session() as s:
        await s.execute(insert(ITEMS), [{"name": f"n{i}"} for i in range(500)])
    async with db.session() as s:
        rows = (await s.execute(select(ITEMS.c.id).order_by(ITEMS.c.id))).all()
        assert len(rows) == 500
        assert len((await s.execute(select(ITEMS.c.id))).fetchmany(7)) == 7
        streamed = [r.id async for r in await s.stream(select(ITEMS.c.id).order_by(ITEMS.c.id))]
    assert streamed == list(range(1, 501))


async def test_sqlalchemys_driver_runs_when_aiosqlite_lacks_what_it_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiosqlite and SQLAlchemy are pinned from below only: a version without the internals
    this driver uses gets SQLAlchemy's own (more hops, same results), not a broken engine."""
    monkeypatch.delattr(aiosqlite.Connection, "_execute")
    database = Database(async_url(f"sqlite:///{tmp_path / 'old.sqlite3'}"))
    try:
        assert type(database.engine.sync_engine.dialect.dbapi).__name__ != "OneHopDbapi"
        monkeypatch.undo()  # aiosqlite itself still needs it to run
        async with database.session() as s:
            assert (await s.execute(text("SELECT 2 * 21"))).scalar_one() == 42
    finally:
        await database.close()


def test_this_aiosqlite_and_sqlalchemy_get_the_one_hop_driver(tmp_path: Path) -> None:
    database = Database(async_url(f"sqlite:///{tmp_path / 'new.sqlite3'}"))
    assert type(database.engine.sync_engine.dialect.dbapi).__name__ == "OneHopDbapi"
