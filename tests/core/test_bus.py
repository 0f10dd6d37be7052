"""Bus primitives against real Redis: groups, reclaim with delivery counts, stats, DLQ."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ResponseError

from tgassist.app import App
from tgassist.core.bus import backoff_delay
from tgassist.core.events import Event


class Note(Event):
    TYPE = "test.note"
    text: str


async def test_publish_read_ack_and_stats(app: App) -> None:
    bus = app.bus
    await bus.ensure_group("s1", "g")
    await bus.ensure_group("s1", "g")  # idempotent
    for i in range(3):
        await bus.publish("s1", Note(text=f"n{i}"))
    batch = await bus.read("s1", "g", "c1", count=10, block_ms=None)
    assert [Note.decode(d.fields).text for d in batch] == ["n0", "n1", "n2"]
    assert all(d.deliveries == 1 for d in batch)
    stats = await bus.stats("s1", "g")
    assert (stats.length, stats.pending, stats.lag) == (3, 3, 0)
    await bus.ack("s1", "g", [d.id for d in batch[:2]])
    assert (await bus.stats("s1", "g")).pending == 1


async def test_lag_counts_undelivered_entries(app: App) -> None:
    await app.bus.ensure_group("s2", "g")
    for i in range(4):
        await app.bus.publish("s2", Note(text=str(i)))
    await app.bus.read("s2", "g", "c", count=1, block_ms=None)
    stats = await app.bus.stats("s2", "g")
    assert stats.lag == 3 and stats.pending == 1


async def test_crashed_consumers_entries_are_claimed_with_counts(app: App) -> None:
    bus = app.bus
    await bus.ensure_group("s3", "g")
    await bus.publish("s3", Note(text="x"))
    first = await bus.read("s3", "g", "dead-consumer", count=10, block_ms=None)
    assert len(first) == 1
    # another consumer takes it over once it has been idle long enough
    assert await bus.claim_stale("s3", "g", "alive", min_idle_ms=60_000, count=10) == []
    taken = await bus.claim_stale("s3", "g", "alive", min_idle_ms=0, count=10)
    assert [d.id for d in taken] == [first[0].id]
    assert taken[0].deliveries == 2
    again = await bus.claim_stale("s3", "g", "third", min_idle_ms=0, count=10)
    assert again[0].deliveries == 3


async def test_dead_letter_keeps_error_and_original(app: App) -> None:
    bus = app.bus
    await bus.ensure_group("s4", "g")
    await bus.publish("s4", Note(text="bad"))
    d = (await bus.read("s4", "g", "c", count=1, block_ms=None))[0]
    await bus.dead_letter("g", d, "ValueError: nope")
    [letter] = await bus.dlq_list("s4")
    assert letter.original_id == d.id and letter.group == "g" and letter.error == "ValueError: nope"
    assert Note.decode(letter.fields).text == "bad"
    stats = await bus.stats("s4", "g")
    assert stats.pending == 0 and stats.dlq == 1


def test_backoff_grows_exponentially_with_jitter_and_cap() -> None:
    delays = [backoff_delay(n, 1.0, 30.0) for n in range(1, 8)]
    assert 0.5 <= delays[0] <= 1.0
    assert 4.0 <= delays[3] <= 8.0
    assert all(d <= 30.0 for d in delays)
    assert len({backoff_delay(3, 1.0, 30.0) for _ in range(20)}) > 1  # jitter


async def test_stale_entries_behind_fresh_ones_are_reclaimed(app: App) -> None:
    # One XAUTOCLAIM call scans only 10×COUNT pending entries from its cursor;
    # a crashed consumer's entries behind a live consumer's must still be found.
    bus = app.bus
    await bus.ensure_group("s5", "g")
    for i in range(35):
        await bus.publish("s5", Note(text=str(i)))
    batch = await bus.read("s5", "g", "dead-consumer", count=100, block_ms=None)
    await asyncio.sleep(0.3)
    await app.redis.xclaim("s5", "g", "busy-consumer", 0, [d.id for d in batch[:30]])  # fresh again
    taken = await bus.claim_stale("s5", "g", "alive", min_idle_ms=200, count=2)
    assert [d.id for d in taken] == [d.id for d in batch[30:32]]
    assert all(d.deliveries == 2 for d in taken)


async def test_trimmed_pending_entries_do_not_block_reclaim(app: App) -> None:
    # A pending entry trimmed away (MAXLEN) while its consumer was dead.
    bus = app.bus
    await bus.ensure_group("s6", "g")
    for i in range(3):
        await bus.publish("s6", Note(text=str(i)))
    batch = await bus.read("s6", "g", "dead-consumer", count=10, block_ms=None)
    await app.redis.xdel("s6", batch[0].id)
    taken = await bus.claim_stale("s6", "g", "alive", min_idle_ms=0, count=10)
    assert [Note.decode(d.fields).text for d in taken] == ["1", "2"]
    assert (await bus.stats("s6", "g")).pending == 2  # the trimmed one left the PEL
    await app.redis.xdel("s6", batch[1].id)
    assert [d.id for d in await bus.claim("s6", "g", "alive", [batch[1].id, batch[2].id], 0)] == [
        batch[2].id
    ]
    assert (await bus.stats("s6", "g")).pending == 1


async def test_dlq_replay_keeps_the_letter_when_the_stream_refuses_it(app: App) -> None:
    bus = app.bus
    await bus.ensure_group("s7", "g")
    await bus.publish("s7", Note(text="x"))
    d = (await bus.read("s7", "g", "c", count=1, block_ms=None))[0]
    await bus.dead_letter("g", d, "ValueError: nope")
    await app.redis.delete("s7")
    await app.redis.set("s7", "not a stream")
    with pytest.raises(ResponseError):
        await bus.dlq_replay("s7")
    assert len(await bus.dlq_list("s7")) == 1  # not deleted from the DLQ
