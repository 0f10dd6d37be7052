"""Webhook mode (TGASSIST_BOT_WEBHOOK_URL): Telegram POSTs updates to the API, which feeds them
to this process's dispatcher after checking Telegram's secret-token header.

Every API copy can serve the webhook: the FSM is in Redis, so a wizard continues whichever copy
receives the next update. The update is handled before the answer: a crash answers 5xx and
Telegram delivers it again (the handlers' own errors are answered to the user, not retried).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import structlog
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from fastapi import APIRouter, Request, Response

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.settings import Settings

__all__ = ["WebhookReceiver", "webhook_path", "webhook_router", "webhook_secret"]

log = structlog.get_logger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_PATH = "/telegram/webhook"


def webhook_secret(settings: Settings) -> str:
    """TGASSIST_BOT_WEBHOOK_SECRET, or one derived from the token (the same in every copy)."""
    if settings.bot_webhook_secret is not None:
        return settings.bot_webhook_secret.get_secret_value()
    assert settings.bot_token is not None
    token = settings.bot_token.get_secret_value()
    return hashlib.sha256(f"tgassist-webhook:{token}".encode()).hexdigest()


def webhook_path(settings: Settings) -> str:
    """The path of TGASSIST_BOT_WEBHOOK_URL, served by the API."""
    path = urlsplit(settings.bot_webhook_url or "").path
    return path if path and path != "/" else DEFAULT_PATH


class WebhookReceiver:
    """This process's Bot + Dispatcher for updates arriving over the webhook."""

    def __init__(self, app: App) -> None:
        from tgassist.bot.app import create_bot
        from tgassist.bot.dispatcher import build_dispatcher
        from tgassist.core.heap import freeze_startup_heap

        self.app = app
        self.bot: Bot = create_bot(app.settings)
        self.dp: Dispatcher = build_dispatcher(app)
        self.secret = webhook_secret(app.settings)
        freeze_startup_heap()  # once, on the first update: long collections stop the API too

    async def feed(self, body: Any, secret: str | None) -> int:
        """HTTP status for Telegram: 401 on a wrong secret, 400 on a body that is no Update."""
        if secret is None or not hmac.compare_digest(secret, self.secret):
            log.warning("webhook refused: wrong secret token")
            return 401
        try:
            update = Update.model_validate(body, context={"bot": self.bot})
        except ValueError as err:
            log.warning("webhook refused: not an update", error=str(err)[:200])
            return 400
        await self.dp.feed_update(self.bot, update)
        return 200

    async def close(self) -> None:
        await self.bot.session.close()


def webhook_router(app: App) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    receiver: WebhookReceiver | None = None

    @router.post(webhook_path(app.settings))
    async def telegram_webhook(request: Request) -> Response:
        nonlocal receiver
        if receiver is None:
            receiver = WebhookReceiver(app)
        try:
            body = await request.json()
        except ValueError:
            return Response(status_code=400)
        status = await receiver.feed(body, request.headers.get(SECRET_HEADER))
        return Response(status_code=status)

    return router
