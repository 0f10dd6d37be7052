"""Redis losing its data: detect it and re-drive the pipeline from the database.

Redis holds the bus (streams, consumer groups, pending entries, processed ids) but not the truth:
the database does — the outbox rows of the last `keep_published` and each product's per-stage
state (a post without tags, a media file without vision results …). A FLUSHALL, a failover to
an empty replica or a restart without persistence is detected by a marker key that only ever
disappears with the data (and by consumer groups of declared stages gone missing). Recovery, by
one process at a time: recreate every group, mark the kept outbox rows unpublished (the relay
sends them again, in order), and let each product re-queue work whose state is missing.
Health reports `bus: lost` / `recovering` meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from redis.exceptions import ResponseError
from sqlalchemy import func, select, update

from tgassist.core.locks import OwnedLock
from tgassist.core.models import OutboxRow
from tgassist.core.product import Stage

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)

SENTINEL_KEY = "bus:sentinel"
RECOVERING_KEY = "bus:recovering"
RECOVERY_LOCK = "lock:bus-recovery"


@dataclass(frozen=True)
class RecoveryReport:
    reasons: list[str]
    groups_created: int = 0
    outbox_redriven: int = 0
    products: dict[str, int] = field(default_factory=dict)


async def _published_before(app: App) -> bool:
    async with app.db.session() as session:
        found = await session.scalar(
            select(OutboxRow.id).where(OutboxRow.published_at.is_not(None)).limit(1)
        )
    return found is not None


async def _missing_groups(app: App, stages: Sequence[Stage]) -> list[tuple[str, str]]:
    wanted = {(s.stream, s.group_name) for s in stages}
    missing = []
    for stream in sorted({s for s, _ in wanted}):
        try:
            groups = {g["name"] for g in await app.redis.xinfo_groups(stream)}
        except ResponseError:  # no such key
            groups = set()
        missing += [(stream, g) for s, g in sorted(wanted) if s == stream and g not in groups]
    return missing


BEHIND_WINDOW = timedelta(hours=1)  # how far back published rows are compared with Redis


def _sid(text: str | None) -> tuple[int, int]:
    ms, _, seq = (text or "0-0").partition("-")
    try:
        return int(ms), int(seq or 0)
    except ValueError:
        return 0, 0


async def streams_behind(app: App) -> dict[str, tuple[str, str]]:
    """Streams whose last id in Redis is older than an id the outbox recently got for them:
    `{stream: (last id in Redis, newest published id)}` (a lagging replica, a rewound AOF)."""
    async with app.db.session() as session:
        rows = (
            await session.execute(
                select(OutboxRow.stream, func.max(OutboxRow.stream_id))
                .where(
                    OutboxRow.published_at > datetime.now(UTC) - BEHIND_WINDOW,
                    OutboxRow.stream_id.is_not(None),
                )
                .group_by(OutboxRow.stream)
            )
        ).all()
    behind: dict[str, tuple[str, str]] = {}
    for stream, newest in rows:
        try:
            last = str((await app.redis.xinfo_stream(stream))["last-generated-id"])
        except ResponseError:  # the stream is gone altogether
            last = "0-0"
        if _sid(last) < _sid(newest):
            behind[stream] = (last, str(newest))
    return behind


async def _redrive_behind(app: App, behind: dict[str, tuple[str, str]]) -> int:
    """Mark unpublished the recent rows whose ids Redis no longer has (the relay resends them)."""
    ids: list[int] = []
    async with app.db.session() as session:
        for stream, (last, _newest) in behind.items():
            rows = await session.execute(
                select(OutboxRow.id, OutboxRow.stream_id).where(
                    OutboxRow.stream == stream,
                    OutboxRow.published_at > datetime.now(UTC) - BEHIND_WINDOW,
                    OutboxRow.stream_id.is_not(None),
                )
            )
            ids += [rid for rid, sid in rows if _sid(sid) > _sid(last)]
        if ids:
            await session.execute(
                update(OutboxRow).where(OutboxRow.id.in_(ids)).values(published_at=None)
            )
    return len(ids)


async def detect_loss(app: App, stages: Sequence[Stage] = ()) -> list[str]:
    """Why Redis looks like it lost the bus (empty when it did not).

    `stages`: also count their consumer groups that are missing (a worker creates the groups of
    its stages at start, so after that a missing one was lost).
    """
    reasons: list[str] = []
    if not await app.redis.exists(SENTINEL_KEY):
        if await _published_before(app):
            reasons.append("Redis holds none of the bus state (its marker key is gone)")
        else:  # a fresh install: nothing was ever published
            await app.redis.set(SENTINEL_KEY, datetime.now(UTC).isoformat(), nx=True)
    if stages:
        missing = await _missing_groups(app, stages)
        if missing:
            names = ", ".join(f"{s}/{g}" for s, g in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            reasons.append(f"{len(missing)} consumer groups are missing ({names}{more})")
    if not reasons:
        behind = await streams_behind(app)
        if behind:
            names = ", ".join(f"{s} at {last} < {newest}" for s, (last, newest) in behind.items())
            reasons.append(f"Redis is behind what the outbox published ({names})")
    return reasons


async def recover(app: App, stages: Sequence[Stage] = ()) -> RecoveryReport | None:
    """Re-drive everything Redis lost from the database; None when another process does it or
    nothing was lost."""
    from tgassist.products import PRODUCTS, all_stages

    lock = OwnedLock(app.redis, RECOVERY_LOCK, ttl=app.settings.lock_ttl_sec)
    if not await lock.acquire():
        return None
    try:
        reasons = await detect_loss(app, stages)
        if not reasons:
            return None
        started = datetime.now(UTC)
        log.error("Redis lost the bus state: re-driving from the database", reasons=reasons)
        await app.redis.set(
            RECOVERING_KEY, json.dumps({"since": started.isoformat(), "reasons": reasons}), ex=3600
        )
        every = {(s.stream, s.group_name): s for s in (*all_stages(), *stages)}
        own_missing = await _missing_groups(app, stages)
        missing = await _missing_groups(app, list(every.values()))
        for stream, group in every:
            await app.bus.ensure_group(stream, group)
        behind = await streams_behind(app) if await app.redis.exists(SENTINEL_KEY) else {}
        if behind and not own_missing:
            # Only the newest entries are missing: send just those again.
            redriven = await _redrive_behind(app, behind)
            app.outbox.kick()
            await app.redis.delete(RECOVERING_KEY)
            log.error("bus recovered from the database", outbox_redriven=redriven)
            return RecoveryReport(reasons, 0, redriven, {})
        async with app.db.session() as session:
            oldest = await session.scalar(
                select(func.min(OutboxRow.created_at)).where(OutboxRow.published_at.is_not(None))
            )
            res = await session.execute(
                update(OutboxRow)
                .where(OutboxRow.published_at.is_not(None))
                .values(published_at=None)
            )
            redriven = int(res.rowcount or 0)  # type: ignore[attr-defined]
        app.outbox.kick()
        counts: dict[str, int] = {}
        for product in PRODUCTS:
            for hook in product.on_bus_loss:
                try:
                    counts[f"{product.name}.{hook.__name__}"] = int(await hook(app, oldest))
                except Exception as err:  # one product's re-drive never blocks the others
                    log.exception("re-drive failed", product=product.name, error=str(err))
        await app.redis.set(SENTINEL_KEY, started.isoformat())
        await app.redis.delete(RECOVERING_KEY)
        report = RecoveryReport(reasons, len(missing), redriven, counts)
        log.error(
            "bus recovered from the database",
            groups_created=report.groups_created,
            outbox_redriven=redriven,
            **counts,
        )
        return report
    finally:
        await lock.release()


async def bus_health(app: App) -> dict[str, Any]:
    """`bus: ok | lost | recovering` (lost/recovering turn overall health red)."""
    raw = await app.redis.get(RECOVERING_KEY)
    if raw:
        return {"status": "recovering", **json.loads(raw)}
    reasons = await detect_loss(app)
    if reasons:
        return {"status": "lost", "reasons": reasons}
    return {"status": "ok"}


__all__ = [
    "RECOVERING_KEY",
    "SENTINEL_KEY",
    "RecoveryReport",
    "bus_health",
    "detect_loss",
    "recover",
]
