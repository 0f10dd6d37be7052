"""The channels product: the parser's jobs (parser.py) and the enrichment stages (stages.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tgassist.channels import parser, read_jobs, retention, stages
from tgassist.core.product import Product

if TYPE_CHECKING:
    from tgassist.app import App


async def redrive_after_loss(app: App, before: datetime | None) -> int:
    from tgassist.channels.reprocess import redrive_after_loss as redrive

    return await redrive(app, before)


async def close_orphaned_runs(app: App) -> None:
    """At start: close parser/import runs a killed process left "running"."""
    from tgassist.channels.service import close_orphaned_runs as close

    await close(app)


PRODUCT = Product(
    name="channels",
    stages=stages.STAGES,
    jobs=parser.JOBS + stages.JOBS + read_jobs.JOBS + retention.JOBS,
    health=parser.HEALTH + stages.HEALTH + read_jobs.HEALTH,
    on_start=(close_orphaned_runs,),
    on_bus_loss=(redrive_after_loss,),
)
