"""The products plugged into the runtime, in start-up order."""

from __future__ import annotations

from tgassist.campaigns.tasks import PRODUCT as CAMPAIGNS
from tgassist.channels.tasks import PRODUCT as CHANNELS
from tgassist.core.errors import LocalizedError
from tgassist.core.jobs import PRODUCT as CORE
from tgassist.core.product import Job, Product, Stage
from tgassist.events.tasks import PRODUCT as EVENTS

PRODUCTS: tuple[Product, ...] = (CORE, CHANNELS, EVENTS, CAMPAIGNS)


def all_stages() -> list[Stage]:
    return [s for p in PRODUCTS for s in p.stages]


def all_jobs() -> list[Job]:
    return [j for p in PRODUCTS for j in p.jobs]


def select_stages(names: str | None) -> list[Stage]:
    """Stages named in a comma list (all when empty); unknown names raise LocalizedError."""
    stages = all_stages()
    if not names:
        return stages
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    known = {s.name for s in stages}
    unknown = wanted - known
    if unknown:
        raise LocalizedError(
            "core.stages.unknown", names=", ".join(sorted(unknown)), known=", ".join(sorted(known))
        )
    return [s for s in stages if s.name in wanted]
