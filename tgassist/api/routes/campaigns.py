"""Admin routes of the campaigns product: list campaigns, show one, build from a brief, cancel."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, UploadFile, status

from tgassist.api.deps import get_app, request_language, require_admin
from tgassist.api.errors import detail, http_error
from tgassist.api.params import Limit, RecordId, TelegramId
from tgassist.campaigns import service
from tgassist.campaigns.exceptions import BriefError, CampaignError, CampaignNotFound
from tgassist.core.errors import LocalizedError
from tgassist.core.paths import inside_data_dir, upload_path
from tgassist.core.users import ensure_user

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.tasks import TaskView

router = APIRouter(prefix="/admin", tags=["campaigns"], dependencies=[Depends(require_admin)])


def _task(t: TaskView | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {
        "id": t.id,
        "status": t.status,
        "stage": t.stage,
        "percent": t.percent,
        "message": t.message.render() if t.message else None,
        "key": t.key,
        "params": t.params,
        "error": t.error,
        "updated_at": t.updated_at.isoformat() if t.updated_at else None,
    }


@router.get("/campaigns")
async def list_all(limit: Limit = 100, app: App = Depends(get_app)) -> list[dict[str, Any]]:
    """The latest campaigns of every user."""
    return [asdict(c) for c in await service.all_campaigns(app, limit)]


@router.get("/campaigns/{campaign_id}")
async def show(
    campaign_id: RecordId, app: App = Depends(get_app), lang: str = Depends(request_language)
) -> dict[str, Any]:
    """One campaign with its latest build task."""
    try:
        info, task = await service.campaign_info(app, campaign_id)
    except CampaignNotFound as err:
        raise http_error(status.HTTP_404_NOT_FOUND, err, lang) from err
    return {**asdict(info), "task": _task(task)}


@router.post("/campaigns", status_code=status.HTTP_202_ACCEPTED)
async def create(
    brief: dict[str, Any],
    telegram_id: TelegramId = 0,
    app: App = Depends(get_app),
    lang: str = Depends(request_language),
) -> dict[str, Any]:
    """Validate a brief and enqueue its build for the user of `telegram_id`; a worker runs it
    (422 lists the bad fields, each with its message key)."""
    keywords_file = brief.get("keywords_file")
    if isinstance(keywords_file, str) and keywords_file.strip():
        # a remote caller names only uploads or files inside the data dir, never /etc/passwd
        try:
            brief = {
                **brief,
                "keywords_file": str(inside_data_dir(app.settings.data_dir, keywords_file)),
            }
        except LocalizedError as err:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                [{"field": "keywords_file", **detail(err, lang)}],
            ) from err
    try:
        user = await ensure_user(app.db, telegram_id=telegram_id)
        started = await service.create_campaign(app, user.id, brief)
    except BriefError as err:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {"field": e.field, "message": e.render(lang), "key": e.key, "params": e.params}
                for e in err.errors
            ],
        ) from err
    except CampaignError as err:
        raise HTTPException(status.HTTP_409_CONFLICT, detail(err, lang)) from err
    return {
        "campaign_id": started.campaign_id,
        "task_id": started.task_id,
        "resumed": started.resumed,
    }


UPLOAD_MAX_BYTES = 20 * 2**20
KEYWORD_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")


@router.post("/campaigns/keywords", status_code=status.HTTP_201_CREATED)
async def upload_keywords(
    file: UploadFile, app: App = Depends(get_app), lang: str = Depends(request_language)
) -> dict[str, Any]:
    """Upload a Wordstat / Key Collector export; use the returned path as a brief's keywords_file."""
    name = file.filename or "keywords.csv"
    if not name.lower().endswith(KEYWORD_SUFFIXES):
        raise http_error(422, LocalizedError("security.upload.bad_type", name=name[:100]), lang)
    data = await file.read(UPLOAD_MAX_BYTES + 1)
    if not data:
        raise http_error(422, LocalizedError("security.upload.empty"), lang)
    if len(data) > UPLOAD_MAX_BYTES:
        raise http_error(
            413, LocalizedError("security.upload.too_large", limit=UPLOAD_MAX_BYTES), lang
        )
    target = upload_path(app.settings.data_dir, "keywords", name)
    target.write_bytes(data)
    return {"keywords_file": str(target), "size": len(data)}


@router.post("/campaigns/{campaign_id}/cancel")
async def cancel(
    campaign_id: RecordId, app: App = Depends(get_app), lang: str = Depends(request_language)
) -> dict[str, Any]:
    """Ask the running build to stop (finished stages are kept); the service's rules apply."""
    try:
        task = await service.cancel_build(app, campaign_id)
    except CampaignNotFound as err:
        raise http_error(status.HTTP_404_NOT_FOUND, err, lang) from err
    except CampaignError as err:
        raise http_error(status.HTTP_409_CONFLICT, err, lang) from err
    return {"task_id": task.id, "cancel_requested": task.cancel_requested}
