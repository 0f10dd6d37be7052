"""The API's own documentation (/docs, /redoc, /openapi.json) and the admin browser session.

FastAPI serves its docs publicly by default; here they are admin pages: they list every admin
route and parameter. A browser gets in with the session cookie from `POST /admin/session`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from tgassist.api.deps import (
    SESSION_COOKIE,
    _token,
    require_admin,
    require_admin_read,
    session_value,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_admin_read)])
session_router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/openapi.json")
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
async def swagger() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="tgassist API")


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return get_redoc_html(openapi_url="/openapi.json", title="tgassist API")


@session_router.post("/session", dependencies=[Depends(require_admin)])
async def open_session(request: Request, response: Response) -> dict[str, Any]:
    """Check the bearer token and set the browser's read-only admin cookie (dashboard, docs)."""
    response.set_cookie(
        SESSION_COOKIE,
        session_value(_token(request)),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=12 * 3600,
    )
    return {"session": True, "expires_in": 12 * 3600}


@session_router.delete("/session")
async def close_session(response: Response) -> dict[str, Any]:
    response.delete_cookie(SESSION_COOKIE)
    return {"session": False}
