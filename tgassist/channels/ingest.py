"""Import a Telegram Desktop export: read, store media, save in batches, record a parser run."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from tgassist.channels.media import store_media
from tgassist.channels.models import STATUS_OK, Channel, ParserRun
from tgassist.channels.service import channel_lock, ensure_channel
from tgassist.channels.sources.desktop import DesktopExport
from tgassist.channels.store import save_batch
from tgassist.core.db import utcnow

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
    events: int = 0  # events published (when the caller relays the outbox)


async def import_export(
    app: App, path: Path | str, progress: Progress | None = None
) -> ImportResult:
    """Import one channel export; re-importing the same export changes and publishes nothing."""
    export = DesktopExport.open(path)
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
                done += len(batch)
                if progress:
                    reported = progress(done, len(messages))
                    if inspect.isawaitable(reported):
                        await reported
        except BaseException as err:
            if media is not None and not media.done():
                media.cancel()
            await _finish(app, run.id, channel.id, result, "failed", str(err)[:500])
            raise
        await _finish(app, run.id, channel.id, result, "ok", None)
    return result


async def _nothing() -> int:
    return 0


async def _finish(
    app: App, run_id: int, channel_id: int, result: ImportResult, status: str, error: str | None
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
                errors=[error] if error else [],
            )
        )
        if status == "ok":
            await session.execute(
                update(Channel)
                .where(Channel.id == channel_id)
                .values(last_parsed_at=utcnow(), status=STATUS_OK, last_error=None)
            )
