"""The bot's FSM context of one update: the state is read once, `clear()` is one command, and
what it writes is what the next update (a new context, any copy) reads from Redis."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from redis.asyncio.client import Pipeline

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


async def test_an_update_reads_its_state_and_rate_limit_in_one_round_trip(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The FSM middleware's read carries the rate limiter's token (`Prefetch`): one pipeline
    (state GET, data EXISTS, the bucket's EVAL) and nothing else for /help of a known user
    without a wizard. Commands are told apart by the task that sends them: the bot's other
    parts (lock renewals, stream reads) run in tasks of their own."""
    sent: defaultdict[object, list[str]] = defaultdict(list)
    execute_command, execute = aioredis.Redis.execute_command, Pipeline.execute

    async def one(self: aioredis.Redis, *args: Any, **kw: Any) -> Any:
        sent[asyncio.current_task()].append(str(args[0]).upper())
        return await execute_command(self, *args, **kw)

    async def piped(self: Pipeline, raise_on_error: bool = True) -> Any:
        names = ",".join(str(args[0]).upper() for args, _ in self.command_stack)
        sent[asyncio.current_task()].append(f"PIPELINE({names})")
        return await execute(self, raise_on_error)

    user = bot_env.user(4242, language_code="en")
    await user.send("/help")
    await user.reply()
    monkeypatch.setattr(aioredis.Redis, "execute_command", one)
    monkeypatch.setattr(Pipeline, "execute", piped)
    await user.send("/help")
    await user.reply()
    monkeypatch.undo()
    updates = [cmds for cmds in sent.values() if any(c.startswith("PIPELINE(GET,") for c in cmds)]
    assert updates == [["PIPELINE(GET,EXISTS,EVAL)"]], dict(sent)
    bucket = await bot_env.app.redis.hget(f"ratelimit:{throttle_bucket(4242)}", "tokens")
    burst = bot_env.app.settings.bot_rate_burst
    assert bucket is not None and float(bucket) < burst  # the limit still counts: tokens taken
