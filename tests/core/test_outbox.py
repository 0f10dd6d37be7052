"""Transactional outbox: nothing lost between commit and XADD, nothing processed twice."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tgassist.app import App
from tgassist.core.events import Event
from tgassist.core.models import OutboxRow, User
from tgassist.core.outbox import add_event
from tgassist.core.product import Stage
from tgassist.core.worker import StageContext, Worker


class UserCreated(Event):
    TYPE = "test.user_created"
    telegram_id: int


async def create_user(app: App, tg_id: int, fail: bool = False) -> None:
    async with app.db.session() as s:
        s.add(User(telegram_id=tg_id))
        add_event(s, "test.users", UserCreated(telegram_id=tg_id))
        if fail:
            raise RuntimeError("crash before commit")


async def test_event_and_data_commit_together(app: App) -> None:
    await create_user(app, 1)
    with pytest.raises(RuntimeError):
        await create_user(app, 2, fail=True)
    async with app.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(User)) == 1
        assert await s.scalar(select(func.count()).select_from(OutboxRow)) == 1
    assert await app.outbox.pending() == 1
    assert await app.redis.xlen("test.users") == 0  # "crash" after commit: not yet published
    assert await app.outbox.drain() == 1
    assert await app.redis.xlen("test.users") == 1
    assert await app.outbox.pending() == 0
    assert await app.outbox.drain() == 0  # published rows are not sent again


async def test_republish_after_crash_before_mark_has_no_double_effect(app: App) -> None:
    calls: list[int] = []

    async def handle(ev: UserCreated, ctx: StageContext) -> None:
        calls.append(ev.telegram_id)

    stage = Stage("user_watch", "test.users", UserCreated, handle)
    for i in range(3):
        await create_user(app, 100 + i)
    # Crash window: XADD happened but the rows were not marked → the relay sends them again.
    async with app.db.session() as s:
        rows = (await s.execute(select(OutboxRow))).scalars().all()
        await app.bus.publish_many(
            [(r.stream, {"type": r.event_type, "data": r.payload}) for r in rows]
        )
    await app.outbox.drain()
    assert await app.redis.xlen("test.users") == 6
    await Worker(app, [stage]).run_until_idle()
    assert sorted(calls) == [100, 101, 102]


async def test_only_one_relay_runs_at_a_time(app: App) -> None:
    await create_user(app, 7)
    lock = app.redis.lock("lock:outbox-relay", timeout=10)
    assert await lock.acquire()
    try:
        assert await app.outbox.relay_once() == 0
    finally:
        await lock.release()
    assert await app.outbox.relay_once() == 1


async def test_a_row_redis_refuses_does_not_republish_the_batch(app: App) -> None:
    await app.redis.set("test.broken", "not a stream")  # XADD to it fails with WRONGTYPE
    await create_user(app, 1)
    async with app.db.session() as s:
        add_event(s, "test.broken", UserCreated(telegram_id=2))
    await create_user(app, 3)
    for _ in range(3):  # the relay polls again and again
        try:
            await app.outbox.relay_once()
        except Exception:
            pass
    assert await app.redis.xlen("test.users") == 2  # each good row published once
    async with app.db.session() as s:
        stuck = (
            (await s.execute(select(OutboxRow).where(OutboxRow.published_at.is_(None))))
            .scalars()
            .all()
        )
    assert [r.stream for r in stuck] == ["test.broken"]
    assert stuck[0].attempts >= 1 and "WRONGTYPE" in (stuck[0].last_error or "")
    await app.redis.delete("test.broken")
    assert await app.outbox.drain() == 1  # goes out once Redis accepts it
    assert await app.outbox.pending() == 0
