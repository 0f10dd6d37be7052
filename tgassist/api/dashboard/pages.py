"""Dashboard pages: server-rendered HTML from the services' figures; live task progress as
server-sent events from `core.tasks.watch`. Admins only (bearer token or the login cookie)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, StreamingResponse

from tgassist.api.dashboard import charts
from tgassist.api.dashboard.charts import Series
from tgassist.api.dashboard.render import render
from tgassist.api.dashboard.session import (
    COOKIE,
    LOGIN_PATH,
    SESSION_SEC,
    check_csrf,
    language,
    new_session,
    require_dashboard,
    token_matches,
)
from tgassist.api.deps import get_app
from tgassist.api.errors import http_error
from tgassist.campaigns import service as campaign_service
from tgassist.channels import service as channel_service
from tgassist.core import stats as core_stats
from tgassist.core.errors import LocalizedError
from tgassist.core.i18n import t
from tgassist.events import service as event_service

public = APIRouter(prefix="/dashboard", include_in_schema=False)
router = APIRouter(
    prefix="/dashboard", include_in_schema=False, dependencies=[Depends(require_dashboard)]
)
RUNNING = ("pending", "running")


@public.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> HTMLResponse:
    closed = get_app(request).settings.admin_token is None
    return render(request, "login.html", page="login", closed=closed, failed=False)


@public.post("/login", response_model=None)
async def login(request: Request, token: str = Form("")) -> HTMLResponse | RedirectResponse:
    if not token_matches(request, token.strip()):
        response = render(request, "login.html", page="login", closed=False, failed=True)
        response.status_code = status.HTTP_401_UNAUTHORIZED
        return response
    redirect = RedirectResponse("/dashboard/", status.HTTP_303_SEE_OTHER)
    redirect.set_cookie(
        COOKIE,
        new_session(request),
        max_age=SESSION_SEC,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return redirect


@public.get("/logout")
async def logout() -> RedirectResponse:
    response = RedirectResponse(LOGIN_PATH, status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE)
    return response


def _hours(points: list[tuple[Any, int]]) -> list[tuple[str, float]]:
    return [(when.strftime("%H:00"), float(n)) for when, n in points]


async def _posts_chart(request: Request) -> str:
    app = get_app(request)
    lang = language(request)
    ingested = await channel_service.posts_hourly(app)
    indexed = await core_stats.stream_hourly(app, "posts.indexed")
    return charts.line_chart(
        t("ops.chart.posts", lang),
        [
            Series(t("ops.chart.ingested", lang), _hours(ingested)),
            Series(t("ops.chart.indexed", lang), _hours(indexed)),
        ],
        t("ops.chart.empty", lang),
    )


async def _dlq_chart(request: Request, streams: list[core_stats.StreamRow]) -> str:
    lang = language(request)
    per_stream: dict[str, float] = {}
    for row in streams:
        per_stream[row.stream] = float(row.dlq)
    return charts.bar_chart(
        t("ops.chart.dlq", lang),
        [Series(t("ops.chart.dead_letters", lang), sorted(per_stream.items()))],
        t("ops.chart.no_dead_letters", lang),
    )


async def _llm_chart(request: Request) -> str:
    lang = language(request)
    usage = await core_stats.llm_daily(get_app(request))
    return charts.bar_chart(
        t("ops.chart.llm_tokens", lang),
        [Series(t("ops.chart.tokens", lang), [(u.day[5:], float(u.tokens)) for u in usage])],
        t("ops.chart.no_llm", lang),
    )


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request) -> HTMLResponse:
    app = get_app(request)
    users = await core_stats.users(app)
    streams = await core_stats.streams(app)
    running = await app.tasks.list(status=RUNNING, limit=100)
    dead = sum({r.stream: r.dlq for r in streams}.values())
    cards = [
        (
            "ops.card.users",
            users.total,
            "ops.card.users_hint",
            {"active": users.active_7d, "new": users.new_today},
        ),
        ("ops.card.posts_today", await channel_service.posts_today(app), None, {}),
        ("ops.card.events_upcoming", await event_service.upcoming_count(app), None, {}),
        ("ops.card.campaigns_built", await campaign_service.built_count(app), None, {}),
        ("ops.card.errors", dead, "ops.card.errors_hint", {}),
        ("ops.card.tasks_running", len(running), None, {}),
    ]
    return render(
        request,
        "overview.html",
        page="overview",
        cards=cards,
        posts_chart=await _posts_chart(request),
        dlq_chart=await _dlq_chart(request, streams),
    )


@router.get("/charts", response_class=HTMLResponse)
async def charts_page(request: Request) -> HTMLResponse:
    app = get_app(request)
    lang = language(request)
    streams = await core_stats.streams(app)
    lag = charts.bar_chart(
        t("ops.chart.lag", lang),
        [
            Series(t("ops.chart.lag_series", lang), [(r.group, float(r.lag)) for r in streams]),
            Series(t("ops.chart.pending", lang), [(r.group, float(r.pending)) for r in streams]),
        ],
        t("ops.chart.no_backlog", lang),
    )
    output_streams = sorted({"posts.parsed", "posts.tagged", "posts.enriched", "posts.indexed"})
    throughput = [
        Series(name, _hours(await core_stats.stream_hourly(app, name))) for name in output_streams
    ]
    runs = await event_service.run_rows(app)
    sources = sorted({name for run in runs for name in run.saved_by_source})
    events_chart = charts.bar_chart(
        t("ops.chart.events", lang),
        [
            Series(name, [(f"#{r.id}", float(r.saved_by_source.get(name, 0))) for r in runs])
            for name in sources
        ],
        t("ops.chart.no_runs", lang),
    )
    camps = [c for c in reversed(await campaign_service.campaign_rows(app, 20)) if c.build_seconds]
    builds = charts.bar_chart(
        t("ops.chart.builds", lang),
        [Series(t("ops.chart.seconds", lang), [(f"#{c.id}", c.build_seconds or 0) for c in camps])],
        t("ops.chart.no_builds", lang),
    )
    usage = await core_stats.llm_daily(app)
    cost = charts.bar_chart(
        t("ops.chart.llm_cost", lang),
        [Series(t("ops.chart.cost", lang), [(u.day[5:], u.cost) for u in usage])],
        t("ops.chart.no_llm", lang),
    )
    return render(
        request,
        "charts.html",
        page="charts",
        charts=[
            ("posts", await _posts_chart(request)),
            (
                "throughput",
                charts.line_chart(
                    t("ops.chart.throughput", lang), throughput, t("ops.chart.empty", lang)
                ),
            ),
            ("lag", lag),
            ("dlq", await _dlq_chart(request, streams)),
            ("llm_tokens", await _llm_chart(request)),
            ("llm_cost", cost),
            ("events", events_chart),
            ("builds", builds),
        ],
    )


@router.get("/streams", response_class=HTMLResponse)
async def streams_page(request: Request, replayed: int | None = None) -> HTMLResponse:
    app = get_app(request)
    streams = await core_stats.streams(app)
    return render(
        request,
        "streams.html",
        page="streams",
        streams=streams,
        dlq_streams=sorted({r.stream: r.dlq for r in streams if r.dlq}.items()),
        letters=await core_stats.dead_letters(app),
        replayed=replayed,
    )


@router.post("/streams/replay")
async def replay(
    request: Request, stream: str = Form(...), csrf: str = Form("")
) -> RedirectResponse:
    check_csrf(request, csrf)
    try:
        n = await core_stats.replay_dead_letters(get_app(request), stream)
    except KeyError:
        raise http_error(
            status.HTTP_404_NOT_FOUND,
            LocalizedError("ops.errors.unknown_stream", stream=stream),
            language(request),
        ) from None
    return RedirectResponse(f"/dashboard/streams?replayed={n}", status.HTTP_303_SEE_OTHER)


@router.get("/workers", response_class=HTMLResponse)
async def workers_page(request: Request) -> HTMLResponse:
    return render(
        request, "workers.html", page="workers", workers=await core_stats.workers(get_app(request))
    )


@router.get("/jobs", response_class=HTMLResponse)
async def jobs_page(request: Request) -> HTMLResponse:
    return render(request, "jobs.html", page="jobs", jobs=await core_stats.jobs(get_app(request)))


@router.get("/tasks", response_class=HTMLResponse)
async def tasks_page(request: Request) -> HTMLResponse:
    app = get_app(request)
    lang = language(request)
    running = await app.tasks.list(status=RUNNING, limit=50)
    recent = await app.tasks.list(limit=30)

    def message(task: Any) -> str:
        return task.message.render(lang) if task.message else ""

    return render(
        request, "tasks.html", page="tasks", running=running, recent=recent, message=message
    )


@router.get("/tasks/{task_id}/events")
async def task_events(request: Request, task_id: str) -> StreamingResponse:
    """Server-sent events: one `progress` event per change, until the task ends."""
    app = get_app(request)
    lang = language(request)
    if await app.tasks.get(task_id) is None:
        raise http_error(
            status.HTTP_404_NOT_FOUND,
            LocalizedError("ops.errors.unknown_task", task_id=task_id),
            lang,
        )

    async def stream() -> AsyncIterator[str]:
        async for p in app.tasks.watch(task_id, poll_sec=0.5):
            if await request.is_disconnected():
                return
            data = {
                "status": p.status,
                "stage": p.stage,
                "percent": p.percent,
                "message": p.message.render(lang) if p.message else "",
            }
            yield f"event: progress\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        yield "event: end\ndata: {}\n\n"

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


@router.get("/channels", response_class=HTMLResponse)
async def channels_page(request: Request) -> HTMLResponse:
    return render(
        request,
        "channels.html",
        page="channels",
        channels=await channel_service.channel_rows(get_app(request)),
    )


@router.get("/events", response_class=HTMLResponse)
async def events_page(request: Request) -> HTMLResponse:
    app = get_app(request)
    return render(
        request,
        "events.html",
        page="events",
        sources=await event_service.source_rows(app),
        runs=list(reversed(await event_service.run_rows(app))),
    )


@router.get("/campaigns", response_class=HTMLResponse)
async def campaigns_page(request: Request) -> HTMLResponse:
    return render(
        request,
        "campaigns.html",
        page="campaigns",
        campaigns=await campaign_service.campaign_rows(get_app(request)),
    )


@router.get("/campaigns/{campaign_id}/file")
async def campaign_file(request: Request, campaign_id: int) -> FileResponse:
    path = await campaign_service.stored_campaign_file(get_app(request), campaign_id)
    if path is None:
        raise http_error(
            status.HTTP_404_NOT_FOUND,
            LocalizedError("ops.errors.no_campaign_file", id=campaign_id),
            language(request),
        )
    return FileResponse(path, filename=path.name)
