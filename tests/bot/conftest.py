"""`bot_env`: the real bot (and a worker) running in-process against the fake Bot API.

    async def test_start(bot_env):
        user = bot_env.user(1001, language_code="en")
        await user.send("/start")
        menu = await user.reply()
        assert "Channels" in menu.button_texts

On both backend pairs (SQLite + embedded Redis, PostgreSQL + Redis server). `bot_env.app` is the
App the roles run on (use it to check the database); `bot_env.restart()` stops both roles and
starts them again on a fresh App (FSM and data persist: what a user sees after a deploy);
`bot_env.server` is the `FakeTelegram`. Settings for the App: override the `bot_overrides`
fixture, or build another environment with `make_bot_env(**settings)`.
`ADMIN_ID` is an admin (TGASSIST_BOT_ADMIN_IDS) in the default settings.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.fakes.telegram_server import FakeTelegram, FakeUser
from tgassist.app import App
from tgassist.bot.app import run_bot
from tgassist.core.worker import Worker
from tgassist.products import select_stages

ADMIN_ID = 900
STOP_SEC = 60.0  # a role still running after this hangs: the test fails instead
# A Fernet key for the tests (stored tokens are encrypted with it).
SECRET_KEY = "5yrdJEQjkO0YhXGJ7I0tCn2C5Jv2Kk-CrHzNSs5yB3U="


@dataclass
class BotEnv:
    server: FakeTelegram
    app: App
    make_app: Callable[..., Awaitable[App]]
    settings: dict[str, Any]
    worker: bool = True
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _worker: Worker | None = None

    def user(self, telegram_id: int, language_code: str | None = "ru", **kw: Any) -> FakeUser:
        return self.server.user(telegram_id, language_code=language_code, **kw)

    async def start(self) -> None:
        self._stop = asyncio.Event()
        self._tasks = [asyncio.create_task(run_bot(self.app, self._stop), name="bot")]
        if self.worker:
            self._worker = Worker(self.app, select_stages(None))
            self._tasks.append(asyncio.create_task(self._worker.run(), name="worker"))
            self._tasks.append(
                asyncio.create_task(self.app.outbox.run(self._stop, 0.05), name="outbox")
            )
        # Ready once the bot has registered its commands and started polling.
        for _ in range(500):
            ready = self.server.count("getUpdates") or self.server.webhook
            if ready or any(t.done() for t in self._tasks):
                break
            await asyncio.sleep(0.01)
        for task in self._tasks:
            if task.done():
                task.result()

    async def stop(self) -> None:
        self._stop.set()
        if self._worker:
            self._worker.stop()
        done, pending = await asyncio.wait(self._tasks, timeout=STOP_SEC)
        if pending:  # say where everything waits, so a hang can be found from the CI log
            for task in asyncio.all_tasks():
                task.print_stack(limit=6)
        for task in pending:  # a role that does not stop in time fails the test, never hangs it
            task.cancel()
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if pending:
            raise AssertionError(
                f"roles did not stop within {STOP_SEC}s: {[t.get_name() for t in pending]}"
            )
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]

    async def restart(self) -> None:
        """Stop the roles, then start them on a new App (a process restart)."""
        await self.stop()
        self.app = await self.make_app(**self.settings)
        await self.start()


@pytest.fixture
def bot_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def make_bot_env(
    make_app: Callable[..., Awaitable[App]], bot_overrides: dict[str, Any]
) -> AsyncIterator[Callable[..., Awaitable[BotEnv]]]:
    envs: list[BotEnv] = []
    servers: list[FakeTelegram] = []

    async def make(worker: bool = True, **overrides: Any) -> BotEnv:
        server = await FakeTelegram().start()
        servers.append(server)
        settings: dict[str, Any] = {
            "bot_token": server.token,
            "bot_api_url": server.url,
            "bot_admin_ids": str(ADMIN_ID),
            "secret_keys": SECRET_KEY,
            # Scripted users type faster than people; the rate-limit test sets its own values.
            "bot_rate_per_sec": 100.0,
            "bot_rate_burst": 100,
            # In-flight sends get 5 s at shutdown (20 in production): a loaded CI machine still
            # stops every role well inside STOP_SEC.
            "worker_shutdown_grace_sec": 5.0,
            **bot_overrides,
            **overrides,
        }
        env = BotEnv(server, await make_app(**settings), make_app, settings, worker=worker)
        envs.append(env)
        await env.start()
        return env

    yield make
    for env in envs:
        with contextlib.suppress(Exception):
            await env.stop()
    for server in servers:
        await server.stop()


@pytest.fixture
async def bot_env(make_bot_env: Callable[..., Awaitable[BotEnv]]) -> BotEnv:
    return await make_bot_env()
