"""Liveness and Prometheus metrics (no auth: for probes and scrapers); details for admins only
(they name hosts, processes and backends)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from tgassist.api.deps import get_app, require_admin_read
from tgassist.core import health

router = APIRouter(tags=["health"])


@router.get("/health")
async def liveness() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/health/details", dependencies=[Depends(require_admin_read)])
async def details(app: Any = Depends(get_app)) -> JSONResponse:
    report = await health.details(app)
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)


@router.get("/metrics")
async def metrics(app: Any = Depends(get_app)) -> Response:
    try:
        await health.stream_report(app)  # refresh stream gauges at scrape time
    except Exception:
        pass
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
