"""The bot role: one aiogram `Bot` + `Dispatcher` per process, long polling or webhook.

`run_bot(app, stop)` is what `tgassist run` / `tgassist bot` start: it registers the command
menus, runs the `bot.outgoing` sender stage (and an outbox relay), and then either polls Telegram or, with
TGASSIST_BOT_WEBHOOK_URL, sets the webhook (which the API role serves) until `stop` is set. With
TGASSIST_BOT_SHARED_POLLING several copies share long polling (`tgassist.bot.shared`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import structlog
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError
from aiohttp import ClientError, ClientTimeout

from tgassist.core.errors import ConfigError
from tgassist.core.heap import freeze_startup_heap

if TYPE_CHECKING:
    from aiogram import Dispatcher

    from tgassist.app import App
    from tgassist.settings import Settings

log = structlog.get_logger(__name__)

__all__ = ["create_bot", "run_bot"]


_RESPONSE_MODELS: list[type] = []


def _pin_response_models() -> None:
    """aiogram parses every answer of the Bot API as `Response[<method's result type>]`, and
    pydantic keeps such parametrised models only weakly: without a strong reference the class was
    built again on almost every call (a third of a millisecond each, ~14 % of the bot's event
    loop under load). Built once per process here (~40 ms) and kept."""
    if _RESPONSE_MODELS:
        return
    from aiogram import methods
    from aiogram.methods.base import Response, TelegramMethod

    for name in methods.__all__:
        cls = getattr(methods, name)
        if isinstance(cls, type) and issubclass(cls, TelegramMethod) and cls is not TelegramMethod:
            _RESPONSE_MODELS.append(Response[cls.__returning__])  # type: ignore[name-defined]


class JsonSession(AiohttpSession):
    """aiogram's session, sending a method without files as one JSON body (the Bot API takes
    `application/json`) instead of a urlencoded form whose nested fields (keyboards) are JSON
    strings of their own (sendMessage with a keyboard, bot and fake Bot API in one process: 2.0–3.0
    → 1.6–2.6 ms of CPU a call). Uploads go as multipart, as before."""

    async def make_request(self, bot: Bot, method: Any, timeout: int | None = None) -> Any:  # noqa: ASYNC109
        files: dict[str, Any] = {}
        body = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                body[key] = prepared
        if files:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=self.json_dumps(body),
                headers={"Content-Type": "application/json"},
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as err:
            raise TelegramNetworkError(method=method, message="Request timeout error") from err
        except ClientError as err:
            message = f"{type(err).__name__}: {err}"
            raise TelegramNetworkError(method=method, message=message) from err
        response = self.check_response(
            bot=bot, method=method, status_code=resp.status, content=raw_result
        )
        return response.result


def create_bot(settings: Settings) -> Bot:
    """A Bot for the configured token, talking to api.telegram.org or TGASSIST_BOT_API_URL."""
    _pin_response_models()
    if settings.bot_token is None:
        raise ConfigError("core.config.bot_token_missing")

    server = PRODUCTION
    if settings.bot_api_url:
        server = TelegramAPIServer.from_base(settings.bot_api_url.rstrip("/"))
    session = JsonSession(api=server)
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


async def run_bot(app: App, stop: asyncio.Event) -> None:
    """Serve Telegram until `stop` is set."""
    from tgassist.bot.broadcasts import resume_broadcasts
    from tgassist.bot.commands import register_commands
    from tgassist.bot.dispatcher import build_dispatcher

    bot = create_bot(app.settings)
    dp = build_dispatcher(app)
    log.info("start-up heap frozen", objects=freeze_startup_heap())
    sender = asyncio.create_task(_run_sender(app, stop), name="bot-sender")
    # The bot itself writes outbox rows (broadcasts, replies staged in a transaction); relaying
    # them here lets `tgassist bot` work without a worker (the relay's lock keeps it single).
    relay = asyncio.create_task(
        app.outbox.run(stop, app.settings.outbox_poll_sec), name="bot-outbox-relay"
    )
    try:
        await register_commands(bot, app.settings.language, app.settings.admin_ids)
        await resume_broadcasts(app, bot, dp["background"])
        if app.settings.bot_webhook_url:
            await _serve_webhook(bot, dp, app, stop)
        elif app.settings.bot_shared_polling:
            from tgassist.bot.shared import serve_shared

            await serve_shared(bot, dp, app, stop)
        else:
            await _poll(bot, dp, app, stop)
    finally:
        stop.set()
        await dp["background"].close()
        await asyncio.gather(sender, relay, return_exceptions=True)
        await bot.session.close()


async def _poll(bot: Bot, dp: Dispatcher, app: App, stop: asyncio.Event) -> None:
    await bot.delete_webhook(drop_pending_updates=False)  # getUpdates is refused while one is set
    polling = asyncio.create_task(
        dp.start_polling(
            bot,
            handle_signals=False,
            close_bot_session=False,
            polling_timeout=app.settings.bot_polling_timeout_sec,
            tasks_concurrency_limit=app.settings.bot_concurrency,
        )
    )
    log.info("bot polling started")
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({polling, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not polling.done():
        try:
            await dp.stop_polling()
        except RuntimeError:  # polling already ended
            pass
    await asyncio.gather(polling, return_exceptions=True)
    if polling.done() and not polling.cancelled() and polling.exception() is not None:
        raise polling.exception()  # type: ignore[misc]


async def _serve_webhook(bot: Bot, dp: Dispatcher, app: App, stop: asyncio.Event) -> None:
    from tgassist.bot.webhook import webhook_secret

    await bot.set_webhook(
        str(app.settings.bot_webhook_url),
        secret_token=webhook_secret(app.settings),
        allowed_updates=dp.resolve_used_update_types(),
        drop_pending_updates=False,
    )
    log.info("bot webhook set; the API serves it", url=app.settings.bot_webhook_url)
    # The API copies answer the updates; this role still runs the routers' start and stop work
    # (progress messages of builds resumed after a restart, stopped on shutdown), as polling does.
    hooks = {"dispatcher": dp, "bots": [bot], **dp.workflow_data}
    await dp.emit_startup(bot=bot, **hooks)
    try:
        await stop.wait()
    finally:
        await dp.emit_shutdown(bot=bot, **hooks)


async def _run_sender(app: App, stop: asyncio.Event) -> None:
    """The `bot.outgoing` sender stage, in the bot role (messages from any process)."""
    from tgassist.bot.sender import STAGES
    from tgassist.core.worker import Worker

    worker = Worker(app, STAGES)
    task = asyncio.create_task(worker.run(), name="bot-sender-worker")
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    worker.stop()
    await task
