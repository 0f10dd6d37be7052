"""Redis Streams bus: publish, consumer groups, reclaim, delivery counts, dead letters."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import ResponseError

from tgassist.core.events import Event
from tgassist.core.redis import Redis

DLQ_SUFFIX = ":dlq"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One stream entry handed to a consumer, with how many times it has been delivered."""

    stream: str
    id: str
    fields: dict[str, str]
    deliveries: int = 1


@dataclass(frozen=True, slots=True)
class StreamStats:
    stream: str
    group: str | None
    length: int
    pending: int
    lag: int | None
    dlq: int
    consumers: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: str
    stream: str
    original_id: str
    group: str
    error: str
    deliveries: int
    failed_at: str
    fields: dict[str, str]


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with jitter: attempt 1 → ~base, doubling up to cap (50–100 %)."""
    delay = min(cap, base * (2 ** max(0, attempt - 1)))
    return delay * random.uniform(0.5, 1.0)


def dlq_name(stream: str) -> str:
    return stream + DLQ_SUFFIX


class Bus:
    """Thin, typed layer over Redis Streams. Every call is one round trip or one pipeline."""

    def __init__(self, redis: Redis, maxlen: int = 1_000_000) -> None:
        # Any: redis-py's stubs type replies as bytes|str unions whatever decode_responses says.
        self.redis: Any = redis
        self.maxlen = maxlen

    async def publish(self, stream: str, event: Event) -> str:
        return str(
            await self.redis.xadd(stream, event.encode(), maxlen=self.maxlen, approximate=True)
        )

    async def publish_many(self, items: Sequence[tuple[str, dict[str, str]]]) -> list[str]:
        """XADD many pre-encoded entries in one pipeline."""
        if not items:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for stream, fields in items:
            pipe.xadd(stream, fields, maxlen=self.maxlen, approximate=True)  # type: ignore[arg-type]
        return [str(x) for x in await pipe.execute()]

    async def publish_each(
        self, items: Sequence[tuple[str, dict[str, str]]]
    ) -> list[str | Exception]:
        """Like `publish_many`, but one failed XADD does not hide which others succeeded."""
        if not items:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for stream, fields in items:
            pipe.xadd(stream, fields, maxlen=self.maxlen, approximate=True)  # type: ignore[arg-type]
        return [
            x if isinstance(x, Exception) else str(x)
            for x in await pipe.execute(raise_on_error=False)
        ]

    async def ensure_group(self, stream: str, group: str, start: str = "0") -> None:
        """Create the group (and the stream) unless it exists."""
        try:
            await self.redis.xgroup_create(stream, group, id=start, mkstream=True)
        except ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise

    async def read(
        self, stream: str, group: str, consumer: str, count: int, block_ms: int | None
    ) -> list[Delivery]:
        """New entries for this consumer (first delivery)."""
        resp = await self.redis.xreadgroup(
            group, consumer, {stream: ">"}, count=count, block=block_ms
        )
        return parse_read(stream, resp)

    async def claim_stale(
        self, stream: str, group: str, consumer: str, min_idle_ms: int, count: int
    ) -> list[Delivery]:
        """Take over entries other consumers left pending longer than `min_idle_ms`.

        Follows the XAUTOCLAIM cursor: one call scans only 10×COUNT PEL entries, so stale
        entries behind fresh ones would otherwise never be reached. Entries trimmed away while
        pending are dropped from the PEL by Redis 7 itself (returned as deleted ids).
        """
        entries: list[tuple[str, dict[str, str]]] = []
        start = "0-0"
        while len(entries) < count:
            resp = await self.redis.xautoclaim(
                stream, group, consumer, min_idle_ms, start, count=count - len(entries)
            )
            entries += [(mid, f) for mid, f in resp[1] if mid is not None and f is not None]
            start = str(resp[0])
            if start == "0-0":
                break
        return await self._with_counts(stream, group, entries)

    async def claim(
        self,
        stream: str,
        group: str,
        consumer: str,
        ids: Sequence[str],
        min_idle_ms: int,
        retrycount: int | None = None,
    ) -> list[Delivery]:
        """Claim specific entries (a retry after backoff) if nobody touched them meanwhile.

        `retrycount` sets the delivery count instead of adding one (a delivery that failed on an
        unreachable backend is refunded).
        """
        if not ids:
            return []
        resp = await self.redis.xclaim(
            stream, group, consumer, min_idle_ms, list(ids), retrycount=retrycount
        )
        # Redis 7 drops entries trimmed away while pending from the PEL and does not return them.
        entries = [(mid, f) for mid, f in resp if mid is not None and f]
        return await self._with_counts(stream, group, entries)

    async def keep(self, stream: str, group: str, consumer: str, ids: Sequence[str]) -> None:
        """Reset the idle time of entries this consumer holds (delivery counts unchanged), so
        no reclaim takes over entries parked during an outage."""
        if ids:
            await self.redis.xclaim(stream, group, consumer, 0, list(ids), justid=True)

    async def _with_counts(
        self, stream: str, group: str, entries: list[tuple[str, dict[str, str]]]
    ) -> list[Delivery]:
        if not entries:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for mid, _ in entries:
            pipe.xpending_range(stream, group, min=mid, max=mid, count=1)
        counts = await pipe.execute()
        out = []
        for (mid, fields), info in zip(entries, counts, strict=True):
            n = int(info[0]["times_delivered"]) if info else 1
            out.append(Delivery(stream, mid, fields, n))
        return out

    async def ack(self, stream: str, group: str, ids: Sequence[str]) -> None:
        if ids:
            await self.redis.xack(stream, group, *ids)

    async def dead_letter(self, group: str, delivery: Delivery, error: str) -> None:
        """Move an entry to `<stream>:dlq` with the error, then ack it.

        Two steps, not MULTI: Redis does not roll a transaction back, so a failed XADD would still
        ack (and lose) the entry. A crash in between leaves it pending: dead-lettered once more.
        """
        record = {
            "stream": delivery.stream,
            "original_id": delivery.id,
            "group": group,
            "error": error[:4000],
            "deliveries": str(delivery.deliveries),
            "failed_at": datetime.now(UTC).isoformat(),
            **{f"f:{k}": v for k, v in delivery.fields.items()},
        }
        await self.redis.xadd(
            dlq_name(delivery.stream), record, maxlen=self.maxlen, approximate=True
        )
        await self.redis.xack(delivery.stream, group, delivery.id)

    async def dlq_list(self, stream: str, count: int = 100) -> list[DeadLetter]:
        entries = await self.redis.xrange(dlq_name(stream), count=count)
        return [_dead_letter(mid, f) for mid, f in entries]

    async def dlq_replay(self, stream: str, group: str | None = None, limit: int = 10_000) -> int:
        """Publish dead letters back to their stream (same event ids) and remove them from the DLQ.

        Every group of the stream sees the replayed entry; groups that processed it already skip it
        by its event id (idempotency keys).
        """
        replayed = 0
        for letter in await self.dlq_list(stream, count=limit):
            if group and letter.group != group:
                continue
            # XADD first, XDEL only once it succeeded (a MULTI would delete even if XADD failed).
            await self.redis.xadd(stream, letter.fields, maxlen=self.maxlen, approximate=True)
            await self.redis.xdel(dlq_name(stream), letter.id)
            replayed += 1
        return replayed

    async def stats(self, stream: str, group: str | None = None) -> StreamStats:
        """Length, pending, lag and DLQ size of a stream (for one group or summed over groups)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.xlen(stream)
        pipe.xlen(dlq_name(stream))
        length, dlq = await pipe.execute()
        try:
            groups = await self.redis.xinfo_groups(stream)
        except ResponseError:
            groups = []
        if group:
            groups = [g for g in groups if g["name"] == group]
        pending = sum(int(g["pending"]) for g in groups)
        consumers = sum(int(g["consumers"]) for g in groups)
        lag: int | None = None
        if groups:
            lag = 0
            for g in groups:
                glag = g.get("lag")
                if glag is None:  # unknown after deletions: count what follows (capped)
                    after = await self.redis.xrange(
                        stream, min=f"({g['last-delivered-id']}", count=10_001
                    )
                    glag = len(after)
                lag += int(glag)
        return StreamStats(stream, group, int(length), pending, lag, int(dlq), consumers)


def parse_read(stream: str, resp: Any) -> list[Delivery]:
    """Deliveries from an XREADGROUP reply (also one sent inside a pipeline)."""
    if not resp:
        return []
    if isinstance(resp, dict):  # RESP3 replies map stream -> entries
        resp = list(resp.items())
    return [
        Delivery(stream, mid, fields or {}, 1) for _s, entries in resp for mid, fields in entries
    ]


def _dead_letter(mid: str, f: dict[str, str]) -> DeadLetter:
    return DeadLetter(
        id=mid,
        stream=f.get("stream", ""),
        original_id=f.get("original_id", ""),
        group=f.get("group", ""),
        error=f.get("error", ""),
        deliveries=int(f.get("deliveries", "0")),
        failed_at=f.get("failed_at", ""),
        fields={k[2:]: v for k, v in f.items() if k.startswith("f:")},
    )
