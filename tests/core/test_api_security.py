"""Admin API hardening (issue 12, item 15): the admin token, admin-only docs and details,
keywords_file confined to the data dir, passwords masked in start-up errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from pydantic import ValidationError
from typer.testing import CliRunner

from tgassist.api.app import create_api
from tgassist.app import App
from tgassist.cli import app as cli_app
from tgassist.settings import Settings

AUTH = {"Authorization": "Bearer test-admin-token"}


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_api(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


@pytest.mark.parametrize("token", ["", "   ", "s3cr3t", "fifteen-chars!!", " padded-token-value "])
def test_an_empty_or_short_admin_token_is_refused_at_start(token: str) -> None:
    with pytest.raises(ValidationError) as err:
        Settings(admin_token=token)
    text = str(err.value)
    assert "admin_token" in text and "16" in text and "unset it" in text
    if token.strip():
        assert token.strip() not in text  # the rejected secret is not echoed


def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[int, str]:
    """The real CLI in this process (a subprocess costs seconds of imports per case)."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    env = {"TGASSIST_DATA_DIR": str(tmp_path / "data"), **env}
    root = logging.getLogger()
    handlers, level, config = root.handlers[:], root.level, structlog.get_config()
    try:
        result = CliRunner().invoke(cli_app, ["channels", "list"], env=env)
    finally:
        # the CLI points logging at the runner's (soon closed) stderr: give later tests theirs back
        root.handlers[:], root.level = handlers, level
        structlog.configure(**config)
    return result.exit_code, result.output


def test_cli_start_with_an_empty_admin_token_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for lang, empty in (("en", "is empty"), ("ru", "пуст")):
        code, out = cli(tmp_path, monkeypatch, TGASSIST_ADMIN_TOKEN="", TGASSIST_LANGUAGE=lang)
        assert code == 1
        assert "TGASSIST_ADMIN_TOKEN" in out and empty in out and "Traceback" not in out


@pytest.mark.parametrize(
    "name,url",
    [
        ("TGASSIST_REDIS_URL", "redis://:hunter2secret@127.0.0.1:1/0"),
        ("TGASSIST_REDIS_URL", "redis://user:hunter2secret@127.0.0.1:99999/0"),
        ("TGASSIST_DATABASE_URL", "postgresql://app:hunter2secret@127.0.0.1:1/db"),
        ("TGASSIST_DATABASE_URL", "mysql://app:hunter2secret@127.0.0.1/db"),
        ("TGASSIST_DATABASE_URL", "postgresql://app:hunter2secret@[::1/db"),
    ],
)
def test_passwords_in_backend_urls_never_reach_start_up_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, url: str
) -> None:
    code, out = cli(tmp_path, monkeypatch, **{name: url})
    assert code == 1, out
    assert "hunter2secret" not in out
    assert name in out and "Traceback" not in out, out


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/health/details"])
async def test_docs_schema_and_details_are_for_admins_only(
    client: httpx.AsyncClient, path: str
) -> None:
    assert (await client.get(path)).status_code == 401
    wrong = await client.get(path, headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert wrong.json()["detail"]["key"] == "security.api.bad_token"
    assert wrong.json()["detail"]["message"].startswith("Неверный токен администратора")
    english = await client.get(path, headers={"Authorization": "Bearer x", "Accept-Language": "en"})
    assert english.json()["detail"]["message"].startswith("Invalid admin token")
    assert (await client.get(path, headers=AUTH)).status_code in (200, 503)
    assert (await client.get("/health")).status_code == 200  # liveness stays public


async def test_a_browser_session_reads_docs_and_details_but_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.post("/admin/session")).status_code == 401
    opened = await client.post("/admin/session", headers=AUTH)
    assert opened.status_code == 200
    cookie = opened.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "test-admin-token" not in cookie  # an HMAC of the token, not the token
    assert (await client.get("/health/details")).status_code in (200, 503)  # cookie sent
    assert (await client.get("/openapi.json")).json()["paths"]
    # the read-only cookie never authorises an admin action
    assert (await client.post("/admin/dlq/x/replay")).status_code == 401
    assert (await client.get("/admin/channels")).status_code == 401
    client.cookies.set("tgassist_admin", "forged")
    assert (await client.get("/health/details")).status_code == 401


@pytest.mark.parametrize(
    "keywords_file", ["/etc/passwd", "../../../../etc/passwd", "/proc/self/environ"]
)
async def test_keywords_file_outside_the_data_dir_is_refused(
    client: httpx.AsyncClient, keywords_file: str
) -> None:
    r = await client.post(
        "/admin/campaigns", json={"name": "x", "keywords_file": keywords_file}, headers=AUTH
    )
    assert r.status_code == 422, r.text
    item = r.json()["detail"][0]
    assert item["field"] == "keywords_file" and item["key"] == "security.path.outside_data_dir"


async def test_a_symlink_out_of_the_data_dir_is_refused(
    app: App, client: httpx.AsyncClient
) -> None:
    link = app.settings.data_dir / "innocent.csv"
    link.symlink_to("/etc/hostname")
    r = await client.post(
        "/admin/campaigns", json={"name": "x", "keywords_file": str(link)}, headers=AUTH
    )
    assert r.status_code == 422 and r.json()["detail"][0]["key"] == "security.path.outside_data_dir"


BRIEF: dict[str, Any] = {
    "name": "Ремонт холодильников",
    "product": "ремонт холодильников на дому",
    "base_phrases": ["ремонт холодильников", "мастер по холодильникам"],
    "region": "Москва",
    "url": "https://fridge-fix.example.ru",
}


async def test_an_uploaded_keywords_file_is_used_by_a_brief(
    app: App, client: httpx.AsyncClient
) -> None:
    csv = "Фраза,Частотность\nремонт холодильников,1200\nмастер по холодильникам,300\n"
    up = await client.post(
        "/admin/campaigns/keywords",
        files={"file": ("wordstat.csv", csv.encode(), "text/csv")},
        headers=AUTH,
    )
    assert up.status_code == 201, up.text
    path = Path(up.json()["keywords_file"])
    assert path.is_relative_to(app.settings.data_dir.resolve())
    assert await asyncio.to_thread(path.read_text) == csv
    created = await client.post(
        "/admin/campaigns", json={**BRIEF, "keywords_file": str(path)}, headers=AUTH
    )
    assert created.status_code == 202, created.text
    bad = await client.post(
        "/admin/campaigns/keywords",
        files={"file": ("evil.sh", b"#!/bin/sh", "text/plain")},
        headers=AUTH,
    )
    assert bad.status_code == 422 and bad.json()["detail"]["key"] == "security.upload.bad_type"


async def test_without_an_admin_token_the_admin_api_says_how_to_open_it(make_app: Any) -> None:
    app = await make_app(admin_token=None)
    transport = httpx.ASGITransport(app=create_api(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/health/details", headers={**AUTH, "Accept-Language": "en-GB,en;q=0.8"})
    assert r.status_code == 403 and r.json()["detail"]["key"] == "security.api.disabled"
    assert "set TGASSIST_ADMIN_TOKEN on the server (at least 16" in r.json()["detail"]["message"]
