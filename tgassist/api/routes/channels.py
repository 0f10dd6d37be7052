"""Admin routes of the channels product: channels with their counts, and recent parser runs."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, status

from tgassist.api.deps import get_app, request_language, require_admin
from tgassist.api.errors import http_error
from tgassist.api.params import ChannelRef, Limit
from tgassist.channels import service

if TYPE_CHECKING:
    from tgassist.app import App

router = APIRouter(prefix="/admin", tags=["channels"], dependencies=[Depends(require_admin)])


@router.get("/channels")
async def list_channels(app: App = Depends(get_app)) -> list[dict[str, Any]]:
    """Every channel with status, source, high-water mark and post/album counts."""
    return [asdict(c) for c in await service.list_channels(app)]


@router.get("/channels/{ref}/runs")
async def channel_runs(
    ref: ChannelRef,
    limit: Limit = 20,
    app: App = Depends(get_app),
    lang: str = Depends(request_language),
) -> list[dict[str, Any]]:
    """The latest parses/imports of a channel (@username, Telegram id or our id), newest first."""
    try:
        runs = await service.channel_runs(app, ref, limit)
    except service.ChannelError as err:
        raise http_error(status.HTTP_404_NOT_FOUND, err, lang) from err
    return [{**asdict(r), "reasons": [m.render(lang) for m in r.reasons]} for r in runs]
