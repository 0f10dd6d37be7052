"""Test doubles of the embedder (wrapping the real one) and small helpers for pipeline tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from sqlalchemy import select

from tests.util import run_pipeline
from tgassist.app import App
from tgassist.campaigns.models import Campaign, Keyword, StageResult
from tgassist.campaigns.tasks import BUILD_STAGE
from tgassist.core.tasks import TaskView


class HookedEmbedder:
    """The real embedder with a hook run before the first `embed` call (crash, block, cancel…),
    or before every call (`every=True`)."""

    def __init__(self, real: Any, hook: Callable[[], Awaitable[None]], every: bool = False) -> None:
        self.real, self.hook, self.every = real, hook, every
        self.name, self.dim = real.name, real.dim
        self.calls = 0

    async def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.calls == 1 or self.every:
            await self.hook()
        return np.asarray(await self.real.embed(texts))


async def build(app: App) -> None:
    await run_pipeline(app, [BUILD_STAGE])


async def task_of(app: App, task_id: str) -> TaskView:
    task = await app.tasks.get(task_id)
    assert task is not None
    return task


async def campaign_of(app: App, campaign_id: int) -> Campaign:
    async with app.db.session() as s:
        camp = await s.get(Campaign, campaign_id)
    assert camp is not None
    return camp


async def stages_of(app: App, campaign_id: int) -> dict[str, int]:
    async with app.db.session() as s:
        rows = (
            await s.execute(
                select(StageResult.stage, StageResult.id)
                .where(StageResult.campaign_id == campaign_id)
                .order_by(StageResult.id)
            )
        ).all()
    return {r.stage: r.id for r in rows}


async def keyword_ids(app: App, campaign_id: int) -> list[int]:
    async with app.db.session() as s:
        return list(
            (
                await s.scalars(
                    select(Keyword.id)
                    .where(Keyword.campaign_id == campaign_id)
                    .order_by(Keyword.id)
                )
            ).all()
        )


async def wait_for(flag: asyncio.Event, seconds: float = 30) -> None:
    await asyncio.wait_for(flag.wait(), seconds)
