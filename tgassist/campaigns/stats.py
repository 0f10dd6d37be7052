"""Operator figures of the campaigns product: the campaign list and build times."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from tgassist.campaigns.models import Campaign

if TYPE_CHECKING:
    from tgassist.app import App


@dataclass(frozen=True)
class CampaignRow:
    id: int
    name: str
    status: str
    keywords: int
    groups: int
    ads: int
    created_at: datetime
    build_seconds: float | None
    file_name: str | None
    error: str | None


def _row(c: Campaign) -> CampaignRow:
    seconds = (c.finished_at - c.created_at).total_seconds() if c.finished_at else None
    return CampaignRow(
        id=c.id,
        name=c.name,
        status=c.status,
        keywords=c.keywords_count,
        groups=c.groups_count,
        ads=c.ads_count,
        created_at=c.created_at,
        build_seconds=seconds,
        file_name=Path(c.file_path).name if c.file_path else None,
        error=c.error,
    )


async def campaign_rows(app: App, limit: int = 50) -> list[CampaignRow]:
    async with app.db.session() as s:
        rows = (
            (await s.execute(select(Campaign).order_by(Campaign.id.desc()).limit(limit)))
            .scalars()
            .all()
        )
    return [_row(c) for c in rows]


async def built_count(app: App) -> int:
    async with app.db.session() as s:
        return int(
            await s.scalar(
                select(func.count()).select_from(Campaign).where(Campaign.status == "completed")
            )
            or 0
        )


async def campaign_file(app: App, campaign_id: int) -> Path | None:
    """The exported file of a campaign, if it exists on disk."""
    async with app.db.session() as s:
        c = await s.get(Campaign, campaign_id)
    if c is None or not c.file_path:
        return None
    from tgassist.campaigns.storage import export_dir

    # a restored install keeps the file under its own export dir (the stored path is the old one's)
    for path in (Path(c.file_path), export_dir(app.settings) / Path(c.file_path).name):
        if await asyncio.to_thread(path.is_file):
            return path
    return None
