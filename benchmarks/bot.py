"""The bot under load, through the fake Bot API over real HTTP (the bot's own aiogram client,
polling loop, middlewares, FSM in Redis and handlers; only Telegram is fake).

1. Conversations: 200 simulated users, each: /start, /events, taps Moscow then Today (today's
   events: a real page of seeded events), /history, /new_campaign + a name (a wizard step). Every
   answer is checked against the screen it must be (a catalogue text in the user's language); a
   wrong screen counts as an error. The bot runs as `tgassist bot` in its own process(es), as in production; this
   process plays Telegram (the fake Bot API server and the scripted users). Reply latency = from
   the user's update being queued at the fake server to the bot's first answer in that chat;
   p50/p95/p99, updates/s, the bot's CPU per update and the load average. Target: p95 ≤ 250 ms,
   no errors. Three scenarios, all printed every run:
   - `burst` (the worst case): all 200 users at once, each sending its next update 50 ms after
     the previous answer (a closed loop: the load is as high as the bot can answer);
   - `paced`: each user starts within the first second and reads 1-3 s (uniformly random)
     before the next update, as people do (~100 updates/s offered);
   - `busy`: as paced, reading 0.5-1.5 s (~200 updates/s offered, twice paced: where the
     reply time starts to climb on this machine).
2. A broadcast to 1,000 users through `bot.outgoing`; the bot role is killed (its tasks cancelled
   mid-send: `tgassist bot` gets SIGKILL) after ~300 deliveries and is started again. Counts per chat must be
   exactly 1 (zero lost, zero doubled) and the sending rate ≤ 30 messages/s in every 1-s window.

`python -m benchmarks bot`. SQLite + embedded Redis in a temp dir; `BENCH_BOT_USERS`,
`BENCH_BROADCAST_USERS` change the sizes; `BENCH_BOT_SCENARIOS=burst` (or `paced`, `busy`) runs one
scenario; `BENCH_BOT_PROCESSES=1,2` runs each scenario with 1 and then 2 `tgassist bot`
processes (more than one share long polling: TGASSIST_BOT_SHARED_POLLING); `BENCH_BOT_PROFILE=<file>`
writes a cProfile of the bot process, `BENCH_BOT_PYSPY=<file>` py-spy's sampled stacks of it over the measured run (raw; py-spy on PATH); `BENCH_BOT_PARTS=conversations` (or `broadcast`) runs one
part.
"""

from __future__ import annotations

import asyncio
import html
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.fakes.telegram_server import FakeTelegram, FakeUser
from tgassist.app import App
from tgassist.bot.ui.events import EventCb, city_name
from tgassist.core import admin
from tgassist.core.db import utcnow
from tgassist.core.i18n import t
from tgassist.core.users import ensure_user
from tgassist.events.dedupe import search_text
from tgassist.events.store import upsert_events
from tgassist.settings import Settings

USERS = int(os.environ.get("BENCH_BOT_USERS", "200"))
BROADCAST_USERS = int(os.environ.get("BENCH_BROADCAST_USERS", "1000"))
ROOT = str(Path(__file__).resolve().parents[1])
# What each user does, and what must come back (a catalogue text in the user's language: a
# reply that is not the expected screen is an error, not a latency sample).
STEPS: tuple[tuple[str, str], ...] = (
    ("/start", "bot.start.welcome"),
    ("/events", "bot.events.home"),
    ("tap Moscow", "bot.events.ask.when"),
    ("tap Today", "bot.events.list.city"),
    ("/history", "bot.campaigns.history.empty"),
    ("/new_campaign", "bot.campaigns.ask.name"),
    ("Диваны на заказ", "bot.campaigns.ask.product"),
)
TODAY_EVENTS = 40  # events in Moscow today: the list is a real page with a next-page button


def _expected(step: str, key: str, user: FakeUser) -> str:
    lang = user.language_code or "ru"
    params: dict[str, Any] = {"name": user.first_name}
    if step.startswith("tap"):
        params.update(city=city_name(lang, "msk"), when=t("bot.events.when.today", lang))
    text = html.unescape(re.sub(r"<[^>]+>", "", t(key, lang, **params)))
    return text.split("\n")[0][:60]


async def _do(user: FakeUser, step: str, last: Any) -> None:
    if step == "tap Moscow":
        await user.press_data(EventCb(action="city", city="msk").pack(), message=last.message)
    elif step == "tap Today":
        data = EventCb(action="list", src="c", city="msk", when="today").pack()
        await user.press_data(data, message=last.message)
    else:
        await user.send(step)


async def _seed_events(app: App) -> None:
    """Today's events in Moscow, as an import leaves them (the list step reads a real page)."""
    now = utcnow()
    rows = [
        {
            "source": "kudago",
            "external_id": f"bench{n}",
            "title": f"Концерт {n}",
            "title_en": f"Concert {n}" if n % 2 else None,
            "starts_at": now + timedelta(minutes=5 * n),
            "ends_at": now + timedelta(minutes=5 * n, hours=2),
            "timezone": "Europe/Moscow",
            "city": "msk",
            "lat": 55.75 + 0.001 * n,
            "lng": 37.62,
            "location_name": f"Клуб {n}",
            "url": f"https://kudago.com/msk/event/bench{n}/",
            "dedupe_key": f"bench{n}",
            "content_hash": f"h{n}",
            "search_text": search_text(f"Концерт {n}", f"Клуб {n}"),
        }
        for n in range(TODAY_EVENTS)
    ]
    async with app.db.session() as session:
        await upsert_events(session, rows)


@dataclass(frozen=True)
class Scenario:
    name: str
    think: tuple[float, float]  # seconds a user reads before the next update (uniform)
    ramp: float  # users start at a random moment within this many seconds


SCENARIOS = {
    "burst": Scenario("burst", (0.05, 0.05), 0.0),
    "paced": Scenario("paced", (1.0, 3.0), 1.0),
    "busy": Scenario("busy", (0.5, 1.5), 1.0),
}


def _settings(data_dir: Path, server: FakeTelegram, **extra: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data_dir,
        bot_token=server.token,
        bot_api_url=server.url,
        bot_rate_per_sec=100.0,
        bot_rate_burst=100,
        bus_block_ms=100,
        log_level="WARNING",
        **extra,
    )


async def _user_script(
    user: FakeUser,
    scenario: Scenario,
    rng: random.Random,
    latencies: list[float],
    errors: list[str],
    by_step: dict[str, list[float]] | None = None,
) -> None:
    await asyncio.sleep(rng.uniform(0, scenario.ramp))
    last: Any = None
    for step, key in STEPS:
        user.skip_replies()
        started = time.perf_counter()
        await _do(user, step, last)
        try:
            last = await user.reply(timeout=30)
        except AssertionError as err:
            errors.append(str(err)[:120])
            return  # the rest of this user's script needs that answer
        if _expected(step, key, user) not in last.text:
            errors.append(f"{step}: unexpected answer {last.text[:80]!r}")
            return
        latencies.append((time.perf_counter() - started) * 1000)
        if by_step is not None:
            by_step.setdefault(step, []).append(latencies[-1])
        await asyncio.sleep(rng.uniform(*scenario.think))  # people read before they tap


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _cpu_sec(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


async def conversations(data_dir: Path, scenario: Scenario, processes: int) -> None:
    async with FakeTelegram() as server:
        settings = _settings(data_dir / f"conv-{scenario.name}-{processes}", server)
        app = await App.start(settings, migrate=True)  # schema + embedded Redis, shared
        await _seed_events(app)
        logs = [(settings.data_dir / f"bot{i}.log").open("wb") for i in range(processes)]
        shared = {"TGASSIST_BOT_SHARED_POLLING": "true"} if processes > 1 else {}
        bots = [
            await _bot_process(settings, stderr=log, log_level="INFO", env=shared) for log in logs
        ]
        try:
            await _wait_for(lambda: server.count("getUpdates") > 0)
            await _measure(app, server, scenario, [bot.pid for bot in bots])
        finally:
            for bot in bots:
                bot.send_signal(signal.SIGTERM)
            for bot in bots:
                await bot.wait()
            for log in logs:
                log.close()
            await app.close()


async def _redis_calls(app: App) -> Counter[str]:
    stats = await app.redis.info("commandstats")
    return Counter({k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()})


async def _measure(app: App, server: FakeTelegram, scenario: Scenario, pids: list[int]) -> None:
    # A warm-up round by 200 other users: the bot's connection pools grow and its caches fill
    # as in a bot that has been running; the measured users are new to it all the same.
    warm = [server.user(90_000 + i, language_code="en") for i in range(USERS)]
    rng = random.Random(0)
    await asyncio.gather(*(_user_script(u, SCENARIOS["burst"], rng, [], []) for u in warm))
    users = [server.user(100_000 + i, language_code="ru" if i % 2 else "en") for i in range(USERS)]
    latencies: list[float] = []
    errors: list[str] = []
    by_step: dict[str, list[float]] = {}
    rng = random.Random(42)
    print(f"[{scenario.name}] before: {_load()}")
    calls0 = await _redis_calls(app)
    spy = await _pyspy(pids[0])
    cpu0, own0, t0 = sum(map(_cpu_sec, pids)), time.process_time(), time.perf_counter()
    await asyncio.gather(
        *(_user_script(u, scenario, rng, latencies, errors, by_step) for u in users)
    )
    wall = time.perf_counter() - t0
    if spy is not None:  # py-spy writes its file on SIGINT
        spy.send_signal(signal.SIGINT)
        await spy.wait()
    bot_cpu, own_cpu = sum(map(_cpu_sec, pids)) - cpu0, time.process_time() - own0
    calls = await _redis_calls(app) - calls0
    updates = USERS * len(STEPS)
    think = "-".join(f"{x:g}" for x in sorted(set(scenario.think)))
    how = (
        "1 `tgassist bot` process"
        if len(pids) == 1
        else f"{len(pids)} `tgassist bot` processes (shared polling)"
    )
    print(
        f"[{scenario.name}] {USERS} users x {len(STEPS)} updates "
        f"({', '.join(step for step, _ in STEPS)}), "
        f"think {think} s, start within {scenario.ramp:g} s; bot: {how}"
    )
    print(
        f"reply latency ms: p50 {_pct(latencies, 50):.0f}  p95 {_pct(latencies, 95):.0f}  "
        f"p99 {_pct(latencies, 99):.0f}  max {max(latencies):.0f}  mean {statistics.mean(latencies):.0f}"
    )
    print(
        "p95 by step ms: "
        + ", ".join(f"{step} {_pct(values, 95):.0f}" for step, values in by_step.items())
    )
    print(f"updates/s: {updates / wall:.0f} ({updates} in {wall:.1f} s); errors: {len(errors)}")
    print(
        f"CPU: bot {bot_cpu:.1f} s ({bot_cpu / updates * 1000:.1f} ms/update), "
        f"fake Telegram + users {own_cpu:.1f} s ({own_cpu / updates * 1000:.1f} ms/update)"
    )
    top = ", ".join(f"{name} {n / updates:.1f}" for name, n in calls.most_common(6))
    print(f"Redis commands per update: {calls.total() / updates:.1f} ({top})")
    print(f"[{scenario.name}] after: {_load()}")
    for err in errors[:3]:
        print("  error:", err)


async def _pyspy(pid: int) -> asyncio.subprocess.Process | None:
    """py-spy's sampled stacks of the (first) bot process over the measured run only (raw
    format, BENCH_BOT_PYSPY=<file>): start-up and warm-up are left out."""
    out = os.environ.get("BENCH_BOT_PYSPY")
    if not out:
        return None
    argv = ["py-spy", "record", "--nonblocking", "-r", "100", "-f", "raw", "-o", out]
    spy = await asyncio.create_subprocess_exec(*argv, "--pid", str(pid))
    await asyncio.sleep(1.0)  # attached before the first update
    return spy


def _max_per_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def _wait_for(predicate: Any, limit_sec: float = 300.0) -> None:
    deadline = time.monotonic() + limit_sec
    while not predicate() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def _bot_process(
    settings: Settings,
    stderr: Any = None,
    log_level: str = "WARNING",
    env: dict[str, str] | None = None,
) -> asyncio.subprocess.Process:
    """`tgassist bot` as a separate process on the same data dir (SQLite + embedded Redis)."""
    env = {
        **os.environ,
        "PYTHONPATH": ROOT,
        "TGASSIST_DATA_DIR": str(settings.data_dir),
        "TGASSIST_BOT_TOKEN": settings.bot_token.get_secret_value() if settings.bot_token else "",
        "TGASSIST_BOT_API_URL": settings.bot_api_url or "",
        "TGASSIST_LOG_LEVEL": log_level,
        "TGASSIST_BUS_BLOCK_MS": "100",
        "TGASSIST_BOT_RATE_PER_SEC": str(settings.bot_rate_per_sec),
        "TGASSIST_BOT_RATE_BURST": str(settings.bot_rate_burst),
        **(env or {}),
    }
    code = "from tgassist.cli import main; main()"
    if os.environ.get("BENCH_BOT_PROFILE"):  # a profile of the bot process alone
        code = f"import cProfile; cProfile.run({code!r}, {os.environ['BENCH_BOT_PROFILE']!r})"
    argv = [sys.executable, "-c", code, "bot"]
    return await asyncio.create_subprocess_exec(
        *argv,
        env=env,
        cwd=str(settings.data_dir),
        stderr=stderr,
    )


async def broadcast(data_dir: Path) -> None:
    async with FakeTelegram() as server:
        settings = _settings(data_dir / "bc", server)
        app = await App.start(settings, migrate=True)
        ids = [200_000 + i for i in range(BROADCAST_USERS)]
        creator = await ensure_user(app.db, telegram_id=1, language_code="en")
        for tid in ids:
            server.user(tid)
            await ensure_user(app.db, telegram_id=tid, language_code="ru")
        server.user(1)
        view = await admin.create_broadcast(
            app, created_by=creator.id, audience="all", text="Новости"
        )
        stop_relay = asyncio.Event()
        relay = asyncio.create_task(app.outbox.run(stop_relay, 0.05))  # a worker's part
        t0 = time.perf_counter()
        await admin.fan_out(app, view.id)
        bot = await _bot_process(settings)
        await _wait_for(lambda: len(server.sent_at) >= min(300, BROADCAST_USERS // 3))
        bot.kill()  # SIGKILL: no graceful stop, in-flight sends are cut
        await bot.wait()
        killed_at = len(server.sent_at)
        bot = await _bot_process(settings)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = await admin.broadcast_status(app, view.id)
            if status.pending == 0:
                break
            await asyncio.sleep(0.5)
        wall = time.perf_counter() - t0
        bot.terminate()
        await bot.wait()
        stop_relay.set()
        await relay
        counts = Counter(
            m.chat_id for chat in ids for m in server.chats[chat] if m.text == "Новости"
        )
        lost = sum(1 for tid in ids if counts[tid] == 0)
        doubled = sum(1 for tid in ids if counts[tid] > 1)
        rate = _max_per_window([t for t, _ in server.sent_at])
        print(
            f"broadcast to {BROADCAST_USERS + 1} users; `tgassist bot` SIGKILLed after {killed_at} sends, started again"
        )
        print(
            f"delivered {status.sent}, pending {status.pending}; lost {lost}, doubled {doubled}; "
            f"max {rate} messages in any 1 s window; {wall:.1f} s wall "
            f"({status.sent / wall:.1f} msg/s average, restart included)"
        )
        await app.close()


def main() -> None:
    parts = os.environ.get("BENCH_BOT_PARTS", "conversations,broadcast").split(",")
    with tempfile.TemporaryDirectory() as tmp:
        if os.environ.get("BENCH_BOT_DIR"):  # keep the data (the bot's log) for a look afterwards
            tmp = os.environ["BENCH_BOT_DIR"]
        if "conversations" in parts:
            for processes in map(int, os.environ.get("BENCH_BOT_PROCESSES", "1").split(",")):
                for name in os.environ.get("BENCH_BOT_SCENARIOS", "burst,paced,busy").split(","):
                    asyncio.run(conversations(Path(tmp), SCENARIOS[name], processes))
        if "broadcast" in parts:
            asyncio.run(broadcast(Path(tmp)))


if __name__ == "__main__":
    main()
