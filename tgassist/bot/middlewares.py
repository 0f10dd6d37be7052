"""Middlewares on every update, outermost first: logging (trace id, outcome, duration) → errors
(a short apology with the trace id) → user (create/refresh; `user`, `lang` in the workflow data)
→ blocked users refused → per-user rate limit (a polite answer, once per burst)."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog
from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, TelegramObject, Update
from aiogram.types import User as TgUser

from tgassist.bot import keys
from tgassist.bot.fsm import UpdateFSMMiddleware
from tgassist.bot.texts import tr
from tgassist.core.db import utcnow
from tgassist.core.i18n import default_language, normalize_language
from tgassist.core.ratelimit import TokenBucket
from tgassist.core.users import UserView, ensure_user, get_by_telegram_id

if TYPE_CHECKING:
    from tgassist.app import App

__all__ = ["install_middlewares"]

log = structlog.get_logger("tgassist.bot.updates")
ACTIVITY_WRITE_EVERY = timedelta(seconds=60)
RATE_WAIT = "rate_limit_wait"  # workflow data: seconds to wait, from the FSM's round trip
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def _kind(update: Update) -> str:
    return update.event_type if hasattr(update, "event_type") else "unknown"


class LoggingMiddleware(BaseMiddleware):
    """One structured log line per update, with a trace id every later line of it carries."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        trace_id = uuid.uuid4().hex[:12]
        data["trace_id"] = trace_id
        user: TgUser | None = data.get("event_from_user")
        started = time.perf_counter()
        outcome = "handled"
        with structlog.contextvars.bound_contextvars(trace_id=trace_id):
            try:
                result = await handler(event, data)
                outcome = data.get("outcome", outcome)
                return result
            except BaseException:
                outcome = "error"
                raise
            finally:
                log.info(
                    "update",
                    update_id=getattr(event, "update_id", None),
                    kind=_kind(event) if isinstance(event, Update) else type(event).__name__,
                    telegram_id=user.id if user else None,
                    outcome=outcome,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )


class ErrorMiddleware(BaseMiddleware):
    """An unexpected error: logged with its traceback, and the user gets a short apology with the
    trace id (to quote to support) instead of silence."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except Exception as err:
            trace_id = data.get("trace_id", "-")
            data["outcome"] = "error"
            log.exception("update failed", error=f"{type(err).__name__}: {err}")
            user: TgUser | None = data.get("event_from_user")
            bot: Bot | None = data.get("bot")
            lang = data.get("lang") or normalize_language(user.language_code if user else None)
            if bot is not None and user is not None:
                text = tr(lang, "bot.error.internal", trace_id=trace_id)
                with contextlib.suppress(TelegramAPIError):
                    if isinstance(event, Update) and event.callback_query is not None:
                        with contextlib.suppress(TelegramAPIError):
                            await event.callback_query.answer()
                    chat = data.get("event_chat")
                    await bot.send_message(chat.id if chat else user.id, text)
            return None


class UserMiddleware(BaseMiddleware):
    """Creates or refreshes the user of the update (names, last activity, back from having
    blocked the bot) and puts `user` (UserView) and `lang` into the workflow data.

    Most updates only read the row: it is written when something changed or the last activity
    is older than a minute (a write per update made SQLite's single writer the bottleneck), and
    the read comes from the process's user cache (`core.usercache`: every change through the
    services drops it in every bot copy) when it holds the user."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.cache = app.user_cache
        self.admin_ids = app.settings.admin_ids

    def _stale(self, user: UserView, tg: TgUser) -> bool:
        seen = user.last_activity_at
        return (
            seen is None
            or utcnow() - seen > ACTIVITY_WRITE_EVERY
            or not user.is_active
            or user.is_admin != (tg.id in self.admin_ids)
            or (tg.username or None) != (user.username or None)
            or (tg.first_name or None) != (user.first_name or None)
            or (tg.last_name or None) != (user.last_name or None)
        )

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg: TgUser | None = data.get("event_from_user")
        if tg is None or tg.is_bot:
            data["lang"] = default_language()
            return await handler(event, data)
        user = self.cache.get(tg.id)
        if user is None:
            generation = self.cache.generation
            user = await get_by_telegram_id(self.app.db, tg.id)
            if user is not None:
                self.cache.put(user, generation)
        if user is None or self._stale(user, tg):
            generation = self.cache.generation
            user = await ensure_user(
                self.app.db,
                telegram_id=tg.id,
                username=tg.username,
                first_name=tg.first_name,
                last_name=tg.last_name,
                language_code=tg.language_code,
                is_admin=tg.id in self.admin_ids,
            )
            self.cache.put(user, generation)
        data["user"] = user
        data["lang"] = user.language
        return await handler(event, data)


async def _refuse(event: TelegramObject, data: dict[str, Any], text: str) -> None:
    bot: Bot | None = data.get("bot")
    if isinstance(event, Update) and event.callback_query is not None:
        query: CallbackQuery = event.callback_query
        with contextlib.suppress(TelegramAPIError):
            await query.answer(text, show_alert=True)
        return
    chat = data.get("event_chat")
    if bot is not None and chat is not None:
        await bot.send_message(chat.id, text)


class BlockedMiddleware(BaseMiddleware):
    """A user an admin blocked gets one clear answer per update and nothing else."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("user")
        if user is not None and user.is_blocked and not user.is_admin:
            data["outcome"] = "blocked"
            await _refuse(event, data, tr(data["lang"], "bot.blocked"))
            return None
        return await handler(event, data)


class RateLimitMiddleware(BaseMiddleware):
    """Per-user token bucket in Redis (shared by every bot copy). Over the limit the update is
    dropped with a polite answer, sent once per throttled burst rather than per update.

    The token is taken in the FSM middleware's round trip (`prefetch`, before the user is
    known: an admin's token is taken too, and ignored); an update without an FSM context
    takes it here."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.rate = app.settings.bot_rate_per_sec
        self.burst = app.settings.bot_rate_burst

    def _bucket(self, telegram_id: int) -> TokenBucket:
        return TokenBucket(self.app.redis, keys.throttle_bucket(telegram_id), self.rate, self.burst)

    def prefetch(self, pipe: Any, data: dict[str, Any]) -> Callable[[Any], None] | None:
        tg: TgUser | None = data.get("event_from_user")
        if tg is None or tg.is_bot:
            return None
        self._bucket(tg.id).take_in(pipe)
        return lambda result: data.__setitem__(RATE_WAIT, float(result))

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("user")
        wait = data.pop(RATE_WAIT, None)  # the update's own user: taken in the FSM's round trip
        if user is None or user.is_admin:
            return await handler(event, data)
        if wait is None:
            wait = await self._bucket(user.telegram_id).take()
        if wait <= 0:
            return await handler(event, data)
        seconds = max(1, round(wait))
        data["outcome"] = "throttled"
        log.info("update throttled", telegram_id=user.telegram_id, wait_sec=seconds)
        notice_key = keys.throttle_notice(user.telegram_id)
        if await self.app.redis.set(notice_key, "1", nx=True, ex=seconds + 1):
            await _refuse(event, data, tr(data["lang"], "bot.rate_limited", seconds=seconds))
        return None


def install_middlewares(dp: Any, app: App) -> None:
    rate_limit = RateLimitMiddleware(app)
    for middleware in (
        LoggingMiddleware(),
        ErrorMiddleware(),
        UserMiddleware(app),
        BlockedMiddleware(),
        rate_limit,
    ):
        dp.update.outer_middleware(middleware)
    if isinstance(dp.fsm, UpdateFSMMiddleware):
        dp.fsm.prefetchers.append(rate_limit)
