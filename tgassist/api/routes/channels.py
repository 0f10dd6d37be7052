"""Admin routes of the channels product."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tgassist.api.deps import require_admin

router = APIRouter(prefix="/admin", tags=["channels"], dependencies=[Depends(require_admin)])
