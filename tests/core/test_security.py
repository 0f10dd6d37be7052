"""Secrets at rest, rate limits and admin auth."""

from __future__ import annotations

import time

import httpx
import pytest

from tgassist.api.app import create_api
from tgassist.app import App
from tgassist.core.crypto import SecretBox
from tgassist.core.errors import CryptoError
from tgassist.core.ratelimit import TokenBucket


def test_secret_box_round_trip_and_rotation() -> None:
    old, new = SecretBox.generate_key(), SecretBox.generate_key()
    token = SecretBox(old).encrypt("session-string")
    assert "session-string" not in token
    rotated_box = SecretBox(f"{new},{old}")
    assert rotated_box.decrypt(token) == "session-string"  # old secrets still readable
    rotated = rotated_box.rotate(token)
    assert SecretBox(new).decrypt(rotated) == "session-string"  # now under the newest key
    with pytest.raises(CryptoError, match="does not decrypt"):
        SecretBox(SecretBox.generate_key()).decrypt(token)


def test_secret_box_errors_name_the_setting() -> None:
    with pytest.raises(CryptoError, match="TGASSIST_SECRET_KEYS is not set"):
        SecretBox(None).encrypt("x")
    with pytest.raises(CryptoError, match="invalid key"):
        SecretBox("not-a-key")
    with pytest.raises(CryptoError) as caught:  # a door renders it in the reader's language
        SecretBox(None).decrypt("x")
    assert "TGASSIST_SECRET_KEYS" in caught.value.render("ru")
    assert caught.value.render("ru") != caught.value.render("en")


async def test_token_bucket_limits_rate(app: App) -> None:
    bucket = TokenBucket(app.redis, "test-api", rate=5, capacity=5)
    granted = [await bucket.take() == 0 for _ in range(8)]
    assert granted == [True] * 5 + [False] * 3
    t0 = time.monotonic()
    await bucket.acquire()  # waits ~0.2 s for the next token
    assert time.monotonic() - t0 >= 0.1


async def test_admin_routes_need_the_token(app: App) -> None:
    api = create_api(app)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api), base_url="http://t"
    ) as client:
        assert (await client.get("/admin/dlq/some.stream")).status_code == 401
        bad = await client.get("/admin/dlq/some.stream", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        ok = await client.get(
            "/admin/dlq/some.stream", headers={"Authorization": "Bearer test-admin-token"}
        )
        assert ok.status_code == 200 and ok.json() == []
        assert (await client.get("/health")).status_code == 200  # health needs no token


async def test_admin_routes_refuse_when_no_token_is_configured(settings_factory) -> None:  # type: ignore[no-untyped-def]
    application = await App.start(settings_factory(admin_token=None))
    try:
        api = create_api(application)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api), base_url="http://t"
        ) as client:
            r = await client.get("/admin/dlq/x", headers={"Authorization": "Bearer anything"})
            assert r.status_code == 403 and r.json()["detail"]["key"] == "security.api.disabled"
            assert "TGASSIST_ADMIN_TOKEN" in r.json()["detail"]["message"]
    finally:
        await application.close()
