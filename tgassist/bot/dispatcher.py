"""The Dispatcher: FSM storage on the app's Redis, workflow data, middlewares, routers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Dispatcher
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage

from tgassist.bot.background import Background
from tgassist.bot.keys import FSM_PREFIX
from tgassist.bot.middlewares import install_middlewares
from tgassist.bot.routers import build_routers

if TYPE_CHECKING:
    from tgassist.app import App

__all__ = ["AppRedisStorage", "build_dispatcher"]


class AppRedisStorage(RedisStorage):
    """RedisStorage on the App's shared client. aiogram closes its storage when polling stops,
    which would close the pool every other role of the process (workers, sender) still uses:
    the App closes it instead."""

    async def close(self) -> None:
        return None


def build_dispatcher(app: App) -> Dispatcher:
    """One Dispatcher per process. Its FSM lives in Redis, so a wizard survives a restart and is
    shared by every `tgassist bot` copy; handlers receive `app`, `user` (UserView), `lang` and `background` (tasks they start)."""
    storage = AppRedisStorage(
        app.redis,  # type: ignore[arg-type]
        key_builder=DefaultKeyBuilder(prefix=FSM_PREFIX, with_bot_id=True),
        state_ttl=30 * 86400,
        data_ttl=30 * 86400,
    )
    dp = Dispatcher(storage=storage, app=app, background=Background())
    install_middlewares(dp, app)
    for router in build_routers():
        dp.include_router(router)
    return dp
