"""Admin routes of the campaigns product: list campaigns, show one, build from a brief, cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select

from tgassist.api.deps import get_app, require_admin

if TYPE_CHECKING:
    from tgassist.app import App

router = APIRouter(prefix="/admin", tags=["campaigns"], dependencies=[Depends(require_admin)])


def _campaign(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "status": c.status,
        "source": c.source,
        "url": c.url,
        "regions": c.region_names,
        "keywords": c.keywords_count,
        "groups": c.groups_count,
        "ads": c.ads_count,
        "file": c.file_path,
        "spreadsheet_url": c.spreadsheet_url,
        "error": c.error,
        "created_at": c.created_at.isoformat(),
        "report": c.report,
    }


def _task(t: Any) -> dict[str, Any] | None:
    if t is None:
        return None
    return {
        "id": t.id,
        "status": t.status,
        "stage": t.stage,
        "percent": t.percent,
        "message": t.message,
        "error": t.error,
        "updated_at": t.updated_at.isoformat(),
    }


@router.get("/campaigns")
async def list_all(limit: int = 100, app: App = Depends(get_app)) -> list[dict[str, Any]]:
    """The latest campaigns of every user."""
    from tgassist.campaigns.models import Campaign

    async with app.db.session() as s:
        rows = (
            await s.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(min(limit, 1000)))
        ).all()
    return [_campaign(c) for c in rows]


@router.get("/campaigns/{campaign_id}")
async def show(campaign_id: int, app: App = Depends(get_app)) -> dict[str, Any]:
    """One campaign with its latest build task."""
    from tgassist.campaigns.models import Campaign
    from tgassist.campaigns.service import latest_task

    async with app.db.session() as s:
        camp = await s.get(Campaign, campaign_id)
    if camp is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"campaign {campaign_id} not found")
    return {**_campaign(camp), "task": _task(await latest_task(app, campaign_id))}


@router.post("/campaigns", status_code=status.HTTP_202_ACCEPTED)
async def create(
    brief: dict[str, Any], telegram_id: int = 0, app: App = Depends(get_app)
) -> dict[str, Any]:
    """Validate a brief and enqueue its build; a worker runs it (422 lists the bad fields)."""
    from tgassist.campaigns import BriefError, CampaignError, service

    try:
        started = await service.create_campaign(app, telegram_id, brief)
    except BriefError as err:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"field": e.field, "message": e.message} for e in err.errors],
        ) from err
    except CampaignError as err:
        raise HTTPException(status.HTTP_409_CONFLICT, str(err)) from err
    return {
        "campaign_id": started.campaign_id,
        "task_id": started.task_id,
        "resumed": started.resumed,
    }


@router.post("/campaigns/{campaign_id}/cancel")
async def cancel(campaign_id: int, app: App = Depends(get_app)) -> dict[str, Any]:
    """Ask the running build to stop (finished stages are kept)."""
    from tgassist.campaigns.service import ACTIVE, CampaignError, Task

    async with app.db.session() as s:
        task = await s.scalar(
            select(Task).where(Task.campaign_id == campaign_id, Task.status.in_(ACTIVE))
        )
        if task is None:
            raise HTTPException(status.HTTP_409_CONFLICT, str(CampaignError("no running build")))
        task.cancel_requested = True
        return {"task_id": task.id, "cancel_requested": True}
