"""Admin routes of the campaigns product."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tgassist.api.deps import require_admin

router = APIRouter(prefix="/admin", tags=["campaigns"], dependencies=[Depends(require_admin)])
