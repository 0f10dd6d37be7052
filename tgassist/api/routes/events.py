"""Admin routes of the events product: run an ingest, run the backfill, list sources and runs."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tgassist.api.deps import get_app, request_language, require_admin
from tgassist.api.errors import http_error
from tgassist.api.params import Limit
from tgassist.events import service
from tgassist.events.exceptions import NoTranslator, UnknownSourceError

if TYPE_CHECKING:
    from tgassist.app import App

router = APIRouter(prefix="/admin", tags=["events"], dependencies=[Depends(require_admin)])

_background: set[asyncio.Task[Any]] = set()  # keep references so tasks are not collected mid-run


SourceName = Annotated[str, Field(min_length=1, max_length=100)]


class IngestRequest(BaseModel):
    source: SourceName | Annotated[list[SourceName], Field(min_length=1, max_length=50)] = Field(
        "all", description='a source name, a list of names, or "all"'
    )
    wait: bool = Field(
        False, description="answer with the finished run's stats instead of 202 at once"
    )


class BackfillRequest(BaseModel):
    wait: bool = Field(True, description="answer with the backfill's stats instead of 202 at once")


def _spawn(coro: Any) -> None:
    task = asyncio.create_task(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)


@router.post("/ingest/run")
async def run_ingest(
    body: IngestRequest, app: App = Depends(get_app), lang: str = Depends(request_language)
) -> Any:
    """Ingest the given source(s) now (the cron does this twice a day per region)."""
    try:
        names = [s.name for s in service.select_specs(body.source)]
    except UnknownSourceError as err:
        raise http_error(422, err, lang) from err
    if body.wait:
        report = await service.ingest(app, names, trigger="api")
        return report.to_dict()
    _spawn(service.ingest(app, names, trigger="api"))
    return JSONResponse(
        {"accepted": True, "sources": names, "runs": "/admin/events/runs"}, status.HTTP_202_ACCEPTED
    )


@router.post("/translation/backfill")
async def run_backfill(
    body: BackfillRequest | None = None,
    app: App = Depends(get_app),
    lang: str = Depends(request_language),
) -> Any:
    """Translate titles of events that have no English title yet."""
    if app.translator is None:
        raise http_error(
            status.HTTP_409_CONFLICT, NoTranslator("events.translation.no_translator"), lang
        )
    if body is None or body.wait:
        return (await service.backfill(app)).to_dict()
    _spawn(service.backfill(app))
    return JSONResponse(
        {"accepted": True, "found": await service.count_without_en(app)},
        status.HTTP_202_ACCEPTED,
    )


@router.get("/events/sources")
async def sources(app: App = Depends(get_app)) -> list[dict[str, Any]]:
    """Every event source with its configuration and the stats of its last run."""
    return await service.list_sources(app)


@router.get("/events/runs")
async def runs(limit: Limit = 20, app: App = Depends(get_app)) -> list[dict[str, Any]]:
    """The latest ingest runs, newest first."""
    return await service.recent_runs(app, max(1, min(limit, 200)))
