"""The dashboard over HTTP: closed without a token, the login cookie, every page in both
languages with real figures, replay from the DLQ (CSRF-checked), live task progress as SSE."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.ops.dashboard_util import TOKEN, add_dead_letter, populate
from tgassist.api.app import create_api
from tgassist.app import App
from tgassist.core.bus import dlq_name

PAGES = ["", "charts", "streams", "workers", "jobs", "tasks", "channels", "events", "campaigns"]


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_api(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://dash") as c:
        yield c


async def _login(client: httpx.AsyncClient) -> None:
    r = await client.post("/dashboard/login", data={"token": TOKEN})
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/"


async def test_pages_need_a_sign_in(client: httpx.AsyncClient) -> None:
    for page in PAGES:
        r = await client.get(f"/dashboard/{page}")
        assert r.status_code == 303 and r.headers["location"] == "/dashboard/login", page
    r = await client.post("/dashboard/login", data={"token": "wrong"})
    assert r.status_code == 401 and "не подходит" in r.text
    forged = {"tgassist_session": "99999999999.deadbeef"}
    r = await client.get("/dashboard/", cookies=forged)
    assert r.status_code == 303


async def test_bearer_token_opens_pages_without_a_cookie(client: httpx.AsyncClient) -> None:
    r = await client.get("/dashboard/jobs", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and "channels_parser" in r.text


async def test_without_an_admin_token_the_dashboard_is_closed(make_app) -> None:
    app = await make_app(admin_token=None)
    transport = httpx.ASGITransport(app=create_api(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://dash") as c:
        r = await c.get("/dashboard/login")
        assert "TGASSIST_ADMIN_TOKEN" in r.text and "<form" not in r.text
        assert (await c.post("/dashboard/login", data={"token": ""})).status_code == 401
        assert (await c.get("/dashboard/")).status_code == 303


async def test_every_page_renders_real_figures_in_both_languages(
    app: App, client: httpx.AsyncClient, fixtures_dir: Path
) -> None:
    await populate(app, fixtures_dir)
    await _login(client)
    for lang, word in (("en", "Overview"), ("ru", "Обзор")):
        for page in PAGES:
            r = await client.get(f"/dashboard/{page}?lang={lang}")
            assert r.status_code == 200, (page, r.text[:300])
            assert "ops." not in re.sub(r"<[^>]+>", "", r.text), f"untranslated key on {page}"
            assert word in r.text
    overview = (await client.get("/dashboard/?lang=en")).text
    assert re.search(r'data-card="ops.card.posts_today">\s*<div class="value">53<', overview)
    assert "<svg" in overview  # the posts chart is drawn, not raw JSON
    channels = (await client.get("/dashboard/channels")).text
    assert "53" in channels and "MiB" in channels
    charts = (await client.get("/dashboard/charts")).text
    assert charts.count('class="chart"') >= 3


async def test_replay_sends_dead_letters_back_and_needs_the_form_token(
    app: App, client: httpx.AsyncClient
) -> None:
    await add_dead_letter(app)
    await _login(client)
    page = (await client.get("/dashboard/streams?lang=en")).text
    assert "a broken post" in page
    r = await client.post("/dashboard/streams/replay", data={"stream": "posts.parsed"})
    assert r.status_code == 403 and r.json()["detail"]["key"] == "ops.errors.form_expired"
    assert "reload the page" in r.json()["detail"]["message"]  # the page was opened in English
    assert await app.redis.xlen(dlq_name("posts.parsed")) == 1
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert csrf
    r = await client.post(
        "/dashboard/streams/replay", data={"stream": "posts.parsed", "csrf": csrf.group(1)}
    )
    assert r.status_code == 303 and r.headers["location"].endswith("replayed=1")
    assert await app.redis.xlen(dlq_name("posts.parsed")) == 0
    assert await app.redis.xlen("posts.parsed") == 1
    r = await client.post(
        "/dashboard/streams/replay?lang=en", data={"stream": "no.such", "csrf": csrf.group(1)}
    )
    assert r.status_code == 404
    assert r.json()["detail"]["message"].startswith("There is no stream no.such")


async def test_task_progress_arrives_as_server_sent_events(
    app: App, client: httpx.AsyncClient
) -> None:
    await _login(client)
    task = await app.tasks.create("ops.demo")
    await app.tasks.start(task.id)
    assert f'data-task="{task.id}"' in (await client.get("/dashboard/tasks")).text

    async def drive() -> None:
        for percent in (20, 60):
            await asyncio.sleep(0.3)
            await app.tasks.progress(
                task.id, stage="work", percent=percent, key="core.task.started"
            )
        await asyncio.sleep(0.3)
        await app.tasks.finish(task.id)

    driver = asyncio.create_task(drive())
    seen: list[str] = []
    async with client.stream("GET", f"/dashboard/tasks/{task.id}/events?lang=en") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        async for line in r.aiter_lines():
            if line.startswith("data:"):
                seen.append(line)
            if line == "event: end":
                break
    await driver
    assert any('"percent": 20' in s for s in seen) and any('"percent": 60' in s for s in seen)
    assert any('"status": "done"' in s for s in seen)
    missing = await client.get("/dashboard/tasks/nope/events")
    assert missing.status_code == 404
    assert missing.json()["detail"]["message"].startswith("Задачи nope нет")
