"""Stages, scheduled jobs, health blocks and start-up hooks of the campaigns product."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tgassist.campaigns.events import BUILD_STREAM, BuildRequested
from tgassist.core.product import Product, Stage

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.worker import StageContext


async def build_campaign(event: BuildRequested, ctx: StageContext) -> None:
    from tgassist.campaigns.pipeline import handle_build

    await handle_build(event, ctx)


async def campaigns_health(app: App) -> dict[str, Any]:
    from sqlalchemy import func, select

    from tgassist.campaigns.models import Campaign

    async with app.db.session() as s:
        rows = (
            await s.execute(select(Campaign.status, func.count()).group_by(Campaign.status))
        ).all()
    return {"status": "ok", **{str(status): int(n) for status, n in rows}}


BUILD_STAGE = Stage(
    name="campaigns_build",
    stream=BUILD_STREAM,
    event=BuildRequested,
    handler=build_campaign,
    concurrency=2,
    max_deliveries=5,
)

PRODUCT = Product(
    name="campaigns", stages=(BUILD_STAGE,), health=(("campaigns", campaigns_health),)
)
