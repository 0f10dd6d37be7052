"""The `bot.outgoing` sender stage: delivers outbox messages from any process to Telegram.

Run by the bot role only (`STAGES`, started by `tgassist.bot.app.run_bot`), never by plain
workers. Each message is paced by Redis token buckets shared by every bot copy: ≤ 30 messages/s
overall, ≤ 1/s per private chat, ≤ 20/min per group (negative chat id). Telegram's 429
`retry_after` pauses every sender; 5xx and network errors are retried; 403 "bot was blocked"
marks the user inactive. A sent-marker row (`outgoing_deliveries`, keyed by the dedupe key) is
written right after Telegram answers, so a redelivered or repeated message is never sent twice,
and a killed sender loses nothing (the bus redelivers what was not acknowledged).
"""

from __future__ import annotations

import asyncio
import html
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from tgassist.core import keys
from tgassist.core.i18n import default_language, t
from tgassist.core.outgoing import OutgoingMessage, delivered, record_delivery
from tgassist.core.product import Stage
from tgassist.core.ratelimit import TokenBucket
from tgassist.core.users import get_by_telegram_id, mark_bot_blocked

if TYPE_CHECKING:
    from aiogram import Bot

    from tgassist.app import App
    from tgassist.core.worker import StageContext

log = structlog.get_logger(__name__)

# Telegram counts messages as they arrive: two sends paced exactly at a limit can arrive closer
# together when the first one's request is slower, so every bucket runs 10 % under its limit.
SAFETY = 0.9
GLOBAL_PER_SEC = 30.0 * SAFETY
PRIVATE_PER_SEC = 1.0 * SAFETY
GROUP_PER_SEC = 20 / 60 * SAFETY
SERVER_RETRIES = 3  # in-handler retries of 5xx/network errors before the bus retries the entry
REQUEST_TIMEOUT_SEC = 10  # one Telegram call; the send reservation outlives it


@dataclass(frozen=True)
class Pacing:
    """Telegram's limits as token-bucket rates (capacity 1: no bursts above the rate)."""

    overall: float = GLOBAL_PER_SEC
    private: float = PRIVATE_PER_SEC
    group: float = GROUP_PER_SEC


class TelegramSender:
    """One aiogram Bot (honouring TGASSIST_BOT_API_URL) and the shared buckets of a process."""

    def __init__(self, app: App, bot: Bot | None = None, pacing: Pacing = Pacing()) -> None:
        from tgassist.bot.app import create_bot

        self.app = app
        self.bot = bot or create_bot(app.settings)
        self.pacing = pacing
        self.overall = TokenBucket(
            app.redis, keys.telegram_bucket_global(), pacing.overall, capacity=1
        )
        self._chat_locks: dict[int, asyncio.Lock] = {}

    def chat_lock(self, chat_id: int) -> asyncio.Lock:
        """Messages to one chat leave in the order they were read (the lock is FIFO)."""
        lock = self._chat_locks.get(chat_id)
        if lock is None:
            lock = self._chat_locks[chat_id] = asyncio.Lock()
        return lock

    def chat_bucket(self, chat_id: int) -> TokenBucket:
        rate = self.pacing.group if chat_id < 0 else self.pacing.private
        return TokenBucket(self.app.redis, keys.telegram_bucket_chat(chat_id), rate, capacity=1)

    async def aclose(self) -> None:
        await self.bot.session.close()

    async def wait_turn(self, chat_id: int) -> None:
        """Wait for a global 429 pause to end, then for the chat's and the overall token."""
        pause = await self.app.redis.pttl(keys.telegram_pause())
        if pause and pause > 0:
            await asyncio.sleep(pause / 1000)
        await self.chat_bucket(chat_id).acquire(max_wait=3600)
        await self.overall.acquire(max_wait=3600)

    async def pause_all(self, seconds: float) -> None:
        """Telegram said 429: every sender of every bot copy waits `seconds`."""
        await self.app.redis.set(keys.telegram_pause(), "1", px=max(1, int(seconds * 1000)))


def sender_of(app: App) -> TelegramSender:
    """The process's sender, created on first use and closed with the App."""
    sender = app.__dict__.get("telegram_sender")
    if sender is None:
        sender = app.__dict__["telegram_sender"] = TelegramSender(app)
    return sender  # type: ignore[no-any-return]


def _keyboard(buttons: list[list[dict[str, str]]] | None, lang: str) -> Any:
    if not buttons:
        return None
    rows = [
        [
            InlineKeyboardButton(
                text=b["text"] if "text" in b else t(b["text_key"], lang),
                callback_data=b.get("callback_data"),
                url=b.get("url"),
            )
            for b in row
        ]
        for row in buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def render_text(msg: OutgoingMessage, lang: str) -> str | None:
    """The message text as Telegram HTML: catalogue text with escaped parameters, or the given
    plain text escaped (a broadcast's '<' must not break parsing)."""
    if msg.key:
        params = {k: html.escape(v) if isinstance(v, str) else v for k, v in msg.params.items()}
        return t(msg.key, lang, **params)
    if msg.text is not None:
        return html.escape(msg.text)
    return None


async def _language(app: App, msg: OutgoingMessage) -> str:
    if msg.lang:
        return msg.lang
    if msg.chat_id > 0:
        user = await get_by_telegram_id(app.db, msg.chat_id)
        if user is not None:
            return user.language
    return default_language()


def _sent_key(marker: str) -> str:
    return f"outgoing:sent:{marker}"


async def _already(app: App, msg: OutgoingMessage) -> bool:
    if await delivered(app.db, msg.marker):
        return True
    message_id = await app.redis.get(_sent_key(msg.marker))
    if message_id is None:
        return False
    # sent by a sender killed before it wrote the row: write it now (reports count rows)
    await _mark(app, msg, "sent", message_id=int(message_id))
    return True


async def _mark(
    app: App,
    msg: OutgoingMessage,
    status: str,
    message_id: int | None = None,
    error: str | None = None,
) -> None:
    if not await record_delivery(app.db, msg, status, message_id=message_id, error=error):
        log.info("outgoing marker exists", dedupe_key=msg.marker)


async def _mark_sent(app: App, msg: OutgoingMessage, message_id: int) -> None:
    await app.redis.set(_sent_key(msg.marker), str(message_id), ex=app.settings.idempotency_ttl_sec)
    await _mark(app, msg, "sent", message_id=message_id)


async def _send(sender: TelegramSender, msg: OutgoingMessage, lang: str) -> int:
    """One Telegram call; returns the message id."""
    bot, app = sender.bot, sender.app
    text = render_text(msg, lang)
    markup = _keyboard(msg.buttons, lang)
    if msg.document_blob or msg.photo_blob:
        blob_key = msg.document_blob or msg.photo_blob or ""
        data = await app.blobs.get(blob_key)
        name = msg.filename or blob_key.rsplit("/", 1)[-1] or "file"
        caption = text[:1024] if text else None
        send_file = bot.send_document if msg.document_blob else bot.send_photo
        sent = await send_file(
            msg.chat_id,
            BufferedInputFile(data, filename=name),
            caption=caption,
            reply_markup=markup,
            request_timeout=REQUEST_TIMEOUT_SEC * 3,
        )
    else:
        sent = await bot.send_message(
            msg.chat_id, text or "", reply_markup=markup, request_timeout=REQUEST_TIMEOUT_SEC
        )
    return int(sent.message_id)


async def deliver(msg: OutgoingMessage, ctx: StageContext) -> None:
    """Handler of `bot.outgoing`: send once, paced, with Telegram's error rules."""
    sender = sender_of(ctx.app)
    lock = sender.chat_lock(msg.chat_id)
    async with lock:  # taken before the first await: arrival order is kept
        try:
            await _deliver_once(sender, msg, ctx)
        finally:
            if not lock._waiters:  # type: ignore[attr-defined]
                sender._chat_locks.pop(msg.chat_id, None)


async def _deliver_once(sender: TelegramSender, msg: OutgoingMessage, ctx: StageContext) -> None:
    app = sender.app
    marker = msg.marker
    if await _already(app, msg):
        return
    lock = f"outgoing:lock:{marker}"
    await _reserve(app, lock)
    try:
        if await _already(app, msg):  # marked by another copy while we waited
            return
        await _deliver_locked(sender, msg, ctx)
    finally:
        await app.redis.delete(lock)


async def _reserve(app: App, lock: str) -> None:
    """Reserve a message so two copies never send one dedupe key at once; a reservation of a
    killed sender lapses after TGASSIST_BOT_SEND_LOCK_SEC, and the wait then goes on."""
    ttl = app.settings.bot_send_lock_sec
    deadline = time.monotonic() + ttl + 1
    while not await app.redis.set(lock, "1", nx=True, px=int(ttl * 1000)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{lock} stays reserved by another sender")
        await asyncio.sleep(0.1)


async def _deliver_locked(sender: TelegramSender, msg: OutgoingMessage, ctx: StageContext) -> None:
    app = sender.app
    lang = await _language(app, msg)
    max_inline_wait = app.settings.bus_visibility_timeout_sec / 2
    server_errors = 0
    while True:
        await sender.wait_turn(msg.chat_id)
        try:
            message_id = await _send(sender, msg, lang)
        except TelegramRetryAfter as err:
            wait = float(err.retry_after)
            await sender.pause_all(wait)
            log.warning("telegram 429", chat=msg.chat_id, retry_after=wait)
            if wait > max_inline_wait:
                raise  # the bus retries later; the pause holds every sender meanwhile
            await asyncio.sleep(wait)
            continue
        except TelegramForbiddenError as err:
            # blocked by the user, kicked from a group, or a deactivated account: never retry
            if msg.chat_id > 0:
                await mark_bot_blocked(app.db, msg.chat_id)
            await _mark(app, msg, "blocked", error=err.message)
            log.info("chat refuses the bot", chat=msg.chat_id, error=err.message)
            return
        except (TelegramBadRequest, TelegramNotFound) as err:
            # a permanent refusal (chat not found, bad markup…): recorded, not retried forever
            await _mark(app, msg, "failed", error=err.message)
            log.warning("telegram refused a message", chat=msg.chat_id, error=err.message)
            return
        except (TelegramServerError, TelegramNetworkError) as err:
            server_errors += 1
            if server_errors > SERVER_RETRIES:
                raise
            delay = min(10.0, 0.5 * 2**server_errors) * (0.5 + random.random())
            log.warning("telegram unavailable; retrying", error=str(err), delay=round(delay, 2))
            await asyncio.sleep(delay)
            continue
        # The first marker is one Redis SET right after Telegram's answer (the window in which a
        # killed sender would send this again is that short); the row is the durable record.
        # Shielded: a sender cancelled here still writes both.
        await asyncio.shield(_mark_sent(app, msg, message_id))
        return


STAGES: tuple[Stage, ...] = (
    Stage(
        name="bot_outgoing",
        stream=keys.OUTGOING_STREAM,
        event=OutgoingMessage,
        handler=deliver,
        concurrency=32,
        max_deliveries=10,
    ),
)

__all__ = ["STAGES", "Pacing", "TelegramSender", "deliver", "render_text", "sender_of"]
