"""Routers per product, in the order updates are offered to them (fallback last).

Each module exposes `build_router() -> Router` and builds a fresh router on every call: a router
can belong to one dispatcher only, and tests and benchmarks build several.
"""

from __future__ import annotations

from aiogram import Router

__all__ = ["build_routers"]


def build_routers() -> list[Router]:
    from tgassist.bot.routers import (
        admin,
        campaigns,
        channels,
        channels_read,
        core,
        events,
        fallback,
        settings,
    )

    return [
        core.build_router(),
        settings.build_router(),
        admin.build_router(),
        # products: campaigns, events, channels (each `build_router()`), here in this order
        campaigns.build_router(),
        events.build_router(),
        channels.build_router(),
        channels_read.build_router(),
        fallback.build_router(),
    ]
