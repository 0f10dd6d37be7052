"""The FastAPI app: health, metrics, admin routes of the core and every product."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from tgassist.api.routes import (
    admin,
    campaigns,
    channels,
    channels_read,
    dashboard,
    docs,
    events,
    health,
)

if TYPE_CHECKING:
    from tgassist.app import App

ROUTERS = (
    health.router,
    docs.router,
    docs.session_router,
    dashboard.router,
    admin.router,
    channels.router,
    channels_read.router,
    events.router,
    campaigns.router,
)


def create_api(app: App) -> FastAPI:
    # Docs and schema are admin pages (routes/docs.py), not FastAPI's public defaults.
    api = FastAPI(
        title="tgassist", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None
    )
    api.state.tgassist = app
    for router in ROUTERS:
        api.include_router(router)
    dashboard.mount_static(api)
    if app.settings.bot_token and app.settings.bot_webhook_url:
        from tgassist.bot.webhook import webhook_router

        api.include_router(webhook_router(app))
    return api
