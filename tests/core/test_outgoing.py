"""Outgoing Telegram messages: outbox rows from any process, delivered by the bot role's sender
stage over real HTTP to the fake Bot API (aiogram's client, TGASSIST_BOT_API_URL)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.fakes.telegram_server import FakeTelegram
from tests.util import run_pipeline
from tgassist.app import App
from tgassist.bot.sender import STAGES, Pacing, TelegramSender
from tgassist.core.errors import LocalizedError
from tgassist.core.models import OutgoingDelivery
from tgassist.core.outgoing import enqueue_message
from tgassist.core.users import ensure_user, get_by_telegram_id
from tgassist.products import all_stages

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def app(make_app: Any, tg: FakeTelegram) -> App:
    return await make_app(bot_token=tg.token, bot_api_url=tg.url, bus_retry_base_sec=0.01)


async def deliver_all(app: App) -> None:
    await run_pipeline(app, STAGES)


async def markers(app: App) -> dict[str, str]:
    async with app.db.session() as s:
        rows = await s.execute(select(OutgoingDelivery.dedupe_key, OutgoingDelivery.status))
        return {k: v for k, v in rows.all()}


def test_sender_is_run_by_the_bot_role_only() -> None:
    assert "bot_outgoing" not in {s.name for s in all_stages()}


async def test_keys_rendered_in_each_users_language_with_buttons_and_files(
    app: App, tg: FakeTelegram
) -> None:
    ru, en = tg.user(101, language_code="ru"), tg.user(102, language_code="en")
    await ensure_user(app.db, telegram_id=101, language_code="ru")
    await ensure_user(app.db, telegram_id=102, language_code="en")
    await app.blobs.put("exports/c1.xlsx", b"PK-xlsx-bytes")
    async with app.db.session() as s:
        for chat in (101, 102):
            await enqueue_message(
                s,
                chat_id=chat,
                key="core.task.failed",
                params={"error": "<x> & y"},
                buttons=[[{"text_key": "core.task.done", "callback_data": "ok:1"}]],
            )
        await enqueue_message(s, chat_id=101, text="Admin says: 2 < 3 <b>")
        await enqueue_message(
            s,
            chat_id=102,
            document_blob="exports/c1.xlsx",
            filename="c1.xlsx",
            key="core.task.done",
        )
    await deliver_all(app)
    assert [m.text for m in ru.messages] == ["Не удалось: <x> & y", "Admin says: 2 < 3 <b>"]
    assert ru.messages[0].buttons[0][0].text == "Готово"
    assert [m.text for m in en.messages][0] == "Failed: <x> & y"
    doc = en.messages[-1]
    assert doc.document == b"PK-xlsx-bytes" and doc.filename == "c1.xlsx"
    assert set((await markers(app)).values()) == {"sent"}


async def test_dedupe_key_is_never_sent_twice_even_when_replayed(
    app: App, tg: FakeTelegram
) -> None:
    user = tg.user(201)
    for _ in range(2):
        async with app.db.session() as s:
            await enqueue_message(s, chat_id=201, text="digest", dedupe_key="digest:201:2026-12-01")
        await deliver_all(app)
    await app.bus.dlq_replay("bot.outgoing")  # nothing there, and a replay changes nothing
    await deliver_all(app)
    assert [m.text for m in user.messages] == ["digest"]
    assert await markers(app) == {"digest:201:2026-12-01": "sent"}


async def test_429_is_honoured_and_5xx_retried(app: App, tg: FakeTelegram) -> None:
    user = tg.user(301)
    tg.fail_next("sendMessage", status=429, retry_after=1)
    tg.fail_next("sendMessage", status=502)
    async with app.db.session() as s:
        await enqueue_message(s, chat_id=301, text="after a 429 and a 502")
    started = time.monotonic()
    await deliver_all(app)
    assert time.monotonic() - started >= 1.0  # waited retry_after
    assert [m.text for m in user.messages] == ["after a 429 and a 502"]
    assert tg.count("sendMessage") == 3


async def test_blocked_user_is_marked_inactive_and_bad_chats_recorded(
    app: App, tg: FakeTelegram
) -> None:
    blocker = tg.user(401)
    await ensure_user(app.db, telegram_id=401)
    tg.block(blocker)
    async with app.db.session() as s:
        await enqueue_message(s, chat_id=401, text="hi", dedupe_key="b1")
        await enqueue_message(s, chat_id=999_999, text="nobody", dedupe_key="b2")  # unknown chat
    await deliver_all(app)
    view = await get_by_telegram_id(app.db, 401)
    assert view is not None and view.is_active is False
    assert await markers(app) == {"b1": "blocked", "b2": "failed"}
    assert await app.bus.dlq_list("bot.outgoing") == []  # answered for good: not dead letters


async def test_pacing_per_private_chat_and_overall(app: App, tg: FakeTelegram) -> None:
    one = tg.user(501)
    for n in range(3):
        tg.user(600 + n)
    async with app.db.session() as s:
        for n in range(3):
            await enqueue_message(s, chat_id=501, text=f"m{n}")
        for n in range(3):
            await enqueue_message(s, chat_id=600 + n, text="x")
    await deliver_all(app)
    mine = [at for at, chat in tg.sent_at if chat == 501]
    assert len(mine) == 3 and all(b - a >= 0.9 for a, b in zip(mine, mine[1:], strict=False))
    assert [m.text for m in one.messages] == ["m0", "m1", "m2"]  # in order


async def test_overall_rate_is_capped(app: App, tg: FakeTelegram) -> None:
    # the overall bucket at 10/s for a short test: 12 chats, one message each
    sender = TelegramSender(app, pacing=Pacing(overall=10))
    app.__dict__["telegram_sender"] = sender
    for n in range(12):
        tg.user(700 + n)
    async with app.db.session() as s:
        for n in range(12):
            await enqueue_message(s, chat_id=700 + n, text="x")
    await deliver_all(app)
    times = sorted(at for at, _ in tg.sent_at)
    assert len(times) == 12 and times[-1] - times[0] >= 1.0  # 12 at 10/s need > 1 s
    window = max(sum(1 for x in times if a <= x < a + 1.0) for a in times)
    assert window <= 11


async def test_bad_messages_are_refused_when_written(app: App) -> None:
    async with app.db.session() as s:
        for kw in (
            {},
            {"text": "x" * 5000},
            {"text": "x", "buttons": [[{"text": "a"}]]},
            {"text": "x", "buttons": [[{"text": "a", "callback_data": "x" * 65}]]},
        ):
            with pytest.raises(LocalizedError):
                await enqueue_message(s, chat_id=1, **kw)


@pytest.mark.slow  # starts a sender process (imports aiogram and the app: seconds)
async def test_a_sender_killed_mid_run_loses_nothing(
    app: App, tg: FakeTelegram, settings_factory: Any
) -> None:
    """SIGKILL a sender process mid-run; another takes its entries over. Nothing is lost, and
    only a message whose answer raced the kill (sent, marker not yet committed) can repeat."""
    import asyncio
    import os
    import signal
    import sys

    from tgassist.core.worker import Worker

    total = 60
    users = [tg.user(800 + n) for n in range(total)]
    async with app.db.session() as s:
        for n in range(total):
            await enqueue_message(s, chat_id=800 + n, text=f"hello {n}", dedupe_key=f"k{n}")
    await app.outbox.drain()
    await app.bus.ensure_group("bot.outgoing", STAGES[0].group_name)
    s = app.settings
    env = {
        **os.environ,
        "TGASSIST_DATABASE_URL": s.database_url or "",
        "TGASSIST_REDIS_URL": s.redis_url or "",
        "TGASSIST_DATA_DIR": str(s.data_dir),
        "TGASSIST_BOT_TOKEN": tg.token,
        "TGASSIST_BOT_API_URL": tg.url,
        "TGASSIST_LOG_LEVEL": "WARNING",
        "TGASSIST_BOT_SEND_LOCK_SEC": "1",  # the killed sender's reservation lapses soon
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.core.sender_process",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while tg.count("sendMessage") < 15 and proc.returncode is None:
        assert time.monotonic() < deadline, "the sender process sent nothing"
        await asyncio.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    sent_before = tg.count("sendMessage")
    assert proc.stderr is not None
    assert 0 < sent_before < total, (await proc.stderr.read()).decode()[-3000:]
    await asyncio.sleep(1.1)  # past the dead sender's reservations
    survivor = Worker(app, STAGES, name="survivor")
    assert await survivor.reclaim_now(min_idle_ms=0) > 0  # takes over the dead sender's entries
    await run_pipeline(app, STAGES)
    counts = [len(u.messages) for u in users]
    assert min(counts) == 1, "every message is delivered"
    assert sum(counts) - total <= 1, counts  # at most the one in flight when killed
    assert len(await markers(app)) == total
