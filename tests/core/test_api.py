"""Health endpoints and metrics."""

from __future__ import annotations

import httpx

from tgassist.api.app import create_api
from tgassist.app import App
from tgassist.core.product import Job
from tgassist.core.scheduler import Scheduler


async def test_health_details_reports_backends_streams_scheduler(app: App) -> None:
    async def noop(a: App) -> None:
        return None

    sched = Scheduler(app, [Job("demo", noop, every_sec=60)])
    await sched.start()
    try:
        api = create_api(app)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api), base_url="http://t"
        ) as client:
            assert (await client.get("/health")).json() == {"status": "ok"}
            page = await client.get("/dashboard/")  # the dashboard is for signed-in admins
            assert page.status_code == 303 and page.headers["location"] == "/dashboard/login"
            r = await client.get(
                "/health/details", headers={"Authorization": "Bearer test-admin-token"}
            )
            body = r.json()
            assert r.status_code == 200 and body["status"] == "ok"
            assert body["db"]["status"] == "ok" and body["redis"]["status"] == "ok"
            assert body["scheduler"]["status"] == "ok" and "demo" in body["scheduler"]["jobs"]
            assert "items" in body["streams"] and "items" in body["workers"]
            metrics = await client.get("/metrics")
            assert metrics.status_code == 200
            assert "tgassist_bus_messages_total" in metrics.text
    finally:
        sched.shutdown()


async def test_health_reports_a_redis_that_never_answers_as_down(app: App, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import socket

    import redis.asyncio as aioredis

    from tgassist.core import health

    monkeypatch.setattr(health, "CHECK_TIMEOUT_SEC", 1.0)
    silent = socket.socket()  # accepts connections (backlog) but never replies
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    real = app.redis
    app.redis = aioredis.Redis(host="127.0.0.1", port=silent.getsockname()[1])
    try:
        report = await asyncio.wait_for(health.details(app), 10)
        assert report["status"] == "down" and report["redis"]["status"] == "down"
        assert report["redis"]["error"]
    finally:
        await app.redis.aclose()
        app.redis = real
        silent.close()


async def test_health_is_not_ok_without_a_scheduler(app: App) -> None:
    from tgassist.core import health

    report = await health.details(app)  # no scheduler process anywhere
    assert report["scheduler"]["status"] == "not running"
    assert report["status"] == "degraded" and "scheduler" in report["problems"]
