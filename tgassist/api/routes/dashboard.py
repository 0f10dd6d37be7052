"""The operator dashboard's routes (login, pages, static files) and the root redirect."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from tgassist.api.dashboard import public
from tgassist.api.dashboard import router as pages

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/dashboard/")


router.include_router(public)
router.include_router(pages)


def mount_static(api: object) -> None:
    """Serve the dashboard's CSS and script from the package (no CDN: installs run offline)."""
    api.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")  # type: ignore[attr-defined]
