"""Running an admin's broadcast from the bot role: fan out (resumable), keep one progress message
edited in place, and send the final delivered / blocked / failed report exactly once (through
`bot.outgoing`, dedupe key `broadcast-report:<id>`). `resume_broadcasts` continues unfinished
ones when the bot starts again, still editing the same progress message."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import structlog
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramRetryAfter

from tgassist.bot.texts import tr
from tgassist.core import admin
from tgassist.core.outgoing import enqueue_message
from tgassist.core.users import get_user

if TYPE_CHECKING:
    from aiogram import Bot

    from tgassist.app import App
    from tgassist.bot.background import Background

__all__ = ["progress_text", "resume_broadcasts", "run_broadcast"]

log = structlog.get_logger(__name__)
POLL_SEC = 1.0
STALL_SEC = 300.0  # nothing delivered for this long: report what was, and stop watching
BAR = 10


def _progress_key(broadcast_id: int) -> str:
    return f"bot:broadcast:progress:{broadcast_id}"


def progress_text(lang: str, view: admin.BroadcastView) -> str:
    full = round(view.percent * BAR / 100)
    return tr(
        lang,
        "admin.broadcast.progress",
        id=view.id,
        bar="▓" * full + "░" * (BAR - full),
        percent=view.percent,
        enqueued=view.enqueued,
        total=view.total,
        sent=view.sent,
        blocked=view.blocked,
        failed=view.failed,
        pending=view.pending,
    )


async def remember_progress_message(
    app: App, broadcast_id: int, chat_id: int, message_id: int, lang: str
) -> None:
    await app.redis.set(_progress_key(broadcast_id), f"{chat_id}:{message_id}:{lang}", ex=7 * 86400)


async def _edit(bot: Bot, where: tuple[int, int], text: str) -> None:
    try:
        await bot.edit_message_text(text, chat_id=where[0], message_id=where[1])
    except TelegramRetryAfter as err:
        await asyncio.sleep(float(err.retry_after))
    except TelegramBadRequest as err:
        if "not modified" not in str(err):
            log.info("broadcast progress not edited", error=str(err))
    except TelegramAPIError as err:
        log.info("broadcast progress not edited", error=str(err))


async def run_broadcast(app: App, bot: Bot, broadcast_id: int) -> admin.BroadcastView:
    raw = await app.redis.get(_progress_key(broadcast_id))
    where: tuple[int, int] | None = None
    lang = app.settings.language
    if raw:
        chat, message, lang = str(raw).split(":", 2)
        where = (int(chat), int(message))
    view = await admin.fan_out(app, broadcast_id)
    last_text, last_done, last_change = "", -1, time.monotonic()
    while True:
        view = await admin.broadcast_status(app, broadcast_id)
        text = progress_text(lang, view)
        if where is not None and text != last_text:
            await _edit(bot, where, text)
            last_text = text
        done = view.total - view.pending
        if done != last_done:
            last_done, last_change = done, time.monotonic()
        if view.status == "done" or (view.status == "sending" and view.pending == 0):
            break
        if view.status == "queued" and time.monotonic() - last_change > POLL_SEC * 3:
            # another process holds the fan-out (or held it when it died: its lock expires)
            view = await admin.fan_out(app, broadcast_id)
        if time.monotonic() - last_change > STALL_SEC:
            log.warning("broadcast stalled; reporting", id=broadcast_id, pending=view.pending)
            break
        await asyncio.sleep(POLL_SEC)
    view = await admin.finish_broadcast(app, broadcast_id)
    if where is not None:
        await _edit(bot, where, progress_text(lang, view))
    await _report(app, view)
    return view


async def _report(app: App, view: admin.BroadcastView) -> None:
    creator = await get_user(app.db, view.created_by) if view.created_by else None
    if creator is None:
        return
    async with app.db.session() as s:
        await enqueue_message(
            s,
            chat_id=creator.telegram_id,
            key="admin.broadcast.report",
            params={
                "id": view.id,
                "total": view.total,
                "sent": view.sent,
                "blocked": view.blocked,
                "failed": view.failed,
                "pending": view.pending,
            },
            dedupe_key=f"broadcast-report:{view.id}",
        )


async def resume_broadcasts(app: App, bot: Bot, background: Background) -> int:
    """Continue every unfinished broadcast (after a restart); returns how many."""
    ids = await admin.unfinished_broadcasts(app)
    for broadcast_id in ids:
        log.info("resuming broadcast", id=broadcast_id)
        background.spawn(run_broadcast(app, bot, broadcast_id), name=f"broadcast-{broadcast_id}")
    return len(ids)
