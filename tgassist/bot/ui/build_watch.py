"""The live progress message of a campaign build: one message edited in place from
`app.tasks.watch(task_id)` — at most once a second, identical text skipped, Telegram's 429
honoured — then the XLSX and CSV as documents and a summary, or the reason with Retry / Cancel."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import structlog
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import FSInputFile, InlineKeyboardMarkup

from tgassist.bot.background import cancel_all
from tgassist.bot.ui import campaigns as ui
from tgassist.bot.ui.common import error_text
from tgassist.campaigns import service
from tgassist.core.errors import TgassistError
from tgassist.core.i18n import t

if TYPE_CHECKING:
    from aiogram import Bot

    from tgassist.app import App
    from tgassist.core.tasks import Progress

log = structlog.get_logger(__name__)

MIN_EDIT_INTERVAL_SEC = 1.0
WATCH_TTL_SEC = 86_400  # a build nobody has watched for a day is not resumed
LEASE_SEC = 30  # one bot copy watches a build; a dead copy's lease runs out
WATCHES = "bot:campaigns:watches"  # task ids whose progress message is being shown
_watchers: set[asyncio.Task[None]] = set()


def watch_key(task_id: str) -> str:
    """Where a progress message is (chat, message, language): a restarted bot resumes it."""
    return f"bot:campaigns:watch:{task_id}"


def lease_key(task_id: str) -> str:
    return f"bot:campaigns:watch_lease:{task_id}"


@dataclass(frozen=True)
class Watched:
    """Where the progress message is and whose build it shows."""

    chat_id: int
    message_id: int
    task_id: str
    campaign_id: int
    user_id: int
    lang: str
    name: str


async def open_progress(
    bot: Bot, app: App, chat_id: int, user_id: int, lang: str, started: Any, name: str
) -> asyncio.Task[None]:
    """Send the progress message of a started build (`Started`) and watch it."""
    sent = await bot.send_message(
        chat_id,
        ui.progress_text(lang, name, t("bot.campaigns.progress.queued", lang), 0, "pending"),
        reply_markup=ui.progress_keyboard(lang, started.campaign_id, started.task_id),
    )
    w = Watched(chat_id, sent.message_id, started.task_id, started.campaign_id, user_id, lang, name)
    # Recorded before the handler returns: a restart right now still resumes this message.
    await app.redis.set(watch_key(w.task_id), json.dumps(asdict(w)), ex=WATCH_TTL_SEC)
    await app.redis.sadd(WATCHES, w.task_id)
    return start_watch(bot, app, w)


def start_watch(bot: Bot, app: App, w: Watched) -> asyncio.Task[None]:
    """Run the watcher in the background (kept referenced until it ends)."""
    task = asyncio.create_task(_leased_watch(bot, app, w), name=f"build-watch:{w.task_id}")
    _watchers.add(task)
    task.add_done_callback(_watchers.discard)
    return task


async def resume_watches(bot: Bot, app: App) -> int:
    """After a restart: watch again every build whose progress message was being shown."""
    resumed = 0
    for raw in await app.redis.smembers(WATCHES):
        task_id = raw.decode() if isinstance(raw, bytes) else str(raw)
        data = await app.redis.get(watch_key(task_id))
        if data is None:
            await app.redis.srem(WATCHES, task_id)
            continue
        start_watch(bot, app, Watched(**json.loads(data)))
        resumed += 1
    if resumed:
        log.info("build progress messages resumed", count=resumed)
    return resumed


async def stop_watches() -> None:
    """On shutdown: stop watching (the leases are released, the watches stay to be resumed)."""
    await cancel_all(set(_watchers))


async def _leased_watch(bot: Bot, app: App, w: Watched) -> None:
    """Hold the watch's lease while watching (several bot copies: one watches), and forget
    the watch once the end is shown."""
    redis = app.redis
    while not await redis.set(lease_key(w.task_id), "1", nx=True, ex=LEASE_SEC):
        await asyncio.sleep(LEASE_SEC / 3)
        if not await redis.exists(watch_key(w.task_id)):
            return  # another copy showed the end meanwhile
    refresher = asyncio.create_task(_refresh_lease(app, w.task_id))
    try:
        if await watch_build(bot, app, w):
            await redis.delete(watch_key(w.task_id))
            await redis.srem(WATCHES, w.task_id)
    finally:
        refresher.cancel()
        with contextlib.suppress(BaseException):
            await refresher
        with contextlib.suppress(Exception):  # expires by itself when Redis is gone
            await redis.delete(lease_key(w.task_id))


async def _refresh_lease(app: App, task_id: str) -> None:
    while True:
        await asyncio.sleep(LEASE_SEC / 3)
        await app.redis.expire(lease_key(task_id), LEASE_SEC)


class _Editor:
    """Edits one message: at most once per MIN_EDIT_INTERVAL_SEC, identical text skipped,
    Telegram's 429 waited out. A state that comes too soon is shown when the interval is over
    (unless a newer one replaces it first)."""

    def __init__(self, bot: Bot, chat_id: int, message_id: int) -> None:
        self.bot, self.chat_id, self.message_id = bot, chat_id, message_id
        self.last_text: str | None = None
        self.last_at = time.monotonic()
        self.gone = False
        self._pending: tuple[str, InlineKeyboardMarkup | None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def edit(
        self, text: str, markup: InlineKeyboardMarkup | None, *, final: bool = False
    ) -> None:
        if final:
            if self._flusher is not None:
                self._flusher.cancel()
            self._pending = None
            await self._send(text, markup, wait=True)
            return
        if text == self.last_text:
            self._pending = None
            return
        self._pending = (text, markup)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)

    async def _flush(self) -> None:
        while self._pending is not None:
            wait = self.last_at + MIN_EDIT_INTERVAL_SEC - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            pending, self._pending = self._pending, None
            if pending is not None:
                await self._send(*pending, wait=False)

    async def _send(self, text: str, markup: InlineKeyboardMarkup | None, *, wait: bool) -> None:
        async with self._lock:
            if self.gone or text == self.last_text:
                return
            if wait:
                delay = self.last_at + MIN_EDIT_INTERVAL_SEC - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            for _ in range(5):
                try:
                    await self.bot.edit_message_text(
                        text=text,
                        chat_id=self.chat_id,
                        message_id=self.message_id,
                        reply_markup=markup,
                    )
                    break
                except TelegramRetryAfter as err:
                    await asyncio.sleep(err.retry_after)
                except TelegramBadRequest as err:
                    if "not modified" not in err.message:
                        log.warning("progress message cannot be edited", error=err.message)
                        self.gone = True
                    break
            self.last_text, self.last_at = text, time.monotonic()


def _stage(p: Progress, lang: str) -> str:
    return p.message.render(lang) if p.message is not None else ""


async def watch_build(bot: Bot, app: App, w: Watched) -> bool:
    """Show the build until it ends; True once the end was shown (False: watching failed)."""
    editor = _Editor(bot, w.chat_id, w.message_id)
    cancel_kb = ui.progress_keyboard(w.lang, w.campaign_id, w.task_id)
    final: Progress | None = None
    try:
        async for p in app.tasks.watch(w.task_id, poll_sec=0.5):
            if p.finished:
                final = p
                break
            text = ui.progress_text(w.lang, w.name, _stage(p, w.lang), p.percent, p.status)
            await editor.edit(text, cancel_kb)
    except Exception:
        log.exception("build watch failed", task=w.task_id)
    if final is None:
        await editor.close()
        return False
    try:
        await _finish(bot, app, w, editor, final)
    except Exception:
        log.exception("build result delivery failed", task=w.task_id)
    return True


async def _finish(bot: Bot, app: App, w: Watched, editor: _Editor, p: Progress) -> None:
    lang = w.lang
    if p.status != "done":
        task = await app.tasks.get(w.task_id)
        reason = _stage(p, lang) or (task.error if task and task.error else "")
        text = ui.progress_text(lang, w.name, reason, p.percent, p.status)
        await editor.edit(text, None, final=True)
        await bot.send_message(
            w.chat_id,
            ui.failed_text(
                lang, w.name, p.status, reason or t("bot.campaigns.result.no_reason", lang)
            ),
            reply_markup=ui.failed_keyboard(lang, w.campaign_id),
        )
        return
    await editor.edit(
        ui.progress_text(lang, w.name, t("bot.campaigns.progress.done", lang), 100),
        None,
        final=True,
    )
    await send_files(bot, app, w.chat_id, w.user_id, w.campaign_id, lang)
    summary = await service.build_summary(app, w.user_id, w.campaign_id)
    if summary.spreadsheet_url is None:
        summary = await _with_sheet(app, w, summary)
    await bot.send_message(
        w.chat_id,
        ui.result_text(lang, summary),
        reply_markup=ui.result_keyboard(lang, w.campaign_id),
    )


async def _with_sheet(app: App, w: Watched, summary: Any) -> Any:
    """Add the Google Sheets link when Sheets is configured (a failure is a warning, not a loss)."""
    from dataclasses import replace

    try:
        url = await service.sheets_link(app, w.user_id, w.campaign_id)
    except TgassistError as err:
        return replace(summary, warnings=(*summary.warnings, error_text(err, w.lang)))
    return replace(summary, spreadsheet_url=url) if url else summary


async def send_files(
    bot: Bot, app: App, chat_id: int, user_id: int, campaign_id: int, lang: str, formats: Any = None
) -> None:
    """The campaign's XLSX and CSV as documents (paced by the caller's Telegram client)."""
    for fmt in formats or service.FORMATS:
        path = await service.campaign_file(app, user_id, campaign_id, fmt)
        for _ in range(3):
            try:
                await bot.send_document(
                    chat_id,
                    FSInputFile(path, filename=path.name),
                    caption=t(f"bot.campaigns.file.{fmt}", lang),
                )
                break
            except TelegramRetryAfter as err:
                await asyncio.sleep(err.retry_after)
