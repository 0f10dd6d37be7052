"""Reader routes (bearer-protected): search, ask and trends over the channels."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from tgassist.api.deps import get_app, request_language, require_admin
from tgassist.channels import service
from tgassist.channels.exceptions import ReadError
from tgassist.core.i18n import t

if TYPE_CHECKING:
    from tgassist.app import App

router = APIRouter(prefix="/channels", tags=["channels"], dependencies=[Depends(require_admin)])


def _bad(err: ReadError, lang: str) -> HTTPException:
    code = (
        status.HTTP_404_NOT_FOUND
        if err.key in ("search.channel_unknown", "search.user_unknown")
        else status.HTTP_403_FORBIDDEN
        if err.key == "search.channel_not_followed"
        else status.HTTP_422_UNPROCESSABLE_CONTENT
    )
    return HTTPException(code, {"key": err.key, "params": err.params, "message": err.render(lang)})


@router.get("/search")
async def search(
    q: str = Query(..., description="What to look for"),
    channel: list[str] = Query([], description="Only these channels (repeatable)"),
    since: str | None = None,
    until: str | None = None,
    tag: list[str] = Query([]),
    limit: int = 10,
    offset: int = 0,
    user: int | None = Query(None, description="Scope to the channels this Telegram user follows"),
    app: App = Depends(get_app),
    lang: str = Depends(request_language),
) -> dict[str, Any]:
    try:
        res = await service.search_posts(
            app,
            q,
            telegram_id=user,
            channels=channel,
            since=since,
            until=until,
            tags=tuple(tag),
            limit=limit,
            offset=offset,
        )
    except ReadError as err:
        raise _bad(err, lang) from err
    return {
        "total": res.total,
        "lexical_only": res.lexical_only,
        "took_ms": res.took_ms,
        "results": [{**asdict(h), "date": h.date.isoformat()} for h in res.hits],
    }


@router.get("/ask")
async def ask(
    q: str = Query(..., description="The question"),
    channel: list[str] = Query([]),
    user: int | None = None,
    lang: str = Query("en", description="Language of the answer and of errors: en or ru"),
    app: App = Depends(get_app),
) -> dict[str, Any]:
    try:
        ans = await service.ask_question(app, q, telegram_id=user, channels=channel)
    except ReadError as err:
        raise _bad(err, lang) from err
    return {
        "answer": ans.text or t(ans.message_key or "search.ask.not_found", lang),
        "found": ans.found,
        "mode": ans.mode,
        "confidence": ans.confidence,
        "sources": [asdict(s) for s in ans.sources],
    }


@router.get("/trends")
async def trends(
    window_hours: int = 24,
    baseline_days: int = 7,
    until: str | None = None,
    app: App = Depends(get_app),
    lang: str = Depends(request_language),
) -> list[dict[str, Any]]:
    try:
        found = await service.trends(
            app, until=until, window_hours=window_hours, baseline_days=baseline_days
        )
    except ReadError as err:
        raise _bad(err, lang) from err
    return [asdict(t) for t in found]
