"""core/usercache: the bot's in-process user cache stays correct across processes (two Apps on
the same backends stand for two `tgassist bot` copies)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from tgassist.app import App
from tgassist.core import users
from tgassist.core.usercache import UserCache


async def _cached(cache: UserCache, app: App, telegram_id: int) -> users.UserView:
    """Read the user as the bot's middleware does: from the cache, else from the DB into it."""
    deadline = time.monotonic() + 5
    while (hit := cache.get(telegram_id)) is None:
        generation = cache.generation
        view = await users.get_by_telegram_id(app.db, telegram_id)
        assert view is not None
        cache.put(view, generation)
        if time.monotonic() > deadline:
            raise AssertionError("the cache never went live")
        await asyncio.sleep(0.01)  # the subscription is being set up
    return hit


async def _until(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not predicate():
        assert time.monotonic() < deadline, "not within 5 s"
        await asyncio.sleep(0.01)


async def test_a_change_in_another_process_drops_the_cached_user(
    make_app: Callable[..., Awaitable[App]],
) -> None:
    bot_copy, admin_copy = await make_app(), await make_app()
    cache = bot_copy.user_cache
    u = await users.ensure_user(admin_copy.db, telegram_id=501, first_name="Ivan")
    await users.ensure_user(admin_copy.db, telegram_id=502, first_name="Petr")
    assert not (await _cached(cache, bot_copy, 501)).is_blocked
    other = await _cached(cache, bot_copy, 502)

    await users.set_blocked(admin_copy.db, u.id, True)  # an admin in the other copy
    await _until(lambda: cache.get(501) is None)
    assert (await _cached(cache, bot_copy, 501)).is_blocked
    assert cache.get(502) == other  # other users stay cached

    await users.set_language(admin_copy.db, u.id, "en")
    await _until(lambda: cache.get(501) is None)
    assert (await _cached(cache, bot_copy, 501)).language == "en"

    await users.set_limits(admin_copy.db, u.id, {"campaigns": "3"})
    await _until(lambda: cache.get(501) is None)
    assert (await _cached(cache, bot_copy, 501)).limits == {"campaigns": 3}

    await users.mark_bot_blocked(admin_copy.db, 501)
    await _until(lambda: cache.get(501) is None)
    assert not (await _cached(cache, bot_copy, 501)).is_active


async def test_a_read_that_straddles_a_change_is_not_cached(
    make_app: Callable[..., Awaitable[App]],
) -> None:
    app = await make_app()
    cache = app.user_cache
    u = await users.ensure_user(app.db, telegram_id=601)
    await _cached(cache, app, 601)
    generation = cache.generation
    stale = await users.get_by_telegram_id(app.db, 601)  # read before the change lands
    assert stale is not None
    await users.set_blocked(app.db, u.id, True)
    await _until(lambda: cache.get(601) is None)
    cache.put(stale, generation)  # the old read arrives late: refused
    assert cache.get(601) is None


async def test_entries_expire_and_ttl_zero_never_caches(
    make_app: Callable[..., Awaitable[App]],
) -> None:
    app = await make_app(bot_user_cache_sec=0.2)
    await users.ensure_user(app.db, telegram_id=701)
    await _cached(app.user_cache, app, 701)
    await asyncio.sleep(0.3)
    assert app.user_cache.get(701) is None

    off = await make_app(bot_user_cache_sec=0)
    view = await users.get_by_telegram_id(off.db, 701)
    assert view is not None
    off.user_cache.put(view, off.user_cache.generation)
    assert off.user_cache.get(701) is None
