"""The reader doors: the CLI's JSON contracts on imported fixture exports, and the bearer-protected
API routes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import redis as syncredis
from typer.testing import CliRunner

from tests.channels.read_util import NOW, add_posts, index_posts, make_channel
from tgassist.api.app import create_api
from tgassist.app import App
from tgassist.channels.service import subscribe
from tgassist.cli import app as cli
from tgassist.core.models import User
from tgassist.settings import Settings

runner = CliRunner()


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Settings]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TGASSIST_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TGASSIST_DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("TGASSIST_REDIS_URL", str(settings.redis_url))
    monkeypatch.setenv("TGASSIST_LANGUAGE", "en")
    client = syncredis.Redis.from_url(str(settings.redis_url))
    client.flushdb()
    yield settings
    client.flushdb()
    client.close()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def test_cli_contracts_on_imported_exports(env: Settings, fixtures_dir: Path) -> None:
    for name in ("trantor", "pachum"):
        code, out = invoke("channels", "import", str(fixtures_dir / "telegram-desktop" / name))
        assert code == 0, out
    code, out = invoke("channels", "search", "PostgreSQL MySQL", "--limit", "3", "--json")
    assert code == 0, out
    hits = json.loads(out)
    assert hits and {"post_id", "channel", "message_id", "date", "score", "snippet", "url"} <= set(
        hits[0]
    )
    assert hits[0]["message_id"] == 63 and "**PostgreSQL**" in hits[0]["snippet"]
    assert hits[0]["url"] is None  # an export without a username: channel name and date instead
    assert "川陀大学图书馆" in hits[0]["source"]

    code, out = invoke("channels", "ask", "When did FreeBSD get its name?", "--json")
    assert code == 0, out
    ans = json.loads(out)
    assert set(ans) >= {"answer", "found", "sources"} and ans["found"] is True
    assert "1993" in ans["answer"]
    assert {"post_id", "channel", "message_id", "url", "quote"} <= set(ans["sources"][0])
    assert ans["sources"][0]["message_id"] == 59

    code, out = invoke("channels", "ask", "Who painted The Starry Night?", "--json")
    assert json.loads(out) == {
        "answer": "Not found in your channels.",
        "found": False,
        "mode": "none",
        "confidence": json.loads(out)["confidence"],
        "sources": [],
    }

    code, out = invoke(
        "channels",
        "trends",
        "--window-hours",
        "24",
        "--baseline-days",
        "7",
        "--until",
        "2023-07-19T00:00:00",
        "--json",
    )
    assert code == 0, out
    assert json.loads(out) == []  # two channels cannot make a trend (3 distinct needed)

    code, out = invoke("channels", "digest", "--user", "777", "--json")
    assert code == 1 and "No user with Telegram id 777" in out

    code, out = invoke("channels", "search", "x" * 5000, "--json")
    assert code == 1 and "5000 characters" in out
    code, out = invoke("channels", "search", "Reddit", "--channel", "@nosuch", "--json")
    assert code == 1 and "No channel @nosuch" in out
    code, out = invoke("channels", "search", "Reddit", "--since", "yesterday")
    assert code == 1 and "is not a date" in out


async def test_api_routes_are_bearer_protected_and_scoped(app: App) -> None:
    a = await make_channel(app, "apinews", "API News")
    b = await make_channel(app, "othernews", "Other")
    ids = await add_posts(
        app,
        a,
        ["Власти Сочи ввели курортный сбор 100 рублей в сутки."],
        start=NOW - timedelta(hours=3),
    )
    ids += await add_posts(
        app, b, ["Курортный сбор в Крыму отменили."], start=NOW - timedelta(hours=2)
    )
    await index_posts(app, ids)
    async with app.db.session() as session:
        user = User(telegram_id=42)
        session.add(user)
        await session.flush()
        uid = user.id
    await subscribe(app, uid, a)
    api = create_api(app)
    transport = httpx.ASGITransport(app=api)
    auth = {"Authorization": "Bearer test-admin-token"}
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/channels/search", params={"q": "сбор"})).status_code == 401
        r = await client.get("/channels/search", params={"q": "курортный сбор"}, headers=auth)
        assert r.status_code == 200 and {h["channel"] for h in r.json()["results"]} == {
            "@apinews",
            "@othernews",
        }
        r = await client.get(
            "/channels/search", params={"q": "курортный сбор", "user": 42}, headers=auth
        )
        assert {h["channel"] for h in r.json()["results"]} == {"@apinews"}
        r = await client.get(
            "/channels/search",
            params={"q": "сбор", "user": 42, "channel": "@othernews"},
            headers=auth,
        )
        assert r.status_code == 403 and r.json()["detail"]["key"] == "search.channel_not_followed"
        r = await client.get("/channels/search", params={"q": ""}, headers=auth)
        assert r.status_code == 422
        r = await client.get("/channels/ask", params={"q": "Какой сбор в Сочи?"}, headers=auth)
        assert r.status_code == 200 and r.json()["found"] and "100" in r.json()["answer"]
        r = await client.get("/channels/trends", headers=auth)
        assert r.status_code == 200 and r.json() == []
