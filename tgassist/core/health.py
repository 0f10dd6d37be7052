"""Health: liveness and a detailed report (DB, Redis, streams, workers, scheduler, products)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tgassist.core.metrics import STREAM_DLQ, STREAM_LAG, STREAM_LENGTH, STREAM_PENDING
from tgassist.core.recovery import bus_health
from tgassist.core.scheduler import HEARTBEAT_KEY, JOBS_KEY
from tgassist.core.worker import HEARTBEAT_PREFIX

if TYPE_CHECKING:
    from tgassist.app import App


CHECK_TIMEOUT_SEC = (
    5.0  # a backend that accepts connections but never answers is down, not "pending"
)


def _error(err: BaseException) -> str:
    if isinstance(err, TimeoutError):
        return f"no answer within {CHECK_TIMEOUT_SEC:g}s"
    return str(err)[:300] or type(err).__name__


async def check_db(app: App) -> dict[str, Any]:
    try:
        await asyncio.wait_for(app.db.ping(), CHECK_TIMEOUT_SEC)
        return {"status": "ok", "dialect": app.db.dialect}
    except Exception as err:
        return {"status": "down", "error": _error(err)}


async def check_redis(app: App) -> dict[str, Any]:
    try:
        await asyncio.wait_for(app.redis.ping(), CHECK_TIMEOUT_SEC)
        info = await asyncio.wait_for(app.redis.info("server"), CHECK_TIMEOUT_SEC)
        return {
            "status": "ok",
            "embedded": app.embedded_redis is not None,
            "version": info.get("redis_version"),
        }
    except Exception as err:
        return {"status": "down", "error": _error(err)}


async def stream_report(app: App) -> list[dict[str, Any]]:
    """One row per (stream, group) of the declared stages; also updates the stream gauges."""
    from tgassist.products import all_stages

    rows = []
    for stage in all_stages():
        st = await app.bus.stats(stage.stream, stage.group_name)
        STREAM_LENGTH.labels(st.stream).set(st.length)
        STREAM_PENDING.labels(st.stream, stage.group_name).set(st.pending)
        STREAM_LAG.labels(st.stream, stage.group_name).set(st.lag or 0)
        STREAM_DLQ.labels(st.stream).set(st.dlq)
        rows.append(
            {
                "stream": st.stream,
                "group": stage.group_name,
                "length": st.length,
                "pending": st.pending,
                "lag": st.lag,
                "dlq": st.dlq,
                "consumers": st.consumers,
            }
        )
    return rows


async def worker_report(app: App) -> list[dict[str, Any]]:
    rows = []
    async for key in app.redis.scan_iter(match=HEARTBEAT_PREFIX + "*", count=200):
        raw = await app.redis.get(key)
        if raw:
            info = json.loads(raw)
            info["name"] = key[len(HEARTBEAT_PREFIX) :]
            rows.append(info)
    return sorted(rows, key=lambda r: r["name"])


async def scheduler_report(app: App) -> dict[str, Any]:
    beat = await app.redis.get(HEARTBEAT_KEY)
    jobs = await app.redis.hgetall(JOBS_KEY)
    return {
        "status": "ok" if beat else "not running",
        "heartbeat": beat,
        "jobs": {name: json.loads(v).get("next_run") for name, v in sorted(jobs.items())},
    }


async def _product_check(app: App, check: Any) -> dict[str, Any]:
    try:
        return dict(await asyncio.wait_for(check(app), CHECK_TIMEOUT_SEC))
    except Exception as err:
        return {"status": "down", "error": _error(err)}


async def details(app: App) -> dict[str, Any]:
    from tgassist.products import PRODUCTS

    db = await check_db(app)
    redis = await check_redis(app)
    report: dict[str, Any] = {"db": db, "redis": redis}
    if redis["status"] == "ok":
        streams = await stream_report(app)
        report["streams"] = {
            "status": "ok" if all(r["dlq"] == 0 for r in streams) else "degraded",
            "items": streams,
        }
        report["bus"] = await _product_check(app, bus_health)
        workers = await worker_report(app)
        paused = sorted(
            {
                name
                for w in workers
                for name, b in (w.get("breakers") or {}).items()
                if b.get("state") == "open"
            }
        )
        report["workers"] = {
            "status": "paused" if paused else "ok",
            **({"unreachable": paused} if paused else {}),
            "items": workers,
        }
        report["scheduler"] = await scheduler_report(app)
    checks = [(name, check) for product in PRODUCTS for name, check in product.health]
    results = await asyncio.gather(*(_product_check(app, check) for _name, check in checks))
    report.update({name: result for (name, _check), result in zip(checks, results, strict=True)})
    # Redis without the bus state (lost, being re-driven) is as bad as no Redis.
    bus_ok = report.get("bus", {}).get("status", "ok") == "ok"
    core_ok = db["status"] == "ok" and redis["status"] == "ok" and bus_ok
    # Core backends down: 503. Something else down (no scheduler anywhere, a product check):
    # still serving, but not "ok".
    problems = [
        k
        for k, v in report.items()
        if isinstance(v, dict)
        and v.get("status") in ("down", "not running", "paused", "lost", "recovering")
    ]
    report["status"] = "down" if not core_ok else "degraded" if problems else "ok"
    if problems:
        report["problems"] = problems
    report["checked_at"] = datetime.now(UTC).isoformat()
    return report
