"""ChannelParser: live parsing of active channels with Telethon, on a scheduler tick.

Per channel, under a Redis lock (one parser per channel across processes) and a semaphore
(PARSER_MAX_CONCURRENCY channels at once): mode historical (first run: the latest
PARSER_HISTORICAL_DEPTH messages, none older than PARSER_HISTORICAL_MAX_AGE_DAYS) or incremental
(from the high-water mark). Messages are saved in batches; the HWM moves after each committed
batch and never past a message that failed. FloodWait: short waits are slept through, long ones
mark the channel `flood_wait` and are retried with exponential back-off, PARSER_RETRY_MAX times.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import func, or_, select, update
from telethon.errors import FloodWaitError

from tgassist.channels import models as m
from tgassist.channels.hwm import get_hwm, raise_hwm
from tgassist.channels.media import store_media
from tgassist.channels.parse_errors import MERGED, columns, flood_wait, reason_of, run_note
from tgassist.channels.parser_metrics import FLOOD_WAITS, HWM_LAG, PARSE_SECONDS
from tgassist.channels.service import ChannelBusy, adopt_duplicate, channel_lock, get_channel
from tgassist.channels.sources.base import RawMessage
from tgassist.channels.sources.telethon import MessageFetchError, TelethonSource
from tgassist.channels.store import save_batch
from tgassist.core.db import utcnow
from tgassist.core.i18n import Msg
from tgassist.core.product import HealthCheck, Job

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)

PARSER_VERSION = "1"
STATE_KEY = "parser:state"
TICK_KEY = "parser:tick"
SHORT_WAITS_MAX = 10  # short FloodWaits slept per channel run before it counts as a long one


@dataclass
class ParseReport:
    """The outcome of one channel's parse."""

    channel: str
    mode: str
    status: str = "ok"  # ok | flood_wait | error | locked | merged
    new: int = 0
    edited: int = 0
    albums: int = 0
    media: int = 0
    skipped: int = 0
    missing_media: int = 0
    flood_waits: int = 0
    hwm: int = 0
    reason: Msg | None = None  # why it stopped, for readers (a message key)
    error: str | None = None  # the technical detail, for operators and logs


class _Merged(Exception):
    def __init__(self, into: int) -> None:
        super().__init__(into)
        self.into = into


@dataclass
class _Cursor:
    """Where a channel's run resumes after a FloodWait: the last committed message id."""

    after: int | None = None


def resolve_mode(settings: Any, channel: m.Channel, requested: str | None = None) -> str:
    """historical | incremental for this run (explicit request > override > channel mode > first run)."""
    mode = requested if requested and requested != "auto" else settings.parser_mode_override
    if mode == "auto":
        mode = (
            channel.mode
            if channel.mode in ("historical", "incremental")
            else ("incremental" if channel.historical_done else "historical")
        )
    if mode == "incremental" and not settings.feature_incremental_parsing_enabled:
        mode = "historical"
    return str(mode)


class ChannelParser:
    """Parses channels through `client` (a Telethon client, or a fake with the same methods)."""

    def __init__(
        self, app: App, client: Any, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        self.app = app
        self.client = client
        self.sleep = sleep
        self.settings = app.settings
        self.semaphore = asyncio.Semaphore(self.settings.parser_max_concurrency)

    async def parse_all(self, mode: str | None = None) -> list[ParseReport]:
        """Every active live channel not waiting out a FloodWait, PARSER_MAX_CONCURRENCY at a time."""
        now = utcnow()
        async with self.app.db.session() as session:
            channels = (
                (
                    await session.execute(
                        select(m.Channel)
                        .where(
                            m.Channel.is_active.is_(True),
                            m.Channel.source == "telegram",
                            or_(m.Channel.status_until.is_(None), m.Channel.status_until <= now),
                        )
                        .order_by(m.Channel.id)
                    )
                )
                .scalars()
                .all()
            )
        return list(await asyncio.gather(*(self.parse_channel(c, mode) for c in channels)))

    async def parse_channel(self, channel: m.Channel, mode: str | None = None) -> ParseReport:
        resolved = resolve_mode(self.settings, channel, mode)
        report = ParseReport(
            channel=f"@{channel.username}" if channel.username else str(channel.telegram_id),
            mode=resolved,
            hwm=channel.hwm,
        )
        async with self.semaphore:
            try:
                async with channel_lock(self.app, channel.id):
                    started = time.perf_counter()
                    await self._run(channel, resolved, report)
                    PARSE_SECONDS.labels(resolved).observe(time.perf_counter() - started)
            except ChannelBusy:
                report.status = "locked"
        return report

    async def _run(self, channel: m.Channel, mode: str, report: ParseReport) -> None:
        app, settings = self.app, self.settings
        async with app.db.session() as session:
            fresh = await session.get(m.Channel, channel.id)
            assert fresh is not None
            channel = fresh
            channel.status = m.STATUS_PARSING
            run = m.ParserRun(channel_id=channel.id, source="telegram", mode=mode, errors=[])
            session.add(run)
            await session.flush()
            run_id = run.id
        hwm = await get_hwm(app, channel.id, channel.hwm)
        report.hwm = hwm
        ref: str | int = channel.username or int(channel.telegram_id or 0)
        source = TelethonSource(
            self.client,
            ref,
            settings.parser_media_max_bytes,
            accept_failed=await self._given_up(channel.id),
        )
        cursor = _Cursor()
        attempt = short_waits = 0
        until: datetime | None = None
        while True:
            try:
                if cursor.after is None:
                    cursor.after = await self._start(source, channel, mode, hwm)
                await self._fetch(source, channel, mode, cursor, report)
                report.status = "ok"
                break
            except FloodWaitError as err:
                report.flood_waits += 1
                if (
                    err.seconds <= settings.parser_flood_sleep_threshold_sec
                    and short_waits < SHORT_WAITS_MAX
                ):
                    short_waits += 1
                    FLOOD_WAITS.labels("slept").inc()
                    await self.sleep(err.seconds)
                    continue
                FLOOD_WAITS.labels("backoff").inc()
                attempt += 1
                until = utcnow() + timedelta(seconds=err.seconds)
                await self._set_status(
                    channel.id, m.STATUS_FLOOD_WAIT, until, flood_wait(until), str(err)
                )
                if attempt > settings.parser_retry_max:
                    report.status, report.reason = "flood_wait", flood_wait(until)
                    report.error = f"FloodWait {err.seconds}s; retries exhausted"
                    break
                await self.sleep(settings.parser_backoff_base_sec * 2 ** (attempt - 1))
            except _Merged as merged:
                report.status = "merged"
                report.reason = Msg(MERGED, {"into": merged.into})
                report.error = f"same channel as #{merged.into} (imported earlier): merged; parsed from the next tick"
                return
            except MessageFetchError as err:
                await self._count_failure(channel.id, err.message_id)
                report.status, report.reason, report.error = "error", reason_of(err), str(err)
                break
            except Exception as err:  # network errors and the like: what was committed stays
                log.warning("parse failed", channel=report.channel, error=str(err))
                report.status, report.reason = "error", reason_of(err)
                report.error = f"{type(err).__name__}: {err}"[:500]
                break
        report.skipped += source.skipped
        await self._finish(channel.id, run_id, mode, report, until, hwm)

    async def _start(self, source: TelethonSource, channel: m.Channel, mode: str, hwm: int) -> int:
        """The id after which this run reads: the HWM, or (historical) the latest id − depth."""
        info = await source.info()
        merged = await adopt_duplicate(self.app, channel.id, info)
        if merged is not None:
            raise _Merged(merged)
        async with self.app.db.session() as session:
            row = await session.get(m.Channel, channel.id)
            taken = info.telegram_id is not None and await session.scalar(
                select(m.Channel.id).where(
                    m.Channel.telegram_id == info.telegram_id, m.Channel.id != channel.id
                )
            )
            if row is not None:
                row.telegram_id = row.telegram_id or (None if taken else info.telegram_id)
                row.title = info.title or row.title
        if mode == "incremental":
            return hwm
        return max(0, await source.latest_id() - self.settings.parser_historical_depth)

    async def _fetch(
        self,
        source: TelethonSource,
        channel: m.Channel,
        mode: str,
        cursor: _Cursor,
        report: ParseReport,
    ) -> None:
        """Read after `cursor.after`, saving batches; the cursor follows each committed batch."""
        settings = self.settings
        cutoff = utcnow() - timedelta(days=settings.parser_historical_max_age_days)
        limit = settings.parser_incremental_limit if mode == "incremental" else None
        batch: list[RawMessage] = []
        passed = 0  # the newest message skipped for its age: the HWM may move past it
        try:
            async for msg in source.messages(min_id=cursor.after or 0, limit=limit):
                if mode == "historical" and msg.date < cutoff:
                    report.skipped += 1
                    passed = msg.message_id
                    continue
                batch.append(msg)
                if len(batch) >= settings.parser_batch_size:
                    pending, batch = batch, []
                    cursor.after = await self._save(channel.id, pending, report)
        finally:
            # Whatever stopped the iteration, the messages read before it are complete: keep them.
            if batch:
                pending, batch = batch, []
                cursor.after = await self._save(channel.id, pending, report)
        if passed > (cursor.after or 0):  # only too-old messages since the last batch
            cursor.after = await self._advance(channel.id, passed, report)

    async def _advance(self, channel_id: int, hwm: int, report: ParseReport) -> int:
        """Move the HWM past messages that were read but not kept (too old), in the DB then Redis."""
        async with self.app.db.session() as session:
            await session.execute(
                update(m.Channel)
                .where(m.Channel.id == channel_id, m.Channel.hwm < hwm)
                .values(hwm=hwm)
            )
        report.hwm = max(report.hwm, await raise_hwm(self.app, channel_id, hwm))
        return hwm

    async def _save(self, channel_id: int, batch: list[RawMessage], report: ParseReport) -> int:
        await store_media(self.app, batch)
        top = max(msg.message_id for msg in batch)
        saved = await save_batch(self.app, channel_id, batch, hwm=top)
        report.hwm = max(report.hwm, await raise_hwm(self.app, channel_id, top))
        report.new += saved.new
        report.edited += saved.edited
        report.albums += saved.albums
        report.media += saved.media_new
        report.missing_media += saved.missing_media
        newest = max(batch, key=lambda msg: msg.message_id).date
        HWM_LAG.labels(str(channel_id)).set(max(0.0, (utcnow() - newest).total_seconds()))
        return top

    async def _given_up(self, channel_id: int) -> set[int]:
        """Messages whose media failed PARSER_RETRY_MAX times: saved without it so the HWM can move."""
        raw = await self.app.redis.hgetall(f"parser:failures:{channel_id}")
        return {int(k) for k, v in raw.items() if int(v) >= self.settings.parser_retry_max}

    async def _count_failure(self, channel_id: int, message_id: int) -> None:
        await self.app.redis.hincrby(f"parser:failures:{channel_id}", str(message_id), 1)

    async def _set_status(
        self,
        channel_id: int,
        status: str,
        until: datetime | None,
        reason: Msg | None,
        detail: str | None,
    ) -> None:
        async with self.app.db.session() as session:
            await session.execute(
                update(m.Channel)
                .where(m.Channel.id == channel_id)
                .values(status=status, status_until=until, **columns(reason, detail))
            )

    async def _finish(
        self,
        channel_id: int,
        run_id: int,
        mode: str,
        report: ParseReport,
        until: datetime | None,
        hwm_before: int,
    ) -> None:
        status = {"ok": m.STATUS_OK, "flood_wait": m.STATUS_FLOOD_WAIT}.get(
            report.status, m.STATUS_ERROR
        )
        values: dict[str, Any] = {
            "status": status,
            **columns(report.reason, report.error),
            "last_parsed_at": utcnow(),
            "status_until": until if status == m.STATUS_FLOOD_WAIT else None,
        }
        if report.status == "ok" and mode == "historical":
            values["historical_done"] = True
        async with self.app.db.session() as session:
            await session.execute(
                update(m.Channel).where(m.Channel.id == channel_id).values(**values)
            )
            await session.execute(
                update(m.ParserRun)
                .where(m.ParserRun.id == run_id)
                .values(
                    status=report.status,
                    finished_at=utcnow(),
                    hwm_before=hwm_before,
                    hwm_after=report.hwm,
                    posts_new=report.new,
                    posts_edited=report.edited,
                    albums=report.albums,
                    media=report.media,
                    skipped=report.skipped,
                    missing_media=report.missing_media,
                    flood_waits=report.flood_waits,
                    errors=[run_note(report.reason, report.error)] if report.reason else [],
                )
            )


# --- scheduler job, CLI entry, health ------------------------------------------------------------


async def _client(app: App) -> Any:
    from tgassist.channels.login import open_client

    return await open_client(app)


async def parse_now(
    app: App, ref: str | None = None, mode: str | None = None, client: Any = None
) -> list[ParseReport]:
    """Parse one channel (or all active ones) now; used by `tgassist channels parse`."""
    channel = await get_channel(app, ref) if ref else None
    own = client is None
    client = client or await _client(app)
    try:
        parser = ChannelParser(app, client)
        return (
            [await parser.parse_channel(channel, mode)] if channel else await parser.parse_all(mode)
        )
    finally:
        if own:
            await client.disconnect()


async def parser_tick(app: App, client: Any = None) -> list[ParseReport]:
    """The scheduled job: once per PARSER_SCHEDULER_INTERVAL_SEC, also when called directly."""
    from tgassist.channels.login import telegram_configured

    interval = max(1, int(app.settings.parser_scheduler_interval_sec))
    if not await app.redis.set(TICK_KEY, "1", nx=True, ex=interval):
        return []
    state: dict[str, Any] = {
        "version": PARSER_VERSION,
        "last_tick": utcnow().isoformat(timespec="seconds"),
    }
    reports: list[ParseReport] = []
    try:
        if client is None and not telegram_configured(app.settings):
            state["note"] = "Telegram API id/hash not set: live parsing is off (imports still work)"
        else:
            reports = await parse_now(app, None, None, client)
            state["channels_parsed"] = len(reports)
    except Exception as err:
        state["error"] = str(err)[:300]
        raise
    finally:
        await app.redis.set(STATE_KEY, json.dumps(state))
    return reports


async def parser_health(app: App) -> dict[str, Any]:
    raw = await app.redis.get(STATE_KEY)
    state = json.loads(raw) if raw else {}
    async with app.db.session() as session:
        by_status = dict(
            (
                await session.execute(
                    select(m.Channel.status, func.count()).group_by(m.Channel.status)
                )
            ).all()
        )
    return {
        "status": "error" if state.get("error") else "ok",
        "initialized": bool(state),
        "version": PARSER_VERSION,
        "last_tick": state.get("last_tick"),
        "channels": {str(k): int(v) for k, v in sorted(by_status.items())},
        **({"note": state["note"]} if state.get("note") else {}),
        **({"error": state["error"]} if state.get("error") else {}),
    }


JOBS: tuple[Job, ...] = (
    Job(
        "channels_parser",
        parser_tick,
        every_sec=lambda s: s.parser_scheduler_interval_sec,
        lock_ttl_sec=3600,
    ),
)
HEALTH: tuple[tuple[str, HealthCheck], ...] = (("parser", parser_health),)

__all__ = [
    "HEALTH",
    "JOBS",
    "ChannelParser",
    "ParseReport",
    "parse_now",
    "parser_tick",
    "resolve_mode",
]
