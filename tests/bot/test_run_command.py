"""`tgassist run` as a user installs it: one real process (bot, worker, scheduler, API) against
the fake Bot API. A Russian user walks /start, the campaign wizard to the XLSX and CSV documents
(one progress message, edited in place), /history, an events list and /channels; then SIGTERM
stops the process cleanly.

On both backend pairs: SQLite + embedded Redis the process starts itself in its data dir, and
PostgreSQL + Redis server (TGASSIST_TEST_DATABASE_URL / TGASSIST_TEST_REDIS_URL) passed by URL.
The build uses the product's offline defaults (keyword multiplication, the bundled embedder, ad
templates): nothing is mocked. On a failure the process's log tail is attached to the error.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import redis as syncredis
from openpyxl import load_workbook
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.fakes.telegram_server import FakeTelegram, FakeUser, Reply
from tgassist.campaigns.export import HEADER_ROW, HEADLINE_COLS, SHEET
from tgassist.core.db import utcnow
from tgassist.events.dedupe import search_text
from tgassist.events.models import Event
from tgassist.settings import Settings

ROOT = str(Path(__file__).resolve().parents[2])
START_SEC = 90.0  # until the bot polls (a cold start imports aiogram, FastAPI, the pipeline)
BUILD_SEC = 120.0  # a few seconds here; the embedder loads on the first build of a process
STOP_SEC = 30.0  # SIGTERM to exit (nothing is in flight by then; the in-flight grace is 20 s)
TAIL_LINES = 60
EDIT_INTERVAL_SEC = 1.0  # Telegram lets a bot edit one message about once a second
USER_ID = 7001
NAME = "Ремонт холодильников"
# What a user pastes at step 3: 49 phrases (the wizard takes up to 50), so that the build runs a
# couple of seconds and its progress message shows where it is (three phrases build in about a
# second: the message goes from "queued" straight to "done").
BRANDS = ("samsung", "lg", "атлант", "bosch", "indesit", "liebherr", "beko", "haier", "stinol")
SERVICES = (
    "ремонт холодильников",
    "мастер по холодильникам",
    "заправка холодильника фреоном",
    "замена компрессора холодильника",
    "ремонт морозильной камеры",
    "холодильник не морозит",
    "замена уплотнителя холодильника",
    "ремонт холодильного оборудования",
)
KEYWORDS = (
    *SERVICES,
    *(f"ремонт холодильника {brand}" for brand in BRANDS),
    *(f"{service} на дому" for service in SERVICES),
    *(f"{service} {brand}" for service in SERVICES[1:4] for brand in BRANDS[:8]),
)
SITE = "fridge-fix.example.ru"


@dataclass
class RunProcess:
    """A `tgassist run` process, its log file and the fake Telegram it talks to."""

    proc: asyncio.subprocess.Process
    log: Path
    server: FakeTelegram
    data_dir: Path
    database_url: str

    def tail(self, lines: int = TAIL_LINES) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    async def wait_polling(self) -> None:
        deadline = time.monotonic() + START_SEC
        while not self.server.count("getUpdates"):
            if self.proc.returncode is not None:
                raise AssertionError(f"`tgassist run` exited with {self.proc.returncode}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not poll within {START_SEC:.0f}s")
            await asyncio.sleep(0.1)

    async def terminate(self) -> int:
        """SIGTERM, then the exit status; a process still running after STOP_SEC is killed
        and fails the test."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), STOP_SEC)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise AssertionError(
                f"`tgassist run` still running {STOP_SEC:.0f}s after SIGTERM"
            ) from None

    async def close(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        await self.server.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _command() -> list[str]:
    """The installed `tgassist` script next to this interpreter, else the module."""
    script = Path(sys.executable).parent / "tgassist"
    return (
        [str(script), "run"] if script.exists() else [sys.executable, "-m", "tgassist.cli", "run"]
    )


def _seed_events(database_url: str) -> None:
    """Events happening in Moscow today, as an ingest leaves them (no ingest runs on start-up)."""
    now = utcnow()
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with Session(engine) as s, s.begin():
        for n in (1, 2, 3):
            title = f"Джазовый концерт {n}"
            s.add(
                Event(
                    source="kudago",
                    external_id=f"run{n}",
                    title=title,
                    title_en=None,
                    starts_at=now - timedelta(minutes=30),
                    ends_at=now + timedelta(hours=3),
                    timezone="Europe/Moscow",
                    city="msk",
                    lat=55.75 + 0.001 * n,
                    lng=37.62,
                    location_name=f"Клуб {n}",
                    url=f"https://kudago.com/msk/event/run{n}/",
                    dedupe_key=f"run{n}",
                    content_hash=f"h{n}",
                    search_text=search_text(title, f"Клуб {n}"),
                )
            )
    engine.dispose()


async def start_run(tmp_path: Path, backend_env: dict[str, str]) -> RunProcess:
    """A fake Telegram, then `tgassist run` against it with a data dir under `tmp_path`;
    `backend_env` adds TGASSIST_DATABASE_URL / TGASSIST_REDIS_URL (none: the embedded ones)."""
    server = await FakeTelegram().start()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGASSIST_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
        PYTHONPATH=ROOT,
        TGASSIST_DATA_DIR=str(data_dir),
        TGASSIST_LANGUAGE="ru",
        TGASSIST_BOT_TOKEN=server.token,
        TGASSIST_BOT_API_URL=server.url,
        TGASSIST_API_HOST="127.0.0.1",
        TGASSIST_API_PORT=str(_free_port()),
        # A scripted user types faster than the per-user limit allows a person to.
        TGASSIST_BOT_RATE_PER_SEC="100",
        TGASSIST_BOT_RATE_BURST="100",
        **backend_env,
    )
    log = tmp_path / "tgassist-run.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *_command(), env=env, cwd=str(tmp_path), stdout=out, stderr=asyncio.subprocess.STDOUT
        )
    # The database the process uses: the one named, else its SQLite file in the data dir.
    database_url = env.get("TGASSIST_DATABASE_URL") or f"sqlite:///{data_dir / 'tgassist.sqlite3'}"
    return RunProcess(proc, log, server, data_dir, database_url)


@pytest.fixture
def backend_env(backend: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """The URLs `tgassist run` gets for this backend pair (none: it starts the embedded ones)."""
    if backend == "sqlite+embedded":
        return {}
    settings: Settings = request.getfixturevalue("settings")  # its database emptied
    assert settings.database_url and settings.redis_url
    syncredis.Redis.from_url(settings.redis_url).flushdb()
    return {
        "TGASSIST_DATABASE_URL": settings.database_url,
        "TGASSIST_REDIS_URL": settings.redis_url,
    }


@pytest.fixture
async def run_process(backend_env: dict[str, str], tmp_path: Path) -> AsyncIterator[RunProcess]:
    run = await start_run(tmp_path, backend_env)
    try:
        yield run
    finally:
        await run.close()


def _percent(text: str) -> int:
    found = re.findall(r"(\d+)%", text)
    assert found, text
    return int(found[-1])


async def _build_campaign(user: FakeUser) -> tuple[Reply, list[Reply], Reply]:
    """The wizard from /new_campaign to Confirm; returns the progress message as first sent,
    its edits, and the result message (the documents come before it)."""
    await user.send("/new_campaign")
    assert "Шаг 1 из 6" in (await user.reply()).text
    await user.send(NAME)
    assert "Шаг 2 из 6" in (await user.reply()).text
    await user.send("ремонт холодильников на дому")
    assert "Шаг 3 из 6" in (await user.reply()).text
    await user.send("\n".join(KEYWORDS))
    region = await user.reply()
    assert "Шаг 4 из 6" in region.text and "Москва" in region.button_texts
    await user.press("Москва")
    assert "Шаг 5 из 6" in (await user.reply()).text
    await user.send(SITE)
    budget = await user.reply()
    assert "Шаг 6 из 6" in budget.text and "Пропустить" in budget.button_texts
    await user.press("Пропустить")
    summary = await user.reply()
    assert NAME in summary.text and f"https://{SITE}/" in summary.text, summary.text
    assert f"Базовые фразы ({len(KEYWORDS)})" in summary.text, summary.text
    await user.press("✅ Собрать кампанию")
    progress = await user.reply_until(lambda r: "Сборка" in r.text and not r.is_edit, timeout=10)
    edits: list[Reply] = []
    while True:
        reply = await user.reply(timeout=BUILD_SEC)
        if reply.is_edit:
            # Every edit from here on is the one progress message, edited in place.
            assert reply.message_id == progress.message_id, reply.text
            edits.append(reply)
        elif reply.document is None:
            return progress, edits, reply


@pytest.mark.slow  # a real process: cold start, the embedder's first load, a real build
async def test_tgassist_run_serves_every_flow_then_stops_on_sigterm(
    run_process: RunProcess,
) -> None:
    run = run_process
    try:
        await _scenario(run)
        rc = await run.terminate()
        assert rc == 0, f"`tgassist run` exited with {rc}"
        log = run.log.read_text(errors="replace")
        assert "Traceback" not in log
        assert '"level": "error"' not in log  # a part that failed, a watch that broke…
        assert not (run.data_dir / "redis" / "redis.sock").exists(), "embedded Redis left running"
    except BaseException as err:
        err.add_note(f"--- `tgassist run` log (last {TAIL_LINES} lines) ---\n{run.tail()}")
        raise


async def _scenario(run: RunProcess) -> None:
    await run.wait_polling()  # the process migrated its database before it polled
    _seed_events(run.database_url)
    user = run.server.user(USER_ID, language_code="ru", first_name="Анна")

    await user.send("/start")
    menu = await user.reply(timeout=15)
    assert "Здравствуйте, Анна!" in menu.text
    assert {"Каналы", "События", "Кампании"} <= {b.split(" ", 1)[-1] for b in menu.button_texts}, (
        menu.button_texts
    )

    progress, edits, result = await _build_campaign(user)
    assert "готова" in result.text and "Фраз:" in result.text, result.text

    # ONE progress message, edited in place: its states (as sent, then each edit) show the
    # percent rising to 100, at most one a second (Telegram's limit for editing a message).
    assert sum("Сборка" in m.text for m in user.messages) == 1
    states = [progress, *edits]
    percents = [_percent(r.text) for r in states]
    assert percents[0] == 0 and percents[-1] == 100, percents
    assert percents == sorted(percents), percents  # never backwards
    texts = [r.text for r in states]
    assert len(set(texts)) == len(texts), texts  # each edit shows something new
    assert "Готово" in edits[-1].text and not edits[-1].button_texts
    gaps = [b.at - a.at for a, b in zip(states, states[1:], strict=False)]
    assert min(gaps) >= EDIT_INTERVAL_SEC - 0.1, gaps
    # The first edit is due a second after the message was sent: a build still running then
    # shows where it is before the end (a build under a second goes from queued to done).
    if edits[-1].at - progress.at > 2 * EDIT_INTERVAL_SEC:
        assert len(edits) >= 2, [e.text for e in edits]

    documents = [m for m in user.messages if m.kind == "document"]
    assert [(d.filename or "").rsplit(".", 1)[-1] for d in documents] == ["xlsx", "csv"]
    book = load_workbook(io.BytesIO(documents[0].document or b""))
    sheet = book[SHEET]
    header = [c.value for c in sheet[HEADER_ROW]]
    for column in ("Название группы", "Фраза (с минус-словами)", "Заголовок 1", "Ссылка"):
        assert column in header, header
    rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    phrases = [str(row[header.index("Фраза (с минус-словами)")] or "") for row in rows]
    assert sum("холодильник" in p.lower() for p in phrases) >= len(KEYWORDS), phrases
    assert any(row[HEADLINE_COLS[0]] for row in rows), "no ad headlines"
    links = {str(row[header.index("Ссылка")]) for row in rows if row[header.index("Ссылка")]}
    assert links and all(SITE in link for link in links), links
    assert "холодильник" in (documents[1].document or b"").decode("utf-8-sig").lower()

    await user.send("/history")
    history = await user.reply()
    assert "Мои кампании" in history.text and NAME in history.text
    assert "готово 1" in history.text, history.text
    await user.press(next(b for b in history.button_texts if NAME in b))
    card = await user.reply()
    assert NAME in card.text and "готова" in card.text, card.text
    assert "⬇️ XLSX" in card.button_texts, card.button_texts

    await user.send("/events")
    home = await user.reply()
    assert "События" in home.text and "Москва" in home.button_texts
    await user.press("Москва")
    assert "Москва: когда?" in (await user.reply()).text
    await user.press("Сегодня")
    today = await user.reply()
    assert "Москва · Сегодня" in today.text and "Джазовый концерт 1" in today.text, today.text

    await user.send("/channels")
    channels = await user.reply()
    assert "Каналы" in channels.text and "Вы следите за каналами: 0" in channels.text
