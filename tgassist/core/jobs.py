"""The core's own scheduled jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from tgassist.core.product import Job, Product

if TYPE_CHECKING:
    from tgassist.app import App

log = structlog.get_logger(__name__)


async def prune_outbox(app: App) -> None:
    removed = await app.outbox.prune()
    if removed:
        log.info("pruned published outbox rows", removed=removed)


PRODUCT = Product(
    name="core",
    jobs=(Job("outbox_prune", prune_outbox, every_sec=3600),),
)
