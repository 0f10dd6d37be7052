"""Scheduled jobs of the reader side: digests, trends, interest sync, storage usage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tgassist.core.product import Job

if TYPE_CHECKING:
    from tgassist.app import App


async def _digests(app: App) -> Any:
    from tgassist.channels.digests import send_due

    return await send_due(app)


async def _trends(app: App) -> Any:
    from tgassist.channels.trends import run_daily

    return await run_daily(app)


async def _interests(app: App) -> Any:
    from tgassist.channels.interests import sync_all

    return await sync_all(app)


async def _storage(app: App) -> Any:
    from tgassist.channels.storage import measure

    return await measure(app)


async def _storage_health(app: App) -> dict[str, Any]:
    from tgassist.channels.storage import health

    return await health(app)


JOBS = (
    Job("channels_digests", _digests, every_sec=lambda s: s.digest_check_every_min * 60.0),
    Job("channels_trends", _trends, cron="0 0 * * *"),
    Job(
        "channels_interest_sync",
        _interests,
        every_sec=lambda s: s.channels_interest_sync_min * 60.0,
    ),
    Job("channels_storage_usage", _storage, every_sec=6 * 3600.0),
)
HEALTH = (("storage", _storage_health),)
