"""The bot's FSM context of one update: the state is read once, `clear()` is one command, and
what it writes is what the next update (a new context, any copy) reads from Redis."""

from __future__ import annotations

from collections import Counter

from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey

from tests.bot.conftest import BotEnv
from tgassist.app import App
from tgassist.bot.fsm import AppRedisStorage, UpdateFSMContext
from tgassist.bot.keys import FSM_PREFIX, throttle_bucket


async def _calls(app: App) -> Counter[str]:
    stats = await app.redis.info("commandstats")
    return Counter({k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()})


async def test_state_read_once_and_clear_is_one_command(app: App) -> None:
    storage = AppRedisStorage(
        app.redis,  # type: ignore[arg-type]
        key_builder=DefaultKeyBuilder(prefix=FSM_PREFIX, with_bot_id=True),
    )
    key = StorageKey(bot_id=1, chat_id=42, user_id=42)
    first = UpdateFSMContext(storage, key)
    await first.set_state("Wizard:name")
    await first.update_data(name="Диваны")

    update = UpdateFSMContext(storage, key)  # the next update
    before = await _calls(app)
    assert await update.get_state() == "Wizard:name"
    assert await update.get_state() == "Wizard:name"  # the middleware's read, then a handler's
    assert (await _calls(app) - before)["get"] == 1

    before = await _calls(app)
    await update.clear()
    assert (await _calls(app) - before) == Counter({"del": 1, "info": 1})
    assert await update.get_state() is None

    fresh = UpdateFSMContext(storage, key)
    assert await fresh.get_state() is None and await fresh.get_data() == {}
    await fresh.update_data(name="Диваны", region={"ids": [213]})
    before = await _calls(app)
    data = await fresh.update_data(budget=100)  # read once already: a write only
    data["region"]["ids"].append(2)  # what a caller gets is its own copy
    assert (await fresh.get_data())["region"] == {"ids": [213]}
    assert (await _calls(app) - before)["get"] == 0
    stored = await UpdateFSMContext(storage, key).get_data()
    assert stored == {"name": "Диваны", "region": {"ids": [213]}, "budget": 100}
    await fresh.set_state("Wizard:product")
    assert await UpdateFSMContext(storage, key).get_state() == "Wizard:product"


async def test_an_update_reads_its_state_and_rate_limit_in_one_round_trip(bot_env: BotEnv) -> None:
    """The FSM middleware's read carries the rate limiter's token (`Prefetch`): EVAL in the
    same pipeline as the state's GET, no EVALSHA of its own, and the limit still counts."""
    user = bot_env.user(4242, language_code="en")
    await user.send("/help")
    await user.reply()
    before = await _calls(bot_env.app)
    await user.send("/help")
    await user.reply()
    calls = await _calls(bot_env.app) - before
    assert calls["eval"] == 1 and calls["evalsha"] == 0, calls
    assert calls["get"] == 1 and calls["exists"] == 1, calls  # the state, and whether data is
    assert calls["del"] == 0, calls  # /help leaves any wizard: nothing stored, nothing deleted
    bucket = await bot_env.app.redis.hget(f"ratelimit:{throttle_bucket(4242)}", "tokens")
    burst = bot_env.app.settings.bot_rate_burst
    assert bucket is not None and float(bucket) < burst  # two tokens taken, some refilled
