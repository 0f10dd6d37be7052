"""The Dispatcher: FSM storage on the app's Redis, workflow data, middlewares, routers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Dispatcher
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.memory import DisabledEventIsolation

from tgassist.bot.background import Background
from tgassist.bot.fsm import AppRedisStorage, UpdateFSMMiddleware
from tgassist.bot.keys import FSM_PREFIX
from tgassist.bot.middlewares import install_middlewares
from tgassist.bot.routers import build_routers

if TYPE_CHECKING:
    from tgassist.app import App

__all__ = ["build_dispatcher"]


def build_dispatcher(app: App) -> Dispatcher:
    """One Dispatcher per process. Its FSM lives in Redis, so a wizard survives a restart and is
    shared by every `tgassist bot` copy; handlers receive `app`, `user` (UserView), `lang` and `background` (tasks they start)."""
    storage = AppRedisStorage(
        app.redis,  # type: ignore[arg-type]
        key_builder=DefaultKeyBuilder(prefix=FSM_PREFIX, with_bot_id=True),
        state_ttl=30 * 86400,
        data_ttl=30 * 86400,
    )
    # aiogram's own FSM middleware is replaced by one whose per-update context saves Redis round
    # trips (tgassist/bot/fsm.py); registered where aiogram registers its own, after the user
    # context.
    dp = Dispatcher(storage=storage, disable_fsm=True, app=app, background=Background())
    dp.fsm = UpdateFSMMiddleware(storage=storage, events_isolation=DisabledEventIsolation())
    dp.update.outer_middleware(dp.fsm)
    install_middlewares(dp, app)
    for router in build_routers():
        dp.include_router(router)
    return dp
