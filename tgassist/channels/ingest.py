"""Import a Telegram Desktop export: read, store media, save in batches, record a parser run."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from tgassist.channels.media import store_media
from tgassist.channels.models import STATUS_OK, Channel, ParserRun
from tgassist.channels.parse_errors import IMPORT_STOPPED, columns, run_note
from tgassist.channels.service import channel_lock, ensure_channel
from tgassist.channels.sources.desktop import DesktopExport
from tgassist.channels.sources.export_file import ExportError
from tgassist.channels.sources.export_zone import zone_of
from tgassist.channels.store import save_batch
from tgassist.core.blobs import BlobError
from tgassist.core.db import utcnow
from tgassist.core.errors import LocalizedError
from tgassist.core.i18n import Msg

if TYPE_CHECKING:
    from tgassist.app import App

# (messages done, messages total); may return an awaitable (e.g. a TaskManager report)
Progress = Callable[[int, int], Any]


@dataclass
class ImportResult:
    """Counts printed by `tgassist channels import`."""

    channel_id: int
    title: str | None
    messages: int = 0
    posts_new: int = 0
    posts_edited: int = 0
    posts_unchanged: int = 0
    albums: int = 0  # albums created or updated
    albums_in_export: int = 0
    media: int = 0  # new media objects stored
    skipped: int = 0
    skipped_service: int = 0
    skipped_unknown: int = 0
    skipped_invalid: int = 0
    missing_media: int = 0
    events: int = 0  # rows written to the outbox (the relay publishes them; workers process them)
    invalid_examples: list[str] = field(default_factory=list)  # "#12: views: …", the first few
    local_times: int = 0  # messages whose export time had no zone (old exports)
    timezone: str = "UTC"  # the zone those local times were read in
    timezone_assumed: bool = True  # no zone given: UTC was assumed
    legacy_id: int | None = None  # the export's pre-2021 channel id, recognised as `telegram_id`
    telegram_id: int | None = None


class ImportInterrupted(LocalizedError):
    """The import stopped part-way; what was saved stays and a re-run resumes without duplicates."""


def resolve_zone(app: App, name: str | None) -> tuple[str, bool]:
    """(zone name, assumed?) from the CLI option, else the setting, else UTC (assumed)."""
    chosen = (name or "").strip() or app.settings.import_timezone
    if not chosen:
        return "UTC", True
    if zone_of(chosen) is None:
        raise ExportError("channels_import.timezone.unknown", zone=chosen[:60])
    return chosen, False


async def import_export(
    app: App, path: Path | str, progress: Progress | None = None, timezone: str | None = None
) -> ImportResult:
    """Import one channel export; re-importing the same export changes and publishes nothing.

    `timezone`: the zone of an old export's local times (see `resolve_zone`).
    """
    zone_name, assumed = resolve_zone(app, timezone)
    export = DesktopExport.open(path, None if assumed else zone_of(zone_name))
    messages = export.parse()
    info = await export.info()
    channel = await ensure_channel(app, info, source="export")
    stats = export.stats
    result = ImportResult(
        channel_id=channel.id,
        title=channel.title,
        messages=len(messages),
        albums_in_export=len({m.grouped_id for m in messages if m.grouped_id is not None}),
        skipped=stats.skipped,
        skipped_service=stats.service,
        skipped_unknown=stats.unknown,
        skipped_invalid=stats.invalid,
        invalid_examples=list(stats.invalid_examples),
        local_times=stats.local_times,
        timezone=zone_name,
        timezone_assumed=assumed,
        legacy_id=info.legacy_ids[0] if export.legacy_id and info.legacy_ids else None,
        telegram_id=info.telegram_id,
    )
    async with channel_lock(app, channel.id):
        async with app.db.session() as session:
            run = ParserRun(
                channel_id=channel.id,
                source="export",
                mode="import",
                hwm_before=channel.hwm,
                skipped=stats.skipped,
                errors=[],
            )
            session.add(run)
        done = 0
        batches = list(export.batches(app.settings.import_batch_size))
        # Media of the next batch are stored while this batch is saved (files and DB in parallel).
        media = asyncio.ensure_future(store_media(app, batches[0])) if batches else None
        try:
            for i, batch in enumerate(batches):
                assert media is not None
                await media
                media = asyncio.ensure_future(
                    store_media(app, batches[i + 1]) if i + 1 < len(batches) else _nothing()
                )
                saved = await save_batch(app, channel.id, batch)
                result.posts_new += saved.new
                result.posts_edited += saved.edited
                result.posts_unchanged += saved.unchanged
                result.albums += saved.albums
                result.media += saved.media_new
                result.missing_media += saved.missing_media
                result.events += saved.events
                done += len(batch)
                if progress:
                    reported = progress(done, len(messages))
                    if inspect.isawaitable(reported):
                        await reported
        except BaseException as err:
            if media is not None and not media.done():
                media.cancel()
            stopped = Msg(IMPORT_STOPPED, {"saved": done, "total": len(messages)})
            await _finish(
                app, run.id, channel.id, result, "failed", run_note(stopped, str(err)[:500])
            )
            if isinstance(err, BlobError):  # the file storage failed: its own message, nested
                raise ImportInterrupted(
                    "channels_import.import.interrupted_storage",
                    saved=done,
                    total=len(messages),
                    reason=err,
                ) from err
            if isinstance(err, Exception) and not isinstance(err, LocalizedError):
                # never a half-imported file without saying so: what was saved, what was not
                raise ImportInterrupted(
                    "channels_import.import.interrupted",
                    saved=done,
                    total=len(messages),
                    reason=f"{type(err).__name__}: {err}"[:300],
                ) from err
            raise
        await _finish(app, run.id, channel.id, result, "ok", None)
    return result


async def _nothing() -> int:
    return 0


async def _finish(
    app: App,
    run_id: int,
    channel_id: int,
    result: ImportResult,
    status: str,
    note: dict[str, Any] | None,
) -> None:
    async with app.db.session() as session:
        await session.execute(
            update(ParserRun)
            .where(ParserRun.id == run_id)
            .values(
                status=status,
                finished_at=utcnow(),
                posts_new=result.posts_new,
                posts_edited=result.posts_edited,
                posts_unchanged=result.posts_unchanged,
                albums=result.albums,
                media=result.media,
                missing_media=result.missing_media,
                errors=[note] if note else [],
            )
        )
        if status == "ok":
            await session.execute(
                update(Channel)
                .where(Channel.id == channel_id)
                .values(last_parsed_at=utcnow(), status=STATUS_OK, **columns(None, None))
            )
