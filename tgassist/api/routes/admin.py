"""Core admin routes: dead-letter queues."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam

from tgassist.api.deps import get_app, require_admin
from tgassist.api.params import Limit, StreamGroup

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


@router.get("/dlq/{stream}")
async def dlq_list(
    stream: str = PathParam(..., min_length=1, max_length=200, pattern=r"^[\w.:-]+$"),
    limit: Limit = 100,
    app: Any = Depends(get_app),
) -> list[dict[str, Any]]:
    return [asdict(d) for d in await app.bus.dlq_list(stream, count=limit)]


@router.post("/dlq/{stream}/replay")
async def dlq_replay(
    stream: str = PathParam(..., min_length=1, max_length=200, pattern=r"^[\w.:-]+$"),
    group: StreamGroup = None,
    app: Any = Depends(get_app),
) -> dict[str, int]:
    return {"replayed": await app.bus.dlq_replay(stream, group=group)}
