"""Bulk writes of the ingest: upsert by (source, external_id), touch, cancel vanished, archive."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, insert, literal, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from tgassist.core.db import UTCDateTime
from tgassist.events.models import Event, EventArchive, EventReminder
from tgassist.events.reminders import REMINDERS

CHUNK = 500  # rows per statement: far below SQLite's and asyncpg's bind-parameter limits
# Columns an upsert overwrites; `first_seen_at` stays as first written.
UPDATE_COLUMNS = tuple(
    c.name
    for c in Event.__table__.columns
    if c.name not in ("id", "source", "external_id", "first_seen_at")
)
ARCHIVE_COLUMNS = tuple(c.name for c in Event.__table__.columns)


def _chunks(seq: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def _insert(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(Event)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(Event)


async def upsert_events(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or update rows (every row has the same keys) in a few multi-row statements."""
    if not rows:
        return
    stmt = _insert(session.get_bind().dialect.name)
    stmt = stmt.on_conflict_do_update(
        index_elements=["source", "external_id"],
        set_={c: stmt.excluded[c] for c in UPDATE_COLUMNS if c in rows[0]},
    )
    for chunk in _chunks(rows):
        await session.execute(stmt, list(chunk))


async def adopt_legacy_ids(session: AsyncSession, source: str, renames: dict[str, str]) -> int:
    """Rows stored under an old id (`renames`: old → new) take the new id, when no row has it."""
    if not renames:
        return 0
    wanted = list({*renames, *renames.values()})
    have: set[str] = set()
    for chunk in _chunks(wanted):
        have.update(
            (
                await session.execute(
                    select(Event.external_id).where(
                        Event.source == source, Event.external_id.in_(chunk)
                    )
                )
            ).scalars()
        )
    moved = 0
    for old, new in renames.items():
        if old in have and new not in have:
            await session.execute(
                update(Event)
                .where(Event.source == source, Event.external_id == old)
                .values(external_id=new)
            )
            have.add(new)
            moved += 1
    return moved


async def touch_events(session: AsyncSession, ids: list[int], now: datetime) -> None:
    """Mark unchanged rows as seen in this run (so they are not cancelled as vanished)."""
    for chunk in _chunks(ids):
        await session.execute(update(Event).where(Event.id.in_(chunk)).values(last_seen_at=now))


async def reschedule_reminders(session: AsyncSession, moved: dict[int, datetime]) -> None:
    """Pending reminders of events whose start moved follow the new start."""
    for event_id, starts_at in moved.items():
        for kind, before in REMINDERS:
            await session.execute(
                update(EventReminder)
                .where(
                    EventReminder.event_id == event_id,
                    EventReminder.kind == kind,
                    EventReminder.status == "pending",
                )
                .values(due_at=starts_at - before)
            )


async def cancel_vanished(session: AsyncSession, source: str, now: datetime) -> int:
    """Upcoming active events of `source` not seen in the run that started at `now` → cancelled."""
    result = await session.execute(
        update(Event)
        .where(
            Event.source == source,
            Event.status == "active",
            Event.starts_at > now,
            Event.last_seen_at < now,
        )
        .values(status="cancelled")
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def archive_past(session: AsyncSession, now: datetime) -> int:
    """Move events that ended before `now` (or started, when no end is known) to the archive."""
    past = Event.ends_at.is_not(None) & (Event.ends_at < now) | Event.ends_at.is_(None) & (
        Event.starts_at < now
    )
    moved = 0
    copied = [c for c in ARCHIVE_COLUMNS if c != "status"]
    status = case((Event.status == "cancelled", "cancelled"), else_="archived")
    while True:
        ids = list(
            (
                await session.execute(select(Event.id).where(past).order_by(Event.id).limit(CHUNK))
            ).scalars()
        )
        if not ids:
            return moved
        keys = select(Event.source, Event.external_id).where(Event.id.in_(ids))
        # An event archived before and seen again replaces its old copy.
        await session.execute(
            delete(EventArchive).where(
                tuple_(EventArchive.source, EventArchive.external_id).in_(keys)
            )
        )
        sel = select(*(getattr(Event, c) for c in copied), status, literal(now, UTCDateTime)).where(
            Event.id.in_(ids)
        )
        await session.execute(
            insert(EventArchive).from_select([*copied, "status", "archived_at"], sel)
        )
        await session.execute(delete(Event).where(Event.id.in_(ids)))
        moved += len(ids)
